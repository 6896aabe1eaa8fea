// Causal self-attention with RoPE and grouped-query heads; optionally reads and extends a KV cache.
// Per head: q = rope(norm_q(x·Wqᵀ + b_q)), k = rope(norm_k(x·Wkᵀ + b_k)), v = x·Wvᵀ + b_v, where the
// biases are Qwen2's and the per-head RMSNorms Qwen3's (both absent in Llama).
import { attention, empty, matmul, reshape, rope, type RopeTable, type Tensor } from '../tensor/index.ts';
import { backend } from '../backend/index.ts';
import { scratch } from '../tensor/memory.ts';
import type { Rng } from '../tensor/random.ts';
import type { RopeScaling } from '../model/config.ts';
import { Linear, addBiasRows, fuseLinears, splitColumns } from './linear.ts';
import { RMSNorm } from './rmsnorm.ts';
import { KVCache } from './kvcache.ts';
import { rotaryTable } from './rope.ts';
import { isFewRowDecode } from './fastpath.ts';

export interface AttentionContext {
  /** Absolute position of the first token of x. */
  pos: number;
  /** The cache of this layer, when decoding. */
  cacheK?: Tensor;
  cacheV?: Tensor;
  /** Per row, the first position that is not left padding. */
  keyStart?: Int32Array | null;
}

/** The shape and options of one attention layer. */
export interface AttentionSpec {
  d: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  ropeTheta: number;
  ropeScaling?: RopeScaling | null;
  maxSeqLen: number;
  /** Biases on q, k and v (Qwen2). */
  qkvBias?: boolean;
  /** RMSNorm of each q and k head before RoPE (Qwen3), with this epsilon. */
  qkNorm?: boolean;
  normEps: number;
}

export class SelfAttention {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  readonly qNorm: RMSNorm | null; // (D)
  readonly kNorm: RMSNorm | null; // (D)
  readonly headDim: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly maxSeqLen: number;
  /** (Hq·D + 2·Hkv·D, C): q, k and v weights as one; their weights are views of its rows. */
  readonly qkv: Tensor;
  /** (Hq·D + 2·Hkv·D): their biases as one, when they have them. */
  readonly qkvBias: Tensor | null;
  /** RoPE's cos/sin for every position up to maxSeqLen. */
  readonly rotary: RopeTable;

  constructor(spec: AttentionSpec, rng: Rng | null, outStd: number) {
    const { d, nHeads, nKvHeads, headDim: D } = spec;
    this.headDim = D;
    this.nHeads = nHeads;
    this.nKvHeads = nKvHeads;
    this.maxSeqLen = spec.maxSeqLen;
    const bias = spec.qkvBias ?? false;
    this.q = new Linear(d, nHeads * D, rng, 0.02, bias);
    this.k = new Linear(d, nKvHeads * D, rng, 0.02, bias);
    this.v = new Linear(d, nKvHeads * D, rng, 0.02, bias);
    this.o = new Linear(nHeads * D, d, rng, outStd);
    this.qNorm = spec.qkNorm ? new RMSNorm(D, spec.normEps) : null;
    this.kNorm = spec.qkNorm ? new RMSNorm(D, spec.normEps) : null;
    const fused = fuseLinears([this.q, this.k, this.v], { copy: rng !== null });
    this.qkv = fused.weight;
    this.qkvBias = fused.bias;
    this.rotary = rotaryTable(D, spec.ropeTheta, spec.maxSeqLen, spec.ropeScaling);
  }

  /** q, k, v projections (rows, C) -> (B, T, H, D) each, before the norms and RoPE. */
  private project(x: Tensor, B: number, T: number): [Tensor, Tensor, Tensor] {
    const D = this.headDim, Hq = this.nHeads, Hkv = this.nKvHeads;
    if (isFewRowDecode(B * T)) {
      const y = this.fusedProjection(x, B * T);
      const [q, k, v] = splitColumns(y, B * T, [[B, T, Hq, D], [B, T, Hkv, D], [B, T, Hkv, D]]);
      return [q, k, v];
    }
    return [
      reshape(this.q.forward(x), [B, T, Hq, D]),
      reshape(this.k.forward(x), [B, T, Hkv, D]),
      reshape(this.v.forward(x), [B, T, Hkv, D]),
    ];
  }

