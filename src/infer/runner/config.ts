// The shape of a model as the inference runner needs it, whatever file it came from.
import { headDim, type ModelConfig, type RopeScaling } from '../../model/config.ts';

export interface RunnerConfig {
  vocab: number;
  d: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ff: number;
  /** Positions the model was trained for (its context limit). */
  context: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  /** Per-frequency divisors of RoPE (GGUF's rope_freqs tensor, how llama.cpp stores llama3 scaling), or null. */
  ropeFreqFactors: Float32Array | null;
  /**
   * 'neox': rotate halves (x[i], x[i + D/2]), Hugging Face's convention and GGUF qwen2/qwen3's;
   * 'pairs': rotate adjacent pairs (x[2i], x[2i + 1]), GGUF llama's, whose q/k rows are permuted
   * so that this equals the Hugging Face model.
   */
  ropeStyle: 'neox' | 'pairs';
  eps: number;
  qkvBias: boolean;
  qkNorm: boolean;
}

/**
 * The runner's view of a Hugging Face-layout model (a ponder Transformer or a Hugging Face folder):
 * the same options the float32 Transformer reads, with RoPE on rotated halves ('neox'), because
 * Hugging Face stores q/k rows unpermuted.
 */
export function runnerConfigFromModel(c: ModelConfig): RunnerConfig {
  return {
    vocab: c.vocab_size, d: c.d_model, layers: c.n_layers, heads: c.n_heads, kvHeads: c.n_kv_heads, headDim: headDim(c),
    ff: c.d_ff, context: c.max_seq_len, ropeTheta: c.rope_theta, ropeScaling: c.rope_scaling ?? null,
    ropeFreqFactors: null, ropeStyle: 'neox', eps: c.norm_eps, qkvBias: !!c.qkv_bias, qkNorm: !!c.qk_norm,
  };
}
