// `ponder serve --model <Hugging Face folder>` with an R1-style model, driven by the official
// openai client: a tiny random Qwen2 written by this test with a byte-level BPE tokenizer that
// carries DeepSeek-R1's markers and R1's chat template, whose generation prompt opens <think>.
// The references are independent: the prompt is rendered by @huggingface/jinja and encoded by
// @huggingface/tokenizers; the expected reply comes from ponder's engine fed that prompt with
// the same seed, decoded by @huggingface/tokenizers and split at </think>. If the server rendered
// any other prompt, the sampled tokens would differ.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { Template } from '@huggingface/jinja';
import * as hfLib from '@huggingface/tokenizers';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { hfConfigFromModel } from '../../src/model/hf-config.ts';
import { writeHfFolder } from '../../src/io/hf.ts';
import { trainBpe, toTokenizerJson, SPECIAL_TOKENS } from '../../src/tokenizer/index.ts';
import { parseThink } from '../../src/infer/think.ts';
import { Engine } from '../../src/infer/engine.ts';
import { loadChatModel } from '../../src/cli/shared.ts';
import { randn } from '../helpers.ts';

interface HFTokenizer { encode(text: string, opts?: { add_special_tokens?: boolean }): { ids: number[] }; decode(ids: number[], opts?: { skip_special_tokens?: boolean }): string }
const HF = (hfLib as unknown as { Tokenizer: new (json: unknown, config: object) => HFTokenizer }).Tokenizer;

const skip = process.env.PONDER_BACKEND === 'ts' ? 'spawns a server and decodes hundreds of tokens: native backend only' : undefined;
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const R1_TEMPLATE = readFileSync(fileURLToPath(new URL('../fixtures/deepseek-r1-chat-template.jinja', import.meta.url)), 'utf8');
const corpus = readFileSync(fileURLToPath(new URL('../fixtures/tokenizer-corpus.txt', import.meta.url)), 'utf8').split('\n');

// Ponder's eight special ids, renamed to DeepSeek-R1's markers (<think> and </think> are not
// special in R1's tokenizer: they are text of the reply).
const R1_NAMES = ['<｜▁pad▁｜>', '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>', '<｜System｜>', '<｜User｜>', '<｜Assistant｜>', '<think>', '</think>'];
const EOS = 2, THINK_CLOSE = 7;
const NAME = 'tiny-r1-qwen2';

const root = mkdtempSync(join(tmpdir(), 'ponder-model-serve-'));
const folder = join(root, NAME);
let server: ChildProcess | undefined;
let baseURL = '';
let tokenizerJson: Record<string, unknown>;
const tokenizerConfig = {
  chat_template: R1_TEMPLATE, bos_token: R1_NAMES[1], eos_token: R1_NAMES[2], add_bos_token: true, clean_up_tokenization_spaces: false,
};

/** tokenizer.json of a small trained BPE with R1's marker names. */
function r1TokenizerJson(): Record<string, unknown> {
  const json = toTokenizerJson(trainBpe(corpus, 300)) as Record<string, any>;
  json.added_tokens = json.added_tokens.map((t: { id: number }) => ({ ...t, content: R1_NAMES[t.id], special: t.id < 6 }));
  for (const [id, s] of SPECIAL_TOKENS.entries()) { delete json.model.vocab[s]; json.model.vocab[R1_NAMES[id]] = id; }
  return json;
}

/**
 * A random Qwen2 whose last channel is a constant (every embedding holds 3 there and no layer
 * writes to it), so that column of lm_head is a bias per token: </think> and EOS get likely
 * enough to both occur in a short reply, while the rest of each logit still depends on the prompt.
 */
function writeModel(vocab: number): void {
  const cfg = validateConfig({
    architecture: 'Qwen2ForCausalLM', vocab_size: vocab + 6, d_model: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 48,
    max_seq_len: 512, rope_theta: 1e6, norm_eps: 1e-6, tie_embeddings: false, qkv_bias: true,
  });
  const m = new Transformer(cfg, 5);
  const d = cfg.d_model, k = d - 1;
  const p = new Map(m.namedParameters());
  const embed = p.get('model.embed_tokens.weight')!.data, head = p.get('lm_head.weight')!.data;
  embed.set(randn(embed.length, 6, 1));
  head.set(randn(head.length, 7, 0.3));
  for (let t = 0; t < cfg.vocab_size; t++) { embed[t * d + k] = 3; head[t * d + k] = 0; }
  head[THINK_CLOSE * d + k] = 1.6;
  head[EOS * d + k] = 1.2;
  for (const [name, w] of p) {
    if (name.endsWith('o_proj.weight') || name.endsWith('down_proj.weight')) w.data.fill(0, k * w.shape[1], (k + 1) * w.shape[1]);
  }
  writeHfFolder(folder, {
    hfConfig: hfConfigFromModel(cfg, { bos_token_id: 1, eos_token_id: EOS }),
    tensors: m.namedParameters().map(([n, t]) => [n, { shape: [...t.shape], data: t.data }]),
    tokenizerJson, tokenizerConfig, generationConfig: { bos_token_id: 1, eos_token_id: EOS },
  });
}

