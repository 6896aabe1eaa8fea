// Causal self-attention with RoPE and grouped-query heads; optionally reads and extends a KV cache.
import { attention, empty, reshape, rope, ropeTable, type Tensor } from '../tensor/index.ts';
import { backend } from '../backend/index.ts';
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

  /**
   * One new token for each of N independent sequences (continuous batching): x (N, 1, C); row r
   * sits at position pos[r] of its own cache (1, Tmax, Hkv, D). The projections run batched; RoPE
   * and attention run per row, against that row's cache.
   */
  decode(x: Tensor, caches: { k: Tensor; v: Tensor }[], pos: readonly number[]): Tensor {
    const N = x.shape[0], D = this.headDim, Hq = this.nHeads, Hkv = this.nKvHeads;
    const q = reshape(this.q.forward(x), [N, 1, Hq, D]);
    const k = reshape(this.k.forward(x), [N, 1, Hkv, D]);
    const v = reshape(this.v.forward(x), [N, 1, Hkv, D]);
    const out = empty([N, 1, Hq * D]);
    const kern = backend().kernels;
    const { cos, sin } = ropeTable(D, this.ropeTheta, this.maxSeqLen);
    const lse = new Float32Array(Hq);
    for (let r = 0; r < N; r++) {
      const c = caches[r], p = pos[r], Tmax = c.k.shape[1];
      const qr = q.data.subarray(r * Hq * D, (r + 1) * Hq * D);
      kern.rope(qr, 1, 1, Hq, D, p, cos, sin, false, qr);
      // New key and value go straight into the cache at position p.
      const kd = c.k.data.subarray(p * Hkv * D, (p + 1) * Hkv * D), vd = c.v.data.subarray(p * Hkv * D, (p + 1) * Hkv * D);
      kern.rope(k.data.subarray(r * Hkv * D, (r + 1) * Hkv * D), 1, 1, Hkv, D, p, cos, sin, false, kd);
      vd.set(v.data.subarray(r * Hkv * D, (r + 1) * Hkv * D));
      kern.attention(qr, c.k.data, c.v.data, 1, 1, Tmax, Hq, Hkv, D, p, null, 1 / Math.sqrt(D), out.data.subarray(r * Hq * D, (r + 1) * Hq * D), lse);
    }
    return this.o.forward(out);
  }
}
