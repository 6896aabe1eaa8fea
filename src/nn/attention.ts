// Causal self-attention with RoPE and grouped-query heads; optionally reads and extends a KV cache.
import { attention, reshape, rope, type Tensor } from '../tensor/index.ts';
import type { Rng } from '../tensor/random.ts';
import { Linear } from './linear.ts';
import { KVCache } from './kvcache.ts';

export interface AttentionContext {
  /** Absolute position of the first token of x. */
  pos: number;
  /** The cache of this layer, when decoding. */
  cacheK?: Tensor;
  cacheV?: Tensor;
  /** Per row, the first position that is not left padding. */
  keyStart?: Int32Array | null;
}

export class SelfAttention {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  readonly headDim: number;

  constructor(readonly d: number, readonly nHeads: number, readonly nKvHeads: number, readonly ropeTheta: number, readonly maxSeqLen: number, rng: Rng, outStd: number) {
    this.headDim = d / nHeads;
    this.q = new Linear(d, nHeads * this.headDim, rng);
    this.k = new Linear(d, nKvHeads * this.headDim, rng);
    this.v = new Linear(d, nKvHeads * this.headDim, rng);
    this.o = new Linear(nHeads * this.headDim, d, rng, outStd);
  }

  /** x (B, T, C) -> (B, T, C). */
  forward(x: Tensor, ctx: AttentionContext): Tensor {
    const [B, T] = x.shape;
    const D = this.headDim;
    const q = rope(reshape(this.q.forward(x), [B, T, this.nHeads, D]), ctx.pos, this.ropeTheta, this.maxSeqLen);
    let k = rope(reshape(this.k.forward(x), [B, T, this.nKvHeads, D]), ctx.pos, this.ropeTheta, this.maxSeqLen);
    let v = reshape(this.v.forward(x), [B, T, this.nKvHeads, D]);
    if (ctx.cacheK && ctx.cacheV) {
      KVCache.write(ctx.cacheK, k, ctx.pos);
      KVCache.write(ctx.cacheV, v, ctx.pos);
      k = ctx.cacheK;
      v = ctx.cacheV;
    }
    const a = attention(q, k, v, { qOffset: ctx.cacheK ? ctx.pos : 0, keyStart: ctx.keyStart });
    return this.o.forward(reshape(a, [B, T, this.nHeads * D]));
  }
}