  /** (rows, C) -> (rows, Hq·D + 2·Hkv·D): [q | k | v] per row from one product, biases added. */
  private fusedProjection(x: Tensor, rows: number): Tensor {
    const y = matmul(x, this.qkv, { transB: true });
    addBiasRows(y.data, rows, this.qkvBias);
    return y;
  }

  /** x (B, T, C) -> (B, T, C). */
  forward(x: Tensor, ctx: AttentionContext): Tensor {
    const [B, T] = x.shape;
    const D = this.headDim;
    if (ctx.cacheK && ctx.cacheV && isFewRowDecode(B * T)) return this.decodeRows(x, ctx, ctx.cacheK, ctx.cacheV);
    const [q0, k0, v0] = this.project(x, B, T);
    const q = rope(this.qNorm ? this.qNorm.forward(q0) : q0, ctx.pos, this.rotary, this.maxSeqLen);
    let k = rope(this.kNorm ? this.kNorm.forward(k0) : k0, ctx.pos, this.rotary, this.maxSeqLen);
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
   * Rotates (after its per-head norm, if any) the H heads of one position p of a raw buffer into
   * `out`; used by the decode paths, which write keys straight into the cache.
   */
  private rotateHeads(src: Float32Array, H: number, p: number, norm: RMSNorm | null, out: Float32Array): void {
    const { cos, sin } = this.rotary;
    if (norm) {
      const t = scratch(src.length);
      t.set(src);
      norm.applyInPlace(t, H);
      src = t;
    }
    backend().kernels.rope(src, 1, 1, H, this.headDim, p, cos, sin, false, out);
  }

  /**
   * A few new rows against the cache (decoding, no gradients): one product over the fused q, k, v
   * weight, then q is rotated into its own tensor while k is rotated, and v copied, straight into
   * the cache slots: per-op costs, not arithmetic, dominate a step of one token.
   */
  private decodeRows(x: Tensor, ctx: AttentionContext, cacheK: Tensor, cacheV: Tensor): Tensor {
    const [B, T] = x.shape;
    const D = this.headDim, Hq = this.nHeads, Hkv = this.nKvHeads, Cq = Hq * D, Ck = Hkv * D, W = Cq + 2 * Ck;
    const Tmax = cacheK.shape[1];
    const y = this.fusedProjection(x, B * T).data; // (B·T, W): [q | k | v] per row
    const q = empty([B, T, Hq, D]);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        const r = (b * T + t) * W, p = ctx.pos + t, slot = (b * Tmax + p) * Ck;
        this.rotateHeads(y.subarray(r, r + Cq), Hq, p, this.qNorm, q.data.subarray((b * T + t) * Cq, (b * T + t + 1) * Cq));
        this.rotateHeads(y.subarray(r + Cq, r + Cq + Ck), Hkv, p, this.kNorm, cacheK.data.subarray(slot, slot + Ck));
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
    const lse = scratch(Hq); // from the pool: nothing fresh per token
    for (let r = 0; r < N; r++) {
      const c = caches[r], p = pos[r], Tmax = c.k.shape[1];
      const qr = q.data.subarray(r * Hq * D, (r + 1) * Hq * D);
      this.rotateHeads(qr, Hq, p, this.qNorm, qr);
      // New key and value go straight into the cache at position p.
      const kd = c.k.data.subarray(p * Hkv * D, (p + 1) * Hkv * D), vd = c.v.data.subarray(p * Hkv * D, (p + 1) * Hkv * D);
      this.rotateHeads(k.data.subarray(r * Hkv * D, (r + 1) * Hkv * D), Hkv, p, this.kNorm, kd);
      vd.set(v.data.subarray(r * Hkv * D, (r + 1) * Hkv * D));
      kern.attention(qr, c.k.data, c.v.data, 1, 1, Tmax, Hq, Hkv, D, p, null, 1 / Math.sqrt(D), out.data.subarray(r * Hq * D, (r + 1) * Hq * D), lse);
    }
    return this.o.forward(out);
  }
}
