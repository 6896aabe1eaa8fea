// SwiGLU feed-forward: down(silu(gate(x)) · up(x)).
import { empty, isGradEnabled, matmul, swiglu, type Tensor } from '../tensor/index.ts';
import { backend } from '../backend/index.ts';
import type { Rng } from '../tensor/random.ts';
import { Linear, fuseLinears } from './linear.ts';

export class SwiGLU {
  readonly gate: Linear;
  readonly up: Linear;
  readonly down: Linear;
  /** (2·dFf, d): gate and up weights as one; their weights are views of its rows. */
  readonly gateUp: Tensor;

  constructor(d: number, dFf: number, rng: Rng, outStd: number) {
    this.gate = new Linear(d, dFf, rng);
    this.up = new Linear(d, dFf, rng);
    this.down = new Linear(dFf, d, rng, outStd);
    this.gateUp = fuseLinears([this.gate, this.up]);
  }

  forward(x: Tensor): Tensor {
    const rows = x.size / x.shape[x.rank - 1];
    if (rows <= 4 && !isGradEnabled()) {
      // Decoding a few rows: one product over the fused weight, swiglu straight from its halves.
      const F = this.gate.outFeatures, y = matmul(x, this.gateUp, { transB: true }).data; // (rows, 2F): [gate | up]
      const h = empty([...x.shape.slice(0, -1), F]), kern = backend().kernels;
      for (let r = 0; r < rows; r++)
        kern.swiglu(y.subarray(2 * r * F, (2 * r + 1) * F), y.subarray((2 * r + 1) * F, (2 * r + 2) * F), F, h.data.subarray(r * F, (r + 1) * F));
      return this.down.forward(h);
    }
    return this.down.forward(swiglu(this.gate.forward(x), this.up.forward(x)));
  }
}
