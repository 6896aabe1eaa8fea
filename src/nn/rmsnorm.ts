// RMSNorm with a learnt gain (initialised to 1).
import { parameter, rmsnorm, type Tensor } from '../tensor/index.ts';

export class RMSNorm {
  readonly weight: Tensor; // (C)

  constructor(C: number, readonly eps: number) {
    this.weight = parameter(new Float32Array(C).fill(1), [C]);
  }

  forward(x: Tensor): Tensor {
    return rmsnorm(x, this.weight, this.eps);
  }
}
