// Causal self-attention with RoPE and grouped-query heads; optionally reads and extends a KV cache.
import { attention, empty, isGradEnabled, matmul, reshape, rope, ropeTable, type Tensor } from '../tensor/index.ts';
import { backend } from '../backend/index.ts';
import { scratch } from '../tensor/memory.ts';
import type { Rng } from '../tensor/random.ts';
import { Linear, fuseLinears, splitColumns } from './linear.ts';
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
  /** (Hq·D + 2·Hkv·D, C): q, k and v weights as one; their weights are views of its rows. */
  readonly qkv: Tensor;

  constructor(readonly d: number, readonly nHeads: number, readonly nKvHeads: number, readonly ropeTheta: number, readonly maxSeqLen: number, rng: Rng, outStd: number) {
    this.headDim = d / nHeads;
    this.q = new Linear(d, nHeads * this.headDim, rng);
    this.k = new Linear(d, nKvHeads * this.headDim, rng);
    this.v = new Linear(d, nKvHeads * this.headDim, rng);
    this.o = new Linear(nHeads * this.headDim, d, rng, outStd);
    this.qkv = fuseLinears([this.q, this.k, this.v]);
  }

  /**
   * q, k, v projections (rows, C) -> (B, T, H, D) each. Decoding a few rows without gradients is
   * bound by reading the weights and by per-call costs: one product over the fused weight then.
   */
  private project(x: Tensor, B: number, T: number): [Tensor, Tensor, Tensor] {
    const D = this.headDim, Hq = this.nHeads, Hkv = this.nKvHeads;
    if (B * T <= 4 && !isGradEnabled()) {
      const y = matmul(x, this.qkv, { transB: true });
      const [q, k, v] = splitColumns(y, B * T, [[B, T, Hq, D], [B, T, Hkv, D], [B, T, Hkv, D]]);
      return [q, k, v];
    }
    return [
      reshape(this.q.forward(x), [B, T, Hq, D]),
      reshape(this.k.forward(x), [B, T, Hkv, D]),
      reshape(this.v.forward(x), [B, T, Hkv, D]),
    ];
  }

  /** x (B, T, C) -> (B, T, C). */
  forward(x: Tensor, ctx: AttentionContext): Tensor {
    const [B, T] = x.shape;
    const D = this.headDim;
    if (ctx.cacheK && ctx.cacheV && B * T <= 4 && !isGradEnabled()) return this.decodeRows(x, ctx, ctx.cacheK, ctx.cacheV);
    const [q0, k0, v0] = this.project(x, B, T);
    const q = rope(q0, ctx.pos, this.ropeTheta, this.maxSeqLen);
    let k = rope(k0, ctx.pos, this.ropeTheta, this.maxSeqLen);
    let v = v0;
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
   * A few new rows against the cache (decoding, no gradients): one product over the fused q, k, v
   * weight, then q is rotated into its own tensor while k is rotated, and v copied, straight into
   * the cache slots: per-op costs, not arithmetic, dominate a step of one token.
   */
  private decodeRows(x: Tensor, ctx: AttentionContext, cacheK: Tensor, cacheV: Tensor): Tensor {
    const [B, T] = x.shape;
    const D = this.headDim, Hq = this.nHeads, Hkv = this.nKvHeads, Cq = Hq * D, Ck = Hkv * D, W = Cq + 2 * Ck;
    const Tmax = cacheK.shape[1], kern = backend().kernels;
    const { cos, sin } = ropeTable(D, this.ropeTheta, this.maxSeqLen);
    const y = matmul(x, this.qkv, { transB: true }).data; // (B·T, W): [q | k | v] per row
    const q = empty([B, T, Hq, D]);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        const r = (b * T + t) * W, p = ctx.pos + t, slot = (b * Tmax + p) * Ck;
        kern.rope(y.subarray(r, r + Cq), 1, 1, Hq, D, p, cos, sin, false, q.data.subarray((b * T + t) * Cq, (b * T + t + 1) * Cq));
        kern.rope(y.subarray(r + Cq, r + Cq + Ck), 1, 1, Hkv, D, p, cos, sin, false, cacheK.data.subarray(slot, slot + Ck));
        cacheV.data.set(y.subarray(r + Cq + Ck, r + W), slot);
      }
    const a = attention(q, cacheK, cacheV, { qOffset: ctx.pos, keyStart: ctx.keyStart });
    return this.o.forward(reshape(a, [B, T, Cq]));
  }

  /**
   * One new token for each of N independent sequences (continuous batching): x (N, 1, C); row r
   * sits at position pos[r] of its own cache (1, Tmax, Hkv, D). The projections run batched; RoPE
   * and attention run per row, against that row's cache.
   */
  decode(x: Tensor, caches: { k: Tensor; v: Tensor }[], pos: readonly number[]): Tensor {
    const N = x.shape[0], D = this.headDim, Hq = this.nHeads, Hkv = this.nKvHeads;
    const [q, k, v] = this.project(x, N, 1);
    const out = empty([N, 1, Hq * D]);
    const kern = backend().kernels;
    const { cos, sin } = ropeTable(D, this.ropeTheta, this.maxSeqLen);
    const lse = scratch(Hq); // from the pool: nothing fresh per token
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
