// Gradient clipping by global L2 norm.
import { backend } from '../backend/index.ts';
import type { Tensor } from '../tensor/index.ts';

/** Scales all gradients so their joint L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  const k = backend().kernels;
  const ps = [...params].filter((p) => p.grad);
  let ss = 0;
  for (const p of ps) ss += k.sumSquares(p.grad!.data, p.size);
  const norm = Math.sqrt(ss);
  if (Number.isFinite(norm) && norm > maxNorm && maxNorm > 0) {
    const s = maxNorm / (norm + 1e-6);
    for (const p of ps) k.affine(p.grad!.data, p.size, s, 0, p.grad!.data);
  }
  return norm;
}
