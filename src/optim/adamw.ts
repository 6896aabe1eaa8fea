// AdamW with decoupled weight decay (Loshchilov & Hutter), one fused kernel call per parameter.
import { backend } from '../backend/index.ts';
import type { Tensor } from '../tensor/index.ts';

export interface ParamGroup {
  params: Tensor[];
  weightDecay: number;
}

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export class AdamW {
  readonly groups: ParamGroup[];
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Steps taken (the bias correction needs it). */
  step = 0;
  /** First and second moments, one buffer each per parameter, in group order. */
  readonly m: Float32Array[] = [];
  readonly v: Float32Array[] = [];

  constructor(groups: ParamGroup[], opts: AdamWOptions = {}) {
    this.groups = groups;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.95;
    this.eps = opts.eps ?? 1e-8;
    for (const p of this.params()) {
      this.m.push(new Float32Array(p.size));
      this.v.push(new Float32Array(p.size));
    }
  }

  *params(): Iterable<Tensor> {
    for (const g of this.groups) yield* g.params;
  }

  /** One update at learning rate lr; parameters without a gradient are left alone. */
  update(lr: number): void {
    this.step++;
    const k = backend().kernels;
    let i = 0;
    for (const g of this.groups) {
      for (const p of g.params) {
        if (p.grad) k.adamw(p.data, p.grad.data, this.m[i], this.v[i], p.size, lr, this.beta1, this.beta2, this.eps, g.weightDecay, this.step);
        i++;
      }
    }
  }
}
