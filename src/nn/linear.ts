// Linear layer: y = x · Wᵀ (+ b), W (out, in) as PyTorch stores it; the bias is optional (Qwen2's q, k, v).
import { add, empty, matmul, parameter, Tensor } from '../tensor/index.ts';
import type { Rng } from '../tensor/random.ts';

export class Linear {
  readonly weight: Tensor; // (out, in)
  readonly bias: Tensor | null; // (out)

  /** rng null leaves the weight zero (a model about to be loaded from a file). */
  constructor(readonly inFeatures: number, readonly outFeatures: number, rng: Rng | null, std = 0.02, bias = false) {
    const w = new Float32Array(inFeatures * outFeatures);
    if (rng) for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
    this.weight = parameter(w, [outFeatures, inFeatures]);
    this.bias = bias ? parameter(new Float32Array(outFeatures), [outFeatures]) : null;
  }

  forward(x: Tensor): Tensor {
    const y = matmul(x, this.weight, { transB: true });
    return this.bias ? add(y, this.bias) : y;
  }
}

/** A fused projection: the parts' weights (and biases, when they have them) as row blocks of one. */
export interface Fused {
  weight: Tensor; // (Σ out, in)
  bias: Tensor | null; // (Σ out)
}

/**
 * Linears that read the same input (Q, K, V; gate and up) as one weight (Σ out, in) whose row
 * blocks are the parts' own weights: each part's weight and gradient become views of the fused
 * buffers, so the parameters keep their names, shapes and values (the optimizer and checkpoints
 * see no change) while one product serves all parts. Only in-place writes to the parts' data keep
 * the two in step; nothing in ponder replaces a parameter's buffer. Biases fuse the same way.
 */
export function fuseLinears(parts: Linear[], opts: { copy?: boolean } = {}): Fused {
  const inF = parts[0].inFeatures;
  if (parts.some((p) => p.inFeatures !== inF)) throw new Error('fuseLinears: the parts must share their input size');
  if (parts.some((p) => (p.bias === null) !== (parts[0].bias === null))) throw new Error('fuseLinears: either every part has a bias or none does');
  const copy = opts.copy ?? true;
  return {
    weight: fuseRows(parts.map((p) => p.weight), inF, copy),
    bias: parts[0].bias ? fuseRows(parts.map((p) => p.bias!), 1, copy) : null,
  };
}

/**
 * Concatenates the rows of `parts` (each (rows, width)) into one parameter; the parts become views.
 * copy false: the parts are still all zero (a model about to be loaded), so their values are not
 * copied and the fused buffer's pages stay untouched until the weights are read into them.
 */
function fuseRows(parts: Tensor[], width: number, copy: boolean): Tensor {
  const rows = parts.reduce((s, p) => s + p.size / width, 0);
  const shape = width === 1 ? [rows] : [rows, width];
  const fused = parameter(new Float32Array(rows * width), shape);
  const grad = new Tensor(new Float32Array(rows * width), shape);
  fused.grad = grad;
  let at = 0;
  for (const w of parts) {
    if (copy) fused.data.set(w.data, at);
    w.data = fused.data.subarray(at, at + w.size);
    w.grad = new Tensor(grad.data.subarray(at, at + w.size), w.shape);
    at += w.size;
  }
  return fused;
}

/** Adds a bias (W) to each of `rows` rows of y (rows, W) in place (inference, no gradients). */
export function addBiasRows(y: Float32Array, rows: number, bias: Tensor | null): void {
  if (!bias) return;
  const W = bias.size, b = bias.data;
  for (let r = 0; r < rows; r++) for (let j = 0; j < W; j++) y[r * W + j] += b[j];
}

/** Copies the column blocks of y's rows (rows, Σ widths) into tensors of the given shapes (inference, few rows). */
export function splitColumns(y: Tensor, rows: number, shapes: number[][]): Tensor[] {
  const total = y.shape[y.rank - 1];
  let col = 0;
  return shapes.map((shape) => {
    const t = empty(shape), w = t.size / rows;
    for (let r = 0; r < rows; r++) t.data.set(y.data.subarray(r * total + col, r * total + col + w), r * w);
    col += w;
    return t;
  });
}
