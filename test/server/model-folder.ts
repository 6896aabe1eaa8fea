// A tiny random DeepSeek-R1-style model in a Hugging Face folder, written offline for the tests of
// `--model`: a Qwen2 (q/k/v biases, GQA, untied head) with a small trained byte-level BPE whose
// special tokens carry R1's names, and R1's chat template, whose generation prompt opens <think>.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig, type ModelConfig } from '../../src/model/config.ts';
import { hfConfigFromModel } from '../../src/model/hf-config.ts';
import { writeHfFolder } from '../../src/io/hf.ts';
import { trainBpe, toTokenizerJson, SPECIAL_TOKENS } from '../../src/tokenizer/index.ts';
import { randn } from '../helpers.ts';

export const R1_TEMPLATE = readFileSync(fileURLToPath(new URL('../fixtures/deepseek-r1-chat-template.jinja', import.meta.url)), 'utf8');
const corpus = readFileSync(fileURLToPath(new URL('../fixtures/tokenizer-corpus.txt', import.meta.url)), 'utf8').split('\n');

// Ponder's eight special ids, renamed to DeepSeek-R1's markers (<think> and </think> are not
// special in R1's tokenizer: they are text of the reply).
export const R1_NAMES = ['<｜▁pad▁｜>', '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>', '<｜System｜>', '<｜User｜>', '<｜Assistant｜>', '<think>', '</think>'];
export const EOS = 2, THINK_OPEN = 6, THINK_CLOSE = 7;

export const R1_TOKENIZER_CONFIG = {
  chat_template: R1_TEMPLATE, bos_token: R1_NAMES[1], eos_token: R1_NAMES[2], add_bos_token: true, clean_up_tokenization_spaces: false,
};

/** tokenizer.json of a small trained BPE with R1's marker names. */
export function r1TokenizerJson(): Record<string, unknown> {
  const json = toTokenizerJson(trainBpe(corpus, 300)) as Record<string, any>;
  json.added_tokens = json.added_tokens.map((t: { id: number }) => ({ ...t, content: R1_NAMES[t.id], special: t.id < THINK_OPEN }));
  for (const [id, s] of SPECIAL_TOKENS.entries()) { delete json.model.vocab[s]; json.model.vocab[R1_NAMES[id]] = id; }
  return json;
}

/**
 * Writes the model to `folder`. Its last channel is a constant (every embedding holds 3 there and
 * no layer writes to it), so that column of lm_head is a bias per token: </think> and EOS are
 * likely enough to both occur in a short reply, while the rest of each logit still depends on
 * the prompt. Returns the config and the tokenizer.json written.
 */
export function writeR1Folder(folder: string): { config: ModelConfig; tokenizerJson: Record<string, unknown> } {
  const tokenizerJson = r1TokenizerJson();
  const vocab = Object.keys((tokenizerJson.model as { vocab: object }).vocab).length;
  const config = validateConfig({
    architecture: 'Qwen2ForCausalLM', vocab_size: vocab + 6, d_model: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 48,
    max_seq_len: 512, rope_theta: 1e6, norm_eps: 1e-6, tie_embeddings: false, qkv_bias: true,
  });
  const m = new Transformer(config, 5);
  const d = config.d_model, k = d - 1;
  const p = new Map(m.namedParameters());
  const embed = p.get('model.embed_tokens.weight')!.data, head = p.get('lm_head.weight')!.data;
  embed.set(randn(embed.length, 6, 1));
  head.set(randn(head.length, 7, 0.3));
  for (let t = 0; t < config.vocab_size; t++) { embed[t * d + k] = 3; head[t * d + k] = 0; }
  head[THINK_CLOSE * d + k] = 1.6;
  head[EOS * d + k] = 1.2;
  for (const [name, w] of p) {
    if (name.endsWith('o_proj.weight') || name.endsWith('down_proj.weight')) w.data.fill(0, k * w.shape[1], (k + 1) * w.shape[1]);
  }
  writeHfFolder(folder, {
    hfConfig: hfConfigFromModel(config, { bos_token_id: 1, eos_token_id: EOS }),
    tensors: m.namedParameters().map(([n, t]) => [n, { shape: [...t.shape], data: t.data }]),
    tokenizerJson, tokenizerConfig: R1_TOKENIZER_CONFIG, generationConfig: { bos_token_id: 1, eos_token_id: EOS },
  });
  return { config, tokenizerJson };
}