before(async () => {
  if (skip) return;
  tokenizerJson = r1TokenizerJson();
  writeModel(Object.keys((tokenizerJson.model as { vocab: object }).vocab).length);
  server = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--model', folder, '--port', '0', '--data-dir', join(root, 'data'), '--moderation', 'off'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  baseURL = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 60_000);
    server!.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /serving .* at (http:\/\/\S+\/v1)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    server!.on('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}: ${err}`)); });
  });
});

after(() => {
  server?.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
});

const MESSAGES = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Is it safe to put out an electrical fire with water?' },
  { role: 'assistant' as const, content: '<think>\nWater conducts.\n</think>\n\nNo.' },
  { role: 'user' as const, content: 'Why not? Svar på norsk.' },
];

/** The reply the server must give: the engine on the independently rendered prompt, decoded by HF and split at </think>. */
async function expected(seed: number, maxTokens: number) {
  const hf = new HF(tokenizerJson, tokenizerConfig);
  const text = new Template(R1_TEMPLATE).render({ messages: MESSAGES, add_generation_prompt: true, bos_token: R1_NAMES[1], eos_token: R1_NAMES[2] });
  assert.ok(text.endsWith('<｜Assistant｜><think>\n'));
  const prompt = hf.encode(text, { add_special_tokens: false }).ids;
  const m = loadChatModel(folder);
  const r = await new Engine(m.model).submit({
    prompt, maxTokens, temperature: 1, seed, stopTokens: [EOS], thinkIds: { open: 6, close: THINK_CLOSE }, startsInThink: true,
    vocabLimit: m.tokenizer.vocabSize,
  });
  const body = r.tokens.at(-1) === EOS ? r.tokens.slice(0, -1) : r.tokens;
  return { prompt, tokens: r.tokens, finish: r.finish, parsed: parseThink(hf.decode(body, { skip_special_tokens: true }), { startsInThink: true }) };
}

test('the served R1-style model: its name, R1\'s prompt, reasoning from inside the template\'s <think>, the answer after </think>, EOS stops', { skip, timeout: 120_000 }, async () => {
  const client = new OpenAI({ baseURL, apiKey: 'sk-placeholder' });
  const models = await client.models.list();
  assert.deepEqual(models.data.map((x) => x.id), [NAME]);

  const seed = 3, maxTokens = 200;
  const want = await expected(seed, maxTokens);
  // The seed must exercise the case: reasoning, then </think>, then an answer ended by EOS.
  const close = want.tokens.indexOf(THINK_CLOSE);
  assert.ok(close > 0 && want.finish === 'stop' && want.tokens.at(-1) === EOS && close < want.tokens.length - 2,
    `seed ${seed} gives no reasoning/answer/EOS sequence: ${want.tokens.join(' ')}`);

  const stream = await client.chat.completions.create({
    model: NAME, messages: MESSAGES, seed, temperature: 1, max_tokens: maxTokens, stream: true, stream_options: { include_usage: true },
  });
  let reasoning = '', content = '', finish: string | null = null, sawContent = false, reasoningAfterContent = false;
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string | null } | undefined;
    if (delta?.reasoning_content) { reasoning += delta.reasoning_content; if (sawContent) reasoningAfterContent = true; }
    if (delta?.content) { content += delta.content; sawContent = true; }
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(reasoningAfterContent, false);
  assert.equal(reasoning, want.parsed.reasoning);
  assert.equal(content, want.parsed.answer);
  assert.ok(reasoning.length > 0 && content.length > 0);
  assert.equal(finish, 'stop');
  assert.equal(usage?.prompt_tokens, want.prompt.length);
  assert.equal(usage?.completion_tokens, want.tokens.length);
  assert.equal((usage?.completion_tokens_details as { reasoning_tokens?: number } | undefined)?.reasoning_tokens, close + 1);

  // The same without streaming, and a length cut: finish 'length', still split at </think>.
  const short = await expected(seed, close + 3);
  const r = await client.chat.completions.create({ model: NAME, messages: MESSAGES, seed, temperature: 1, max_tokens: close + 3 });
  const msg = r.choices[0].message as { content: string | null; reasoning_content?: string };
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(short.finish, 'length');
  assert.equal(msg.reasoning_content, short.parsed.reasoning);
  assert.equal(msg.content ?? '', short.parsed.answer);
});
