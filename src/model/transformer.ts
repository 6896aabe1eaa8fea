// The decoder-only transformer of the Llama/Qwen family, assembled from a config:
// token embedding -> n_layers × [x + attn(rmsnorm(x)); x + mlp(rmsnorm(x))] -> rmsnorm -> LM head.
// Llama, Qwen2 and Qwen3 differ only inside attention (q/k/v biases, per-head q/k norms, head
// width, RoPE scaling): options of one model, not three. Parameter names are Hugging Face's, so
// exported weights load in other tools unchanged.
import { add, embedding, matmul, parameter, reshape, slice, type Tensor } from '../tensor/index.ts';
import { Rng } from '../tensor/random.ts';
import { PonderError } from '../errors.ts';
import { Linear } from '../nn/linear.ts';
import { RMSNorm } from '../nn/rmsnorm.ts';
import { SelfAttention } from '../nn/attention.ts';
import { SwiGLU } from '../nn/mlp.ts';
import { KVCache } from '../nn/kvcache.ts';
import { countParams, headDim, type ModelConfig } from './config.ts';

class Block {
  readonly inputNorm: RMSNorm;
  readonly attn: SelfAttention;
  readonly postNorm: RMSNorm;
  readonly mlp: SwiGLU;

  constructor(c: ModelConfig, rng: Rng | null) {
    // Residual projections start smaller so the residual stream's variance does not grow with depth (GPT-2).
    const outStd = 0.02 / Math.sqrt(2 * c.n_layers);
    this.inputNorm = new RMSNorm(c.d_model, c.norm_eps);
    this.attn = new SelfAttention({
      d: c.d_model, nHeads: c.n_heads, nKvHeads: c.n_kv_heads, headDim: headDim(c), ropeTheta: c.rope_theta, ropeScaling: c.rope_scaling,
      maxSeqLen: c.max_seq_len, qkvBias: c.qkv_bias, qkNorm: c.qk_norm, normEps: c.norm_eps,
    }, rng, outStd);
    this.postNorm = new RMSNorm(c.d_model, c.norm_eps);
    this.mlp = new SwiGLU(c.d_model, c.d_ff, rng, outStd);
  }
}

export interface ForwardOptions {
  /** Decode with this cache: x's tokens sit at positions cache.length.. and are appended to it. */
  cache?: KVCache;
  /** Per row, the first position that is real (rows are left-padded to a common length). */
  keyStart?: Int32Array | null;
  /** Compute logits for the last position only (B, 1, V): what sampling needs. */
  lastOnly?: boolean;
}

export interface TransformerOptions {
  /** false: weights start at zero (norms at one), for a model whose weights are read next. Default true. */
  randomInit?: boolean;
}

export class Transformer {
  readonly config: ModelConfig;
  readonly embed: Tensor; // (V, C)
  readonly blocks: Block[];
  readonly norm: RMSNorm;
  readonly lmHead: Linear | null; // (V, C) when untied

  constructor(config: ModelConfig, seed = 0, opts: TransformerOptions = {}) {
    this.config = config;
    const rng = opts.randomInit === false ? null : new Rng(seed);
    const e = new Float32Array(config.vocab_size * config.d_model);
    if (rng) for (let i = 0; i < e.length; i++) e[i] = rng.normal() * 0.02;
    this.embed = parameter(e, [config.vocab_size, config.d_model]);
    this.blocks = Array.from({ length: config.n_layers }, () => new Block(config, rng));
    this.norm = new RMSNorm(config.d_model, config.norm_eps);
    this.lmHead = config.tie_embeddings ? null : new Linear(config.d_model, config.vocab_size, rng);
  }

