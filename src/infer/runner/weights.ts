// Weights as the runner reads them: each matrix is N rows of K values in one GGML type, a view
// of bytes that may live in a memory-mapped file (used in place) or in memory; norms and biases
// are small f32 vectors.
import { PonderError } from '../../errors.ts';
import { blockFormat, GGML_TYPE, quantize, rowBytes } from '../../quant/blocks.ts';
import type { Transformer } from '../../model/transformer.ts';
import { headDim, type ModelConfig } from '../../model/config.ts';
import { runnerConfigFromModel, type RunnerConfig } from './config.ts';

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

/** How a builder reads weights by their Hugging Face names (model.layers.0.self_attn.q_proj.weight, ...). */
export interface HfWeightSource {
  /** A projection of N rows of K values (Hugging Face's (out, in) layout). */
  mat(name: string, N: number, K: number): Matrix;
  /** A norm or bias of n values as f32. */
  vec(name: string, n: number): Float32Array;
  /** Whether the model has this weight (biases, q/k norms). */
  has(name: string): boolean;
}

/** The runner's weights of a Hugging Face-layout model of config c, each read through `src`. */
export function weightsByHfNames(c: ModelConfig, src: HfWeightSource): RunnerWeights {
  const D = headDim(c), qd = c.n_heads * D, kd = c.n_kv_heads * D, C = c.d_model;
  const opt = (name: string, n: number): Float32Array | null => (src.has(name) ? src.vec(name, n) : null);
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.n_layers; i++) {
    const p = `model.layers.${i}.`;
    layers.push({
      attnNorm: src.vec(`${p}input_layernorm.weight`, C),
      q: src.mat(`${p}self_attn.q_proj.weight`, qd, C),
      k: src.mat(`${p}self_attn.k_proj.weight`, kd, C),
      v: src.mat(`${p}self_attn.v_proj.weight`, kd, C),
      o: src.mat(`${p}self_attn.o_proj.weight`, C, qd),
      qBias: opt(`${p}self_attn.q_proj.bias`, qd), kBias: opt(`${p}self_attn.k_proj.bias`, kd), vBias: opt(`${p}self_attn.v_proj.bias`, kd),
      qNorm: opt(`${p}self_attn.q_norm.weight`, D), kNorm: opt(`${p}self_attn.k_norm.weight`, D),
      ffnNorm: src.vec(`${p}post_attention_layernorm.weight`, C),
      gate: src.mat(`${p}mlp.gate_proj.weight`, c.d_ff, C),
      up: src.mat(`${p}mlp.up_proj.weight`, c.d_ff, C),
      down: src.mat(`${p}mlp.down_proj.weight`, C, c.d_ff),
    });
  }
  const embed = src.mat('model.embed_tokens.weight', c.vocab_size, C);
  const output = c.tie_embeddings ? embed : src.mat('lm_head.weight', c.vocab_size, C);
  return { embed, layers, outNorm: src.vec('model.norm.weight', C), output };
}

/**
 * The weights of a ponder Transformer for the runner, each matrix in `type` (F32 views the model's
 * own arrays; other types are encoded by src/quant). Used to test the runner against the model.
 */
export function weightsFromTransformer(model: Transformer, type: number = GGML_TYPE.F32): { config: RunnerConfig; weights: RunnerWeights } {
  const named = new Map(model.namedParameters());
  const get = (name: string): Float32Array => {
    const t = named.get(name);
    if (!t) throw new PonderError(`weightsFromTransformer: the model has no ${name}`);
    return t.data;
  };
  const weights = weightsByHfNames(model.config, {
    mat: (name, N, K) => {
      const f = get(name);
      const bytes = type === GGML_TYPE.F32 ? new Uint8Array(f.buffer, f.byteOffset, f.byteLength) : quantize(type, f);
      return matrix(type, N, K, bytes, name);
    },
    vec: (name) => get(name),
    has: (name) => named.has(name),
  });
  return { config: runnerConfigFromModel(model.config), weights };
}
