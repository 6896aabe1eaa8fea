// Inference on quantised weights used in place: the forward pass of the Llama/Qwen2/Qwen3
// transformer (the same math as src/model/transformer.ts) written for serving, with no autograd,
// no f32 copy of the weights and no allocation per token.
//
// A step runs R rows at once: the prompt's tokens (prefill, in chunks of maxBatchTokens) or one
// token of each of N sequences (a continuous-batching decode step). Every projection is one
// product over all R rows through the quantised kernels (R = 1: a GEMV streaming each weight
// once; R > 1: the weights' blocks are reused across rows), attention runs per sequence over its
// f16 cache (flash-style, src/backend/quant.ts), the rest (norms, SwiGLU, residual adds) are the
// backend's kernels. Buffers grow to the largest step seen and are reused.
import { PonderError } from '../../errors.ts';
import { backend } from '../../backend/index.ts';
import { quantKernels, type QuantKernels } from '../../backend/quant.ts';
import type { Kernels } from '../../backend/kernels.ts';
import type { RunnerConfig } from './config.ts';
import type { Matrix, RunnerWeights } from './weights.ts';
import { newRunnerCache, type RunnerCache } from './cache.ts';
import { Rotary } from './rope.ts';

export interface RunnerOptions {
  /** Prompt tokens per prefill product (default 512): bounds the activation buffers. */
  maxBatchTokens?: number;
  /**
   * How the LM head's input is quantised for Q8_0 weights: 'fine' (default: ~15 bits, ggml's int8
   * blocks plus their residual; the logits see this rounding undiluted, and it was the whole of
   * Q8_0's error beyond the weights' own rounding) or 'ggml' (int8 blocks, llama.cpp's logits).
   */
  headActivations?: 'fine' | 'ggml';
}

/** Logits as the engine reads them (`.data`): valid until the runner's next call. */
export interface Logits {
  data: Float32Array;
  shape: number[];
}

/** Prompt rows per MLP product: enough to reuse each unpacked weight row, and its buffers stay small. */
const MLP_ROWS = 128;

class Buffers {
  x = new Float32Array(0); h = new Float32Array(0); q = new Float32Array(0); k = new Float32Array(0); v = new Float32Array(0);
  att = new Float32Array(0); o = new Float32Array(0); g = new Float32Array(0); u = new Float32Array(0);
  rstd = new Float32Array(0); cos = new Float32Array(0); sin = new Float32Array(0); pos = new Int32Array(0);
  rows = 0;

  ensure(c: RunnerConfig, rows: number): void {
    if (rows <= this.rows) return;
    const qd = c.heads * c.headDim, kd = c.kvHeads * c.headDim;
    this.x = new Float32Array(rows * c.d); this.h = new Float32Array(rows * c.d); this.o = new Float32Array(rows * c.d);
    this.q = new Float32Array(rows * qd); this.att = new Float32Array(rows * qd);
    this.k = new Float32Array(rows * kd); this.v = new Float32Array(rows * kd);
    this.g = new Float32Array(Math.min(rows, MLP_ROWS) * c.ff); this.u = new Float32Array(Math.min(rows, MLP_ROWS) * c.ff);
    this.rstd = new Float32Array(rows * Math.max(c.heads, 1));
    this.cos = new Float32Array(rows * c.headDim / 2); this.sin = new Float32Array(rows * c.headDim / 2);
    this.pos = new Int32Array(rows);
    this.rows = rows;
  }
}

export class Runner {
  /** The two fields of a model config the generation engine reads. */
  readonly config: { vocab_size: number; max_seq_len: number };
  readonly maxBatchTokens: number;
  private readonly fineHead: boolean;
  private readonly k: Kernels;
  private readonly qk: QuantKernels;
  private readonly rotary: Rotary;
  private readonly buf = new Buffers();
  private logitsBuf = new Float32Array(0);
  private normed = new Float32Array(0);
  private ids = new Int32Array(0);

  constructor(readonly cfg: RunnerConfig, readonly weights: RunnerWeights, opts: RunnerOptions = {}) {
    this.config = { vocab_size: cfg.vocab, max_seq_len: cfg.context };
    this.maxBatchTokens = opts.maxBatchTokens ?? 512;
    this.fineHead = (opts.headActivations ?? 'fine') === 'fine';
    this.k = backend().kernels;
    this.qk = quantKernels();
    this.rotary = new Rotary(cfg);
  }

  /** A KV cache for one sequence of up to maxLen positions (B must be 1: one cache per sequence). */
  newCache(B = 1, maxLen = this.cfg.context): RunnerCache {
    if (B !== 1) throw new PonderError(`runner: one cache per sequence (B = 1), not ${B}`);
    return newRunnerCache(this.cfg, maxLen);
  }

