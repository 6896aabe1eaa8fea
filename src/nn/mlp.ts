// SwiGLU feed-forward: down(silu(gate(x)) · up(x)).
import { swiglu, type Tensor } from '../tensor/index.ts';
import type { Rng } from '../tensor/random.ts';
import { Linear } from './linear.ts';

export class SwiGLU {
  readonly gate: Linear;
  readonly up: Linear;
  readonly down: Linear;

  constructor(d: number, dFf: number, rng: Rng, outStd: number) {
    this.gate = new Linear(d, dFf, rng);
    this.up = new Linear(d, dFf, rng);
    this.down = new Linear(dFf, d, rng, outStd);
  }

  forward(x: Tensor): Tensor {
    return this.down.forward(swiglu(this.gate.forward(x), this.up.forward(x)));
  }
}
