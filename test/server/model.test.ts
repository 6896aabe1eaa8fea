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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { Template } from '@huggingface/jinja';
import * as hfLib from '@huggingface/tokenizers';
import { parseThink } from '../../src/infer/think.ts';
import { Engine } from '../../src/infer/engine.ts';
import { loadChatModel } from '../../src/cli/shared.ts';
import { EOS, R1_NAMES, R1_TEMPLATE, R1_TOKENIZER_CONFIG, THINK_CLOSE, writeR1Folder } from './model-folder.ts';

interface HFTokenizer { encode(text: string, opts?: { add_special_tokens?: boolean }): { ids: number[] }; decode(ids: number[], opts?: { skip_special_tokens?: boolean }): string }
const HF = (hfLib as unknown as { Tokenizer: new (json: unknown, config: object) => HFTokenizer }).Tokenizer;

const skip = process.env.PONDER_BACKEND === 'ts' ? 'spawns a server and decodes hundreds of tokens: native backend only' : undefined;
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

const NAME = 'tiny-r1-qwen2';

const root = mkdtempSync(join(tmpdir(), 'ponder-model-serve-'));
const folder = join(root, NAME);
let server: ChildProcess | undefined;
let baseURL = '';
let tokenizerJson: Record<string, unknown>;
const tokenizerConfig = R1_TOKENIZER_CONFIG;

before(async () => {
  if (skip) return;
  tokenizerJson = writeR1Folder(folder).tokenizerJson;
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

  // The explorer's request (an assistant prefix, one token, its top alternatives): tokens come as
  // text, not in the byte-level alphabet ("Ġthe" is " the"), each its own bytes.
  const probe = await client.chat.completions.create({
    model: NAME, max_tokens: 1, logprobs: true, top_logprobs: 10, temperature: 1, seed,
    messages: [{ role: 'user', content: 'The quick brown' }, { role: 'assistant', content: 'The', prefix: true } as OpenAI.ChatCompletionAssistantMessageParam],
  });
  const top = probe.choices[0].logprobs?.content?.[0]?.top_logprobs ?? [];
  assert.equal(top.length, 10);
  for (const t of top) assert.equal(t.token, Buffer.from(t.bytes!).toString('utf8'));
  assert.ok(top.every((t) => !t.token.includes('Ġ') && !t.token.includes('Ċ')), JSON.stringify(top.map((t) => t.token)));
});