  /**
   * The prompt `ids` (B = 1, T tokens) through the model, appended to the cache. Logits of the
   * last position (lastOnly, (1, 1, V)) or of every position ((1, T, V)).
   */
  forward(ids: Int32Array, B: number, T: number, opts: { cache?: RunnerCache; lastOnly?: boolean } = {}): Logits {
    if (B !== 1 || ids.length !== T || T < 1) throw new PonderError(`runner.forward: one sequence of T >= 1 tokens, got B = ${B}, T = ${T}, ${ids.length} ids`);
    const cache = opts.cache ?? this.newCache(1, T);
    if (cache.length + T > cache.Tmax) throw new PonderError(`the sequence (${cache.length + T} tokens) is longer than the cache of ${cache.Tmax}`);
    this.checkIds(ids);
    const V = this.cfg.vocab, outRows = opts.lastOnly ? 1 : T;
    const logits = this.logits(outRows);
    for (let t0 = 0; t0 < T; t0 += this.maxBatchTokens) {
      const n = Math.min(this.maxBatchTokens, T - t0);
      const pos = this.positions(n, (r) => cache.length + r);
      this.layers(ids.subarray(t0, t0 + n), n, pos, [cache], [n]);
      cache.length += n;
      if (opts.lastOnly) {
        if (t0 + n === T) this.head(n - 1, 1, logits);
      } else this.head(0, n, logits.subarray(t0 * V, (t0 + n) * V));
    }
    return { data: logits, shape: [1, outRows, V] };
  }

  /** One next-token step for each of N sequences, each with its own cache: logits (N, 1, V). */
  decodeStep(tokens: Int32Array, caches: RunnerCache[]): Logits {
    const N = tokens.length;
    if (caches.length !== N) throw new PonderError(`decodeStep: ${N} tokens for ${caches.length} caches`);
    caches.forEach((c, i) => { if (c.length >= c.Tmax) throw new PonderError(`decodeStep: sequence ${i} has filled its context of ${c.Tmax}`); });
    this.checkIds(tokens);
    const pos = this.positions(N, (r) => caches[r].length);
    this.layers(tokens, N, pos, caches, caches.map(() => 1));
    for (const c of caches) c.length++;
    const logits = this.logits(N);
    this.head(0, N, logits);
    return { data: logits, shape: [N, 1, this.cfg.vocab] };
  }

  private checkIds(ids: Int32Array): void {
    for (const t of ids) if (!(t >= 0 && t < this.cfg.vocab)) throw new PonderError(`runner: token ${t} is outside the vocabulary [0, ${this.cfg.vocab})`);
  }

  private logits(rows: number): Float32Array {
    if (this.logitsBuf.length < rows * this.cfg.vocab) this.logitsBuf = new Float32Array(rows * this.cfg.vocab);
    return this.logitsBuf.subarray(0, rows * this.cfg.vocab);
  }

  private positions(rows: number, at: (r: number) => number): Int32Array {
    this.buf.ensure(this.cfg, rows);
    const p = this.buf.pos;
    for (let r = 0; r < rows; r++) p[r] = at(r);
    return p;
  }

  private matmul(m: Matrix, x: Float32Array, rows: number, y: Float32Array): void {
    this.qk.quantMatmul(m.type, m.bytes, m.N, m.K, x, rows, y);
  }

  /**
   * Every layer over `rows` rows (leaving the residual stream in buf.x): the rows are split into
   * sequences of lens[i] consecutive rows, sequence i appending to caches[i]. Each layer's two
   * blocks are methods of their own: V8 optimises a hot function whole, and one function holding
   * the whole layer took ~2.5 MiB of compiler memory at once, mid-generation (the peak of a bare
   * `ponder generate`, docs/inference.md); the work itself is in the native kernels.
   */
  private layers(ids: Int32Array, rows: number, pos: Int32Array, caches: RunnerCache[], lens: number[]): void {
    const c = this.cfg, b = this.buf;
    if (this.ids.length < rows) this.ids = new Int32Array(rows);
    this.ids.set(ids.subarray(0, rows));
    this.qk.quantGetRows(this.weights.embed.type, this.weights.embed.bytes, c.d, this.ids, rows, b.x);
    this.rotary.tables(pos, rows, b.cos, b.sin);
    for (let l = 0; l < c.layers; l++) {
      this.attentionBlock(l, rows, caches, lens);
      this.mlpBlock(l, rows);
    }
  }

