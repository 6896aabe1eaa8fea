// Random-weight test models of the real architectures, as ModelParts-like sources: weights large
// enough that next-token distributions are peaked (a comparison of near-uniform distributions
// would say little), shapes chosen to be awkward (GQA, head_dim != d_model / n_heads, biases, q/k norms).
import { hfConfigFromModel, expectedTensors } from '../../src/model/hf-config.ts';
import type { ModelConfig } from '../../src/model/config.ts';
import type { GgufModelSource } from '../../src/io/gguf-model.ts';
import { writeGgufModel, type GgufDtype } from '../../src/io/gguf-model.ts';
import { loadAnyModel } from '../../src/model/load.ts';
import { loadTokenizer, toTokenizerJson } from '../../src/tokenizer/index.ts';
import { randn } from '../helpers.ts';
import { loadLlamaModel, llamaProbs, ponderProbs, topK } from './gguf-llama.ts';
import { R1_ZERO_MODEL } from '../../src/cli/shared.ts';
import { join } from 'node:path';

export const TEST_CONFIGS: Record<string, ModelConfig> = {
  llama: {
    architecture: 'LlamaForCausalLM', vocab_size: 270, d_model: 96, n_layers: 2, n_heads: 6, n_kv_heads: 2, head_dim: 24,
    d_ff: 160, max_seq_len: 64, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: false,
    rope_scaling: { rope_type: 'llama3', factor: 4, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 32 },
  },
  qwen2: {
    architecture: 'Qwen2ForCausalLM', vocab_size: 270, d_model: 64, n_layers: 2, n_heads: 4, n_kv_heads: 2, qkv_bias: true,
    d_ff: 128, max_seq_len: 64, rope_theta: 1000000, norm_eps: 1e-6, tie_embeddings: true,
  },
  qwen3: {
    architecture: 'Qwen3ForCausalLM', vocab_size: 270, d_model: 64, n_layers: 2, n_heads: 4, n_kv_heads: 1, head_dim: 32, qk_norm: true,
    d_ff: 96, max_seq_len: 64, rope_theta: 1000000, norm_eps: 1e-6, tie_embeddings: false,
  },
  // Rows of 256 and 512 values: every matrix fits Q4_K and Q6_K super-blocks.
  llama256: {
    architecture: 'LlamaForCausalLM', vocab_size: 270, d_model: 256, n_layers: 2, n_heads: 4, n_kv_heads: 2,
    d_ff: 512, max_seq_len: 64, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: false,
  },
};

/** Random weights for a config: norms near 1, projections scaled to keep activations O(1). */
export function randomWeights(c: ModelConfig, seed: number): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  let s = seed;
  for (const [name, shape] of expectedTensors(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (name.endsWith('norm.weight')) data = randn(n, s++, 0.2).map((v) => 1 + v);
    else if (name.endsWith('.bias')) data = randn(n, s++, 0.3);
    else if (name === 'model.embed_tokens.weight') data = randn(n, s++, 1);
    else data = randn(n, s++, 1.6 / Math.sqrt(shape[1]));
    out.set(name, { shape, data });
  }
  return out;
}

/** A test model with the R1-Zero multiplier's tokenizer (270 tokens) as its vocabulary. */
export function testModelSource(c: ModelConfig, seed: number): GgufModelSource & { weights: Map<string, { shape: number[]; data: Float32Array }> } {
  const weights = randomWeights(c, seed);
  const tok = loadTokenizer(join(R1_ZERO_MODEL, 'tokenizer.json'));
  return {
    weights,
    hfConfig: hfConfigFromModel(c, { bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 }),
    tensorNames: () => [...weights.keys()],
    tensorShape: (n) => [...weights.get(n)!.shape],
    tensor: (n) => weights.get(n)!.data,
    tokenizerJson: toTokenizerJson(tok),
    source: `test-${c.architecture}`,
  };
}

const tok = loadTokenizer(join(R1_ZERO_MODEL, 'tokenizer.json'));
export const TEXT = [1, ...tok.encode('What is 347 * 58? Let me think: 7*8=56, carry 5. Ok, the answer is 20126.')].slice(0, 40);

export interface Agreement {
  maxDiff: number;
  /** Share of positions where both rank the same token first. */
  top1: number;
  /** The same, counting only positions where ponder's first token leads its second by more than 0.05. */
  top1Decisive: number;
  top5: number;
  positions: number;
  /** Ponder's probabilities, for comparisons between files. */
  ours: Float32Array[];
}

/** Writes test model `name` to `path` in `dtype`; ponder and llama.cpp both run it on TEXT. */
export async function compareOnFile(path: string, name: string, dtype: GgufDtype, seed: number): Promise<Agreement> {
  writeGgufModel(path, testModelSource(TEST_CONFIGS[name], seed), dtype);
  const ours = ponderProbs(loadAnyModel(path).model, TEXT);
  const model = await loadLlamaModel(path);
  let theirs: Map<number, number>[];
  try { theirs = await llamaProbs(model, TEXT, 64); } finally { await model.dispose(); }
  let maxDiff = 0, top1 = 0, top5 = 0, decisive = 0, decisiveSame = 0;
  ours.forEach((p, t) => {
    const q = new Float32Array(p.length);
    for (const [id, v] of theirs[t]) q[id] = v;
    for (let v = 0; v < p.length; v++) maxDiff = Math.max(maxDiff, Math.abs(p[v] - q[v]));
    const [a, b] = topK(p, 2);
    if (a === topK(q, 1)[0]) top1++;
    if (p[a] - p[b] > 0.05) { decisive++; if (a === topK(q, 1)[0]) decisiveSame++; }
    if (topK(p, 5).join() === topK(q, 5).join()) top5++;
  });
  return { maxDiff, top1: top1 / TEXT.length, top1Decisive: decisiveSame / decisive, top5: top5 / TEXT.length, positions: TEXT.length, ours };
}