  /** Every parameter with its Hugging Face name, in a fixed order. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [['model.embed_tokens.weight', this.embed]];
    this.blocks.forEach((b, i) => {
      const p = `model.layers.${i}.`, a = b.attn;
      out.push(
        [`${p}input_layernorm.weight`, b.inputNorm.weight],
        [`${p}self_attn.q_proj.weight`, a.q.weight],
        [`${p}self_attn.k_proj.weight`, a.k.weight],
        [`${p}self_attn.v_proj.weight`, a.v.weight],
      );
      if (a.q.bias && a.k.bias && a.v.bias) {
        out.push([`${p}self_attn.q_proj.bias`, a.q.bias], [`${p}self_attn.k_proj.bias`, a.k.bias], [`${p}self_attn.v_proj.bias`, a.v.bias]);
      }
      if (a.qNorm && a.kNorm) out.push([`${p}self_attn.q_norm.weight`, a.qNorm.weight], [`${p}self_attn.k_norm.weight`, a.kNorm.weight]);
      out.push(
        [`${p}self_attn.o_proj.weight`, a.o.weight],
        [`${p}post_attention_layernorm.weight`, b.postNorm.weight],
        [`${p}mlp.gate_proj.weight`, b.mlp.gate.weight],
        [`${p}mlp.up_proj.weight`, b.mlp.up.weight],
        [`${p}mlp.down_proj.weight`, b.mlp.down.weight],
      );
    });
    out.push(['model.norm.weight', this.norm.weight]);
    if (this.lmHead) out.push(['lm_head.weight', this.lmHead.weight]);
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  paramCount(): number {
    return countParams(this.config);
  }

  /** A KV cache for B rows of up to maxLen positions. */
  newCache(B: number, maxLen = this.config.max_seq_len): KVCache {
    const c = this.config;
    return new KVCache(c.n_layers, B, maxLen, c.n_kv_heads, headDim(c));
  }

  /** ids (B·T, row-major) -> logits (B, T, V), or (B, 1, V) with lastOnly. */
  forward(ids: Int32Array, B: number, T: number, opts: ForwardOptions = {}): Tensor {
    const c = this.config;
    if (ids.length !== B * T) throw new PonderError(`forward: ${ids.length} ids for a (${B}, ${T}) batch`);
    const pos = opts.cache?.length ?? 0;
    const maxLen = opts.cache?.Tmax ?? c.max_seq_len;
    if (pos + T > maxLen) throw new PonderError(`the sequence (${pos + T} tokens) is longer than the context of ${maxLen}`);
    let x = embedding(this.embed, ids, [B, T]);
    this.blocks.forEach((b, i) => {
      const ctx = { pos, keyStart: opts.keyStart, cacheK: opts.cache?.k[i], cacheV: opts.cache?.v[i] };
      x = add(x, b.attn.forward(b.inputNorm.forward(x), ctx));
      x = add(x, b.mlp.forward(b.postNorm.forward(x)));
    });
    if (opts.cache) opts.cache.length = pos + T;
    if (opts.lastOnly && T > 1) x = slice(x, 1, T - 1, T);
    x = this.norm.forward(x);
    return this.lmHead ? this.lmHead.forward(x) : matmul(x, this.embed, { transB: true });
  }

  /**
   * Continuous batching: one next token for each of N independent sequences, each with its own
   * single-row cache (newCache(1)) and its own length. Returns logits (N, 1, V) and advances every
   * cache by one. No gradients (inference only).
   */
  decodeStep(tokens: Int32Array, caches: KVCache[]): Tensor {
    const N = tokens.length;
    if (caches.length !== N) throw new PonderError(`decodeStep: ${N} tokens for ${caches.length} caches`);
    const pos = caches.map((c) => c.length);
    caches.forEach((c, i) => {
      if (c.B !== 1) throw new PonderError('decodeStep: each sequence needs its own single-row cache');
      if (c.length >= c.Tmax) throw new PonderError(`decodeStep: sequence ${i} has filled its context of ${c.Tmax}`);
    });
    let x = embedding(this.embed, tokens, [N, 1]);
    this.blocks.forEach((b, l) => {
      x = add(x, b.attn.decode(b.inputNorm.forward(x), caches.map((c) => ({ k: c.k[l], v: c.v[l] })), pos));
      x = add(x, b.mlp.forward(b.postNorm.forward(x)));
    });
    for (const c of caches) c.length++;
    x = this.norm.forward(x);
    return this.lmHead ? this.lmHead.forward(x) : matmul(x, this.embed, { transB: true });
  }

  /** Reshapes logits (B, T, V) to rows (B·T, V) for the losses. */
  static rows(logits: Tensor): Tensor {
    return reshape(logits, [-1, logits.shape[logits.rank - 1]]);
  }
}
