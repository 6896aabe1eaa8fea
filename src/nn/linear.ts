// Linear layer without bias: y = x · Wᵀ, W (out, in) as PyTorch stores it.
import { matmul, parameter, type Tensor } from '../tensor/index.ts';
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
