// Linear layer without bias: y = x · Wᵀ, W (out, in) as PyTorch stores it.
import { empty, matmul, parameter, Tensor } from '../tensor/index.ts';
import type { Rng } from '../tensor/random.ts';

export class Linear {
  readonly weight: Tensor; // (out, in)

  constructor(readonly inFeatures: number, readonly outFeatures: number, rng: Rng, std = 0.02) {
    const w = new Float32Array(inFeatures * outFeatures);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
    this.weight = parameter(w, [outFeatures, inFeatures]);
  }

  forward(x: Tensor): Tensor {
    return matmul(x, this.weight, { transB: true });
  }
}

/**
 * Linears that read the same input (Q, K, V; gate and up) as one weight (Σ out, in) whose row
 * blocks are the parts' own weights: each part's weight and gradient become views of the fused
 * buffers, so the parameters keep their names, shapes and values (the optimizer and checkpoints
 * see no change) while one product serves all parts. Only in-place writes to the parts' data keep
 * the two in step; nothing in ponder replaces a parameter's buffer.
 */
export function fuseLinears(parts: Linear[]): Tensor {
  const inF = parts[0].inFeatures;
  if (parts.some((p) => p.inFeatures !== inF)) throw new Error('fuseLinears: the parts must share their input size');
  const out = parts.reduce((s, p) => s + p.outFeatures, 0);
  const fused = parameter(new Float32Array(out * inF), [out, inF]);
  const grad = new Tensor(new Float32Array(out * inF), [out, inF]);
  fused.grad = grad;
  let row = 0;
  for (const p of parts) {
    const w = p.weight, a = row * inF, b = (row + p.outFeatures) * inF;
    fused.data.set(w.data, a);
    w.data = fused.data.subarray(a, b);
    w.grad = new Tensor(grad.data.subarray(a, b), w.shape);
    row += p.outFeatures;
  }
  return fused;
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
