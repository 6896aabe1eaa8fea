// Small models of each architecture ponder runs, with odd shapes on purpose: GQA ratios of 3 and
// 5, head_dim different from d_model / n_heads, tied and untied heads, biases, q/k norms, llama3
// RoPE scaling whose three frequency bands (kept, interpolated, slowed) all occur.
import { validateConfig, type ModelConfig } from '../../src/model/config.ts';
import { Transformer } from '../../src/model/transformer.ts';
import { randn } from '../helpers.ts';

export const VARIANTS: Record<string, ModelConfig> = {
  llama3: validateConfig({
    architecture: 'LlamaForCausalLM', vocab_size: 96, d_model: 48, n_layers: 2, n_heads: 6, n_kv_heads: 2, head_dim: 10, d_ff: 72,
    max_seq_len: 32, rope_theta: 500, tie_embeddings: false,
    rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 100 },
  }),
  qwen2: validateConfig({
    architecture: 'Qwen2ForCausalLM', vocab_size: 90, d_model: 40, n_layers: 2, n_heads: 5, n_kv_heads: 1, d_ff: 56,
    max_seq_len: 32, rope_theta: 1e6, norm_eps: 1e-6, tie_embeddings: true, qkv_bias: true,
  }),
  qwen3: validateConfig({
    architecture: 'Qwen3ForCausalLM', vocab_size: 80, d_model: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, head_dim: 12, d_ff: 48,
    max_seq_len: 32, rope_theta: 1e6, norm_eps: 1e-6, tie_embeddings: false, qk_norm: true,
  }),
};

/** A model of config c whose norms and biases are away from their initial 1 and 0, so mistakes in them show. */
export function trainedLooking(c: ModelConfig, seed: number): Transformer {
  const m = new Transformer(c, seed);
  let s = seed * 101;
  for (const [name, p] of m.namedParameters()) {
    if (name.endsWith('norm.weight')) p.data.forEach((_, i) => { p.data[i] = 0.7 + 0.02 * ((i * 7 + s) % 29); });
    else if (name.endsWith('.bias')) p.data.set(randn(p.size, ++s, 0.5));
  }
  return m;
}
