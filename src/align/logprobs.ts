// Log-probabilities of whole answers: the quantity preference optimisation works on. A batch of
// (prompt, answer) sequences is packed as for GRPO (left-padded prompts, right-padded answers);
// log p(answer | prompt) is the sum of the answer's token log-probabilities.
import { noGrad, reshape, sum, tokenLogprobs, withScope, type Tensor } from '../tensor/index.ts';
import { Transformer } from '../model/transformer.ts';
import { pack, type Packed } from '../rl/grpo.ts';

export interface Seq { prompt: number[]; completion: number[] }

export function packSeqs(seqs: Seq[]): Packed {
  return pack(seqs.map((s) => ({ ...s, advantage: 0 })));
}

/** (n) log p(answer | prompt) per sequence, differentiable; call inside a scope. */
export function sequenceLogprobs(model: Transformer, b: Packed): { seq: Tensor; logits: Tensor } {
  const logits = model.forward(b.ids, b.n, b.T, { keyStart: b.keyStart });
  const tok = tokenLogprobs(Transformer.rows(logits), b.targets);
  return { seq: sum(reshape(tok, [b.n, b.T]), 1), logits };
}

/** The same without gradients, copied out: sequence log-probs and (optionally) the logits. */
export function frozenLogprobs(model: Transformer, b: Packed, keepLogits = false): { seq: Float64Array; logits: Float32Array | null } {
  return noGrad(() => withScope(() => {
    const r = sequenceLogprobs(model, b);
    return { seq: Float64Array.from(r.seq.data), logits: keepLogits ? Float32Array.from(r.logits.data) : null };
  }));
}

/**
 * Mean KL(π || π_ref) of the next-token distributions over the answer positions: the exact KL
 * (summed over the vocabulary), not a sampled estimate, so it is 0 exactly when the two agree.
 */
export function answerKl(policy: Float32Array, ref: Float32Array, targets: Int32Array, V: number): number {
  let total = 0, n = 0;
  for (let r = 0; r < targets.length; r++) {
    if (targets[r] < 0) continue;
    const o = r * V;
    let mp = -Infinity, mq = -Infinity;
    for (let c = 0; c < V; c++) { if (policy[o + c] > mp) mp = policy[o + c]; if (ref[o + c] > mq) mq = ref[o + c]; }
    let zp = 0, zq = 0;
    for (let c = 0; c < V; c++) { zp += Math.exp(policy[o + c] - mp); zq += Math.exp(ref[o + c] - mq); }
    const lzp = Math.log(zp) + mp, lzq = Math.log(zq) + mq;
    let kl = 0;
    for (let c = 0; c < V; c++) {
      const lp = policy[o + c] - lzp, lq = ref[o + c] - lzq;
      kl += Math.exp(lp) * (lp - lq);
    }
    total += kl;
    n++;
  }
  return n ? total / n : 0;
}
