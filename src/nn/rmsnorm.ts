// RMSNorm with a learnt gain (initialised to 1).
import { parameter, rmsnorm, type Tensor } from '../tensor/index.ts';
import { backend } from '../backend/index.ts';
import { scratch } from '../tensor/memory.ts';

export class RMSNorm {
  readonly weight: Tensor; // (C)

  constructor(readonly C: number, readonly eps: number) {
    this.weight = parameter(new Float32Array(C).fill(1), [C]);
  }

  /** x (..., C) -> (..., C), normalised over the last axis. */
  forward(x: Tensor): Tensor {
    return rmsnorm(x, this.weight, this.eps);
  }

  /** The same over `rows` rows of C in a raw buffer, in place (inference, no gradients). */
  applyInPlace(x: Float32Array, rows: number): void {
    const tmp = scratch(rows * this.C), rstd = scratch(rows);
    backend().kernels.rmsnorm(x, this.weight.data, rows, this.C, this.eps, tmp, rstd);
    x.set(tmp);
  }
}
