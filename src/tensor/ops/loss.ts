// Losses from logits without materialising probabilities: per-token log-probabilities (the RL
// losses need them) and cross-entropy with an ignore index and per-token weights.
import { backend } from '../../backend/index.ts';
import { Tensor, empty, fmt } from '../tensor.ts';
import { scratch } from '../memory.ts';
import { needsGrad, record, gradOf } from '../tape.ts';
import { ShapeError, ValueError } from '../errors.ts';

function checkTargets(op: string, logits: Tensor, targets: Int32Array, ignoreIndex: number): { rows: number; V: number } {
  const V = logits.shape[logits.rank - 1], rows = logits.size / V;
  if (targets.length !== rows) throw new ShapeError(`${op}: ${targets.length} targets for logits ${fmt(logits.shape)} (${rows} rows)`);
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    if (t === ignoreIndex) continue;
    if (!(t >= 0 && t < V)) throw new ValueError(`${op}: target ${t} at row ${r} is outside the vocabulary [0, ${V})`);
  }
  return { rows, V };
}

/** Negative ignore targets mean "no token here" to the kernels. */
function kernelTargets(targets: Int32Array, ignoreIndex: number): Int32Array {
  if (ignoreIndex < 0) return targets;
  const t = new Int32Array(targets);
  for (let i = 0; i < t.length; i++) if (t[i] === ignoreIndex) t[i] = -1;
  return t;
}

/**
 * log p(target) per row of logits (..., V); shape (...). Rows whose target equals ignoreIndex give 0.
 */
export function tokenLogprobs(logits: Tensor, targets: Int32Array, ignoreIndex = -100): Tensor {
  const { rows, V } = checkTargets('tokenLogprobs', logits, targets, ignoreIndex);
  const kt = kernelTargets(targets, ignoreIndex);
  const out = empty(logits.shape.slice(0, -1));
  const lse = scratch(rows);
  backend().kernels.tokenLogprobs(logits.data, kt, rows, V, out.data, lse);
  if (!needsGrad(logits)) return out;
  return record(out, () => backend().kernels.tokenLogprobsBackward(logits.data, kt, lse, out.grad!.data, rows, V, gradOf(logits).data));
}

export interface CrossEntropyOptions {
  ignoreIndex?: number;
  /** Per-row weights; the loss is Σ w·(-log p) / Σ w over rows not ignored. */
  weights?: Float32Array;
}

/** Mean cross-entropy of logits (..., V) against integer targets, fused with its gradient. */
export function crossEntropy(logits: Tensor, targets: Int32Array, opts: CrossEntropyOptions = {}): Tensor {
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const { rows, V } = checkTargets('crossEntropy', logits, targets, ignoreIndex);
  const w = opts.weights;
  if (w && w.length !== rows) throw new ShapeError(`crossEntropy: ${w.length} weights for ${rows} rows`);
  const kt = kernelTargets(targets, ignoreIndex);
  const logp = scratch(rows), lse = scratch(rows);
  const k = backend().kernels;
  k.tokenLogprobs(logits.data, kt, rows, V, logp, lse);
  let total = 0, norm = 0;
  for (let r = 0; r < rows; r++) {
    if (kt[r] < 0) continue;
    const wr = w ? w[r] : 1;
    total -= wr * logp[r];
    norm += wr;
  }
  if (norm === 0) throw new ValueError('crossEntropy: every target is ignored (or weighs 0); the loss is undefined');
  const out = empty([]);
  out.data[0] = total / norm;
  if (!needsGrad(logits)) return out;
  return record(out, () => {
    const g = scratch(rows), go = out.grad!.data[0];
    for (let r = 0; r < rows; r++) g[r] = kt[r] < 0 ? 0 : (-(w ? w[r] : 1) * go) / norm;
    k.tokenLogprobsBackward(logits.data, kt, lse, g, rows, V, gradOf(logits).data);
  });
}
