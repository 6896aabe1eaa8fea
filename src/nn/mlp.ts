// SwiGLU feed-forward: down(silu(gate(x)) · up(x)).
import { empty, matmul, swiglu, type Tensor } from '../tensor/index.ts';
import { backend } from '../backend/index.ts';
import type { Rng } from '../tensor/random.ts';
import { Linear, fuseLinears } from './linear.ts';
import { isFewRowDecode } from './fastpath.ts';

export class SwiGLU {
  readonly gate: Linear;
  readonly up: Linear;
  readonly down: Linear;
  /** (2·dFf, d): gate and up weights as one; their weights are views of its rows. */
  readonly gateUp: Tensor;

  constructor(d: number, dFf: number, rng: Rng | null, outStd: number) {
    this.gate = new Linear(d, dFf, rng);
    this.up = new Linear(d, dFf, rng);
    this.down = new Linear(dFf, d, rng, outStd);
    this.gateUp = fuseLinears([this.gate, this.up], { copy: rng !== null }).weight;
  }

  forward(x: Tensor): Tensor {
    const rows = x.size / x.shape[x.rank - 1];
    if (isFewRowDecode(rows)) return this.down.forward(this.fusedHidden(x, rows));
    return this.down.forward(swiglu(this.gate.forward(x), this.up.forward(x)));
  }

  /** silu(gate(x)) · up(x) from one product over the fused weight, swiglu straight from its halves. */
  private fusedHidden(x: Tensor, rows: number): Tensor {
    const F = this.gate.outFeatures, y = matmul(x, this.gateUp, { transB: true }).data; // (rows, 2F): [gate | up]
    const h = empty([...x.shape.slice(0, -1), F]), kern = backend().kernels;
    for (let r = 0; r < rows; r++)
      kern.swiglu(y.subarray(2 * r * F, (2 * r + 1) * F), y.subarray((2 * r + 1) * F, (2 * r + 2) * F), F, h.data.subarray(r * F, (r + 1) * F));
    return h;
  }
}
