// Weights as the runner reads them: each matrix is N rows of K values in one GGML type, a view
// of bytes that may live in a memory-mapped file (used in place) or in memory; norms and biases
// are small f32 vectors.
import { PonderError } from '../../errors.ts';
import { blockFormat, GGML_TYPE, quantize, rowBytes } from '../../quant/blocks.ts';
import type { Transformer } from '../../model/transformer.ts';
import { headDim } from '../../model/config.ts';
import type { RunnerConfig } from './config.ts';

export interface Matrix {
  type: number;
  /** Output rows. */
  N: number;
  /** Values per row. */
  K: number;
  bytes: Uint8Array;
}

export interface LayerWeights {
  attnNorm: Float32Array;
  q: Matrix; k: Matrix; v: Matrix; o: Matrix;
  qBias: Float32Array | null; kBias: Float32Array | null; vBias: Float32Array | null;
  qNorm: Float32Array | null; kNorm: Float32Array | null;
  ffnNorm: Float32Array;
  gate: Matrix; up: Matrix; down: Matrix;
}

export interface RunnerWeights {
  embed: Matrix;
  layers: LayerWeights[];
  outNorm: Float32Array;
  /** The LM head (the embedding itself when tied). */
  output: Matrix;
}

/** Weight types the quantised kernels multiply (src/backend/quant.ts). */
export const RUNNER_TYPES: ReadonlySet<number> = new Set([
  GGML_TYPE.F32, GGML_TYPE.F16, GGML_TYPE.BF16, GGML_TYPE.Q8_0, GGML_TYPE.Q4_0, GGML_TYPE.Q5_0, GGML_TYPE.Q4_K, GGML_TYPE.Q5_K, GGML_TYPE.Q6_K,
]);

/** A matrix view, checked: the bytes hold exactly N rows of K values of `type` (`what` names it in errors). */
export function matrix(type: number, N: number, K: number, bytes: Uint8Array, what: string): Matrix {
  if (!RUNNER_TYPES.has(type)) {
    throw new PonderError(`${what}: ${blockFormat(type, what).name} weights are not supported by the quantised runner (it multiplies F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K)`);
  }
  const need = rowBytes(type, K, what) * N;
  if (bytes.length !== need) throw new PonderError(`${what}: ${bytes.length} bytes for ${N} rows of ${K} values (${need} expected)`);
  return { type, N, K, bytes };
}

/** Bytes of every matrix, norm and bias: what a decode step reads per token (the embedding row aside). */
export function weightBytes(w: RunnerWeights): { matrices: number; perToken: number } {
  let matrices = w.embed.bytes.length + (w.output === w.embed ? 0 : w.output.bytes.length), small = w.outNorm.length * 4;
  for (const l of w.layers) {
    for (const m of [l.q, l.k, l.v, l.o, l.gate, l.up, l.down]) matrices += m.bytes.length;
    for (const v of [l.attnNorm, l.ffnNorm, l.qBias, l.kBias, l.vBias, l.qNorm, l.kNorm]) small += v ? v.length * 4 : 0;
  }
  const perToken = matrices - (w.output === w.embed ? 0 : w.embed.bytes.length) + small + rowBytes(w.embed.type, w.embed.K);
  return { matrices, perToken };
}

/**
 * The weights of a ponder Transformer for the runner, each matrix in `type` (F32 views the model's
 * own arrays; other types are encoded by src/quant). Used to test the runner against the model.
 */
export function weightsFromTransformer(model: Transformer, type: number = GGML_TYPE.F32): { config: RunnerConfig; weights: RunnerWeights } {
  const c = model.config, D = headDim(c);
  const named = new Map(model.namedParameters());
  const get = (name: string): Float32Array => {
    const t = named.get(name);
    if (!t) throw new PonderError(`weightsFromTransformer: the model has no ${name}`);
    return t.data;
  };
  const mat = (name: string, N: number, K: number): Matrix => {
    const f = get(name);
    const bytes = type === GGML_TYPE.F32 ? new Uint8Array(f.buffer, f.byteOffset, f.byteLength) : quantize(type, f);
    return matrix(type, N, K, bytes, name);
  };
  const opt = (name: string): Float32Array | null => named.get(name)?.data ?? null;
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.n_layers; i++) {
    const p = `model.layers.${i}.`;
    layers.push({
      attnNorm: get(`${p}input_layernorm.weight`),
      q: mat(`${p}self_attn.q_proj.weight`, c.n_heads * D, c.d_model),
      k: mat(`${p}self_attn.k_proj.weight`, c.n_kv_heads * D, c.d_model),
      v: mat(`${p}self_attn.v_proj.weight`, c.n_kv_heads * D, c.d_model),
      o: mat(`${p}self_attn.o_proj.weight`, c.d_model, c.n_heads * D),
      qBias: opt(`${p}self_attn.q_proj.bias`), kBias: opt(`${p}self_attn.k_proj.bias`), vBias: opt(`${p}self_attn.v_proj.bias`),
      qNorm: opt(`${p}self_attn.q_norm.weight`), kNorm: opt(`${p}self_attn.k_norm.weight`),
      ffnNorm: get(`${p}post_attention_layernorm.weight`),
      gate: mat(`${p}mlp.gate_proj.weight`, c.d_ff, c.d_model),
      up: mat(`${p}mlp.up_proj.weight`, c.d_ff, c.d_model),
      down: mat(`${p}mlp.down_proj.weight`, c.d_model, c.d_ff),
    });
  }
  const embed = mat('model.embed_tokens.weight', c.vocab_size, c.d_model);
  const output = c.tie_embeddings ? embed : mat('lm_head.weight', c.vocab_size, c.d_model);
  const config: RunnerConfig = {
    vocab: c.vocab_size, d: c.d_model, layers: c.n_layers, heads: c.n_heads, kvHeads: c.n_kv_heads, headDim: D,
    ff: c.d_ff, context: c.max_seq_len, ropeTheta: c.rope_theta, ropeScaling: c.rope_scaling ?? null,
    ropeFreqFactors: null, ropeStyle: 'neox', eps: c.norm_eps, qkvBias: !!c.qkv_bias, qkNorm: !!c.qk_norm,
  };
  return { config, weights: { embed, layers, outNorm: get('model.norm.weight'), output } };
}