  /** x += attention(rmsnorm(x)) for layer l, appending each sequence's keys and values to its cache. */
  private attentionBlock(l: number, rows: number, caches: RunnerCache[], lens: number[]): void {
    const c = this.cfg, b = this.buf, k = this.k, L = this.weights.layers[l];
    const D = c.headDim, qd = c.heads * D, kd = c.kvHeads * D, scale = 1 / Math.sqrt(D);
    const x = b.x.subarray(0, rows * c.d), h = b.h.subarray(0, rows * c.d), o = b.o.subarray(0, rows * c.d);
    const q = b.q.subarray(0, rows * qd), kk = b.k.subarray(0, rows * kd), v = b.v.subarray(0, rows * kd);
    k.rmsnorm(x, L.attnNorm, rows, c.d, c.eps, h, b.rstd);
    this.qk.quantMatmulMulti(h, rows, c.d, [[L.q.type, L.q.bytes, L.q.N, q], [L.k.type, L.k.bytes, L.k.N, kk], [L.v.type, L.v.bytes, L.v.N, v]]);
    if (L.qBias) k.binary('add', q, rows * qd, L.qBias, qd, q);
    if (L.kBias) k.binary('add', kk, rows * kd, L.kBias, kd, kk);
    if (L.vBias) k.binary('add', v, rows * kd, L.vBias, kd, v);
    if (L.qNorm) { k.rmsnorm(q, L.qNorm, rows * c.heads, D, c.eps, b.att, b.rstd); q.set(b.att.subarray(0, rows * qd)); }
    if (L.kNorm) { k.rmsnorm(kk, L.kNorm, rows * c.kvHeads, D, c.eps, b.att, b.rstd); kk.set(b.att.subarray(0, rows * kd)); }
    this.rotary.apply(q, rows, c.heads, b.cos, b.sin);
    this.rotary.apply(kk, rows, c.kvHeads, b.cos, b.sin);
    for (let s = 0, r0 = 0; s < caches.length; r0 += lens[s], s++) {
      const cache = caches[s], n = lens[s], p = cache.length;
      this.qk.cacheWriteF16(kk.subarray(r0 * kd, (r0 + n) * kd), v.subarray(r0 * kd, (r0 + n) * kd), n, kd, p, cache.k[l], cache.v[l]);
      this.qk.attentionF16(q.subarray(r0 * qd, (r0 + n) * qd), cache.k[l], cache.v[l], n, c.heads, c.kvHeads, D, p, scale,
        b.att.subarray(r0 * qd, (r0 + n) * qd));
    }
    this.matmul(L.o, b.att.subarray(0, rows * qd), rows, o);
    k.binary('add', x, rows * c.d, o, rows * c.d, x);
  }

  /** x += SwiGLU MLP(rmsnorm(x)) for layer l, MLP_ROWS rows at a time: its (rows, d_ff) buffers are the largest. */
  private mlpBlock(l: number, rows: number): void {
    const c = this.cfg, b = this.buf, k = this.k, L = this.weights.layers[l];
    const x = b.x.subarray(0, rows * c.d), h = b.h.subarray(0, rows * c.d), o = b.o.subarray(0, rows * c.d);
    k.rmsnorm(x, L.ffnNorm, rows, c.d, c.eps, h, b.rstd);
    for (let r0 = 0; r0 < rows; r0 += MLP_ROWS) {
      const n = Math.min(MLP_ROWS, rows - r0), hr = h.subarray(r0 * c.d, (r0 + n) * c.d);
      const gr = b.g.subarray(0, n * c.ff), ur = b.u.subarray(0, n * c.ff), or = o.subarray(r0 * c.d, (r0 + n) * c.d);
      this.qk.quantMatmulMulti(hr, n, c.d, [[L.gate.type, L.gate.bytes, L.gate.N, gr], [L.up.type, L.up.bytes, L.up.N, ur]]);
      k.swiglu(gr, ur, n * c.ff, gr);
      this.matmul(L.down, gr, n, or);
    }
    k.binary('add', x, rows * c.d, o, rows * c.d, x);
  }

  /** Logits of rows [r0, r0 + n) of the residual stream into out (n, V). */
  private head(r0: number, n: number, out: Float32Array): void {
    const c = this.cfg, w = this.weights;
    if (this.normed.length < n * c.d) this.normed = new Float32Array(n * c.d);
    const xn = this.normed.subarray(0, n * c.d);
    this.k.rmsnorm(this.buf.x.subarray(r0 * c.d, (r0 + n) * c.d), w.outNorm, n, c.d, c.eps, xn, this.buf.rstd);
    this.qk.quantMatmul(w.output.type, w.output.bytes, w.output.N, w.output.K, xn, n, out, this.fineHead);
  }
}
