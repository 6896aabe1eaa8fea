// generate, chat, serve and info load a Hugging Face folder onto the runner (loadServedModel):
// the tokenizer and chat format from the folder, `ponder info` reports the mapped files plus an
// f16 KV cache, the reply equals the float32 Transformer's (PONDER_RUNTIME=f32, the opt-out),
// `ponder serve` on a bf16 folder says "runtime": "quantised-runner" and answers the openai
// client, and resident memory grows by the file's pages, not by a copy (RssAnon against RssFile).
import { test, after } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { startServe } from '../serve-child.ts';
import OpenAI from 'openai';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { complete, loadServedModel } from '../../src/cli/shared.ts';
import { modelInfoLines } from '../../src/cli/commands/info.ts';
import { Runner, createRunner } from '../../src/infer/runner/index.ts';
import { Transformer } from '../../src/model/transformer.ts';
import { readHfFolder, writeHfFolder, type HfDtype } from '../../src/io/hf.ts';
import { hfConfigFromModel } from '../../src/model/hf-config.ts';
import { validateConfig } from '../../src/model/config.ts';
import { backend } from '../../src/backend/index.ts';
import { writeR1Folder } from '../server/model-folder.ts';
import { rng } from '../helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'ponder-runner-hf-served-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
});
const nativeOnly = backend().name === 'native' ? false : 'native backend only (resident memory of the mapping; spawns a server)';

/** The folder rewritten with its weights in `dtype`. */
function rewrite(src: string, dst: string, dtype: HfDtype): void {
  const p = readHfFolder(src);
  writeHfFolder(dst, {
    hfConfig: p.hfConfig, tensors: p.tensorNames().map((n) => [n, { shape: p.tensorShape(n), data: p.tensor(n) }]),
    tokenizerJson: p.tokenizerJson, tokenizerConfig: p.tokenizerConfig, generationConfig: p.generationConfig,
  }, dtype);
}

/** Runs f with PONDER_RUNTIME set to v (restored after). */
function withRuntime<T>(v: string, f: () => T): T {
  const old = process.env.PONDER_RUNTIME;
  process.env.PONDER_RUNTIME = v;
  try { return f(); } finally { if (old === undefined) delete process.env.PONDER_RUNTIME; else process.env.PONDER_RUNTIME = old; }
}

test('loadServedModel runs a Hugging Face folder on the runner: info, tokenizer, the float32 model\'s reply', async () => {
  const f32 = join(root, 'r1-f32'), bf16 = join(root, 'r1-bf16');
  const { config } = writeR1Folder(f32);
  rewrite(f32, bf16, 'bf16');

  const m = loadServedModel(bf16, (l) => assert.fail(`unexpected note: ${l}`));
  assert.ok(m.model instanceof Runner, 'the runner serves the folder');
  const file = statSync(join(bf16, 'model.safetensors')).size;
  assert.equal(m.runner?.fileBytes, file);
  const lines = modelInfoLines(m), line = (k: string) => lines.find((l) => l.startsWith(k)) ?? '';
  assert.match(line('format'), /Hugging Face folder/);
  assert.match(line('dtype'), /^dtype +bf16 on disk; used in place by the quantised runner \(memory-mapped\)$/);
  // f16 cache: 2 layers x 2 kv heads x head 8 x (k, v) x 2 bytes = 128 B per position.
  const kv = 2 * config.n_layers * config.n_kv_heads * (config.d_model / config.n_heads) * 2;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  assert.equal(line('memory'), `memory       file ${mib(file)} + KV cache ${(kv / 1024).toFixed(1)} KiB/token: ${mib(file + kv * 512)} at 512 tokens, ${mib(file + kv * 512)} at the full context (one sequence)`);
  assert.match(line('chat'), /the model's Jinja template, <think> reasoning; stops on ids 2$/);

  // The same reply as the float32 Transformer of the same folder (f32 weights: the runner's f32 kernels).
  const run = loadServedModel(f32), ref = withRuntime('f32', () => loadServedModel(f32));
  assert.ok(run.model instanceof Runner);
  assert.ok(ref.model instanceof Transformer);
  assert.equal(ref.runner, null);
  const ids = run.chat!.promptIds([{ role: 'user', content: 'What is 12 * 34?' }], 'free');
  const opts = { maxNewTokens: 40, temperature: 0, seed: 0, stopTokens: run.chat!.stopIds, vocabLimit: run.tokenizer.vocabSize };
  const [a, b] = [await complete(run.model, ids, opts), await complete(ref.model, ids, opts)];
  assert.ok(a.tokens.length > 5);
  assert.deepEqual(a.tokens, b.tokens);

  assert.throws(() => withRuntime('fast', () => loadServedModel(f32)), /PONDER_RUNTIME must be runner or f32, not 'fast'/);
});

/** RssAnon and RssFile of this process in bytes. */
function rss(): { anon: number; file: number } {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)![1]) * 1024;
  return { anon: kb('RssAnon'), file: kb('RssFile') };
}

test('a bf16 folder on the runner: resident memory grows by the mapped file, with no copy of the weights', { skip: nativeOnly }, () => {
  // ~36 MB of bf16, mostly the untied embedding and head (32768 x 256 each).
  const c = validateConfig({ architecture: 'Qwen2ForCausalLM', vocab_size: 32768, d_model: 256, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 512,
    max_seq_len: 64, rope_theta: 1e6, norm_eps: 1e-6, tie_embeddings: false, qkv_bias: true });
  const dir = join(root, 'rss-bf16'), r = rng(7);
  const m = new Transformer(c, 1, { randomInit: false });
  writeHfFolder(dir, { hfConfig: hfConfigFromModel(c), tensors: m.namedParameters().map(([n, t]) => [n, { shape: [...t.shape], data: t.data.map(() => r() - 0.5) }]) }, 'bf16');
  const file = statSync(join(dir, 'model.safetensors')).size;
  global.gc?.();
  const before = rss();
  const { runner, model } = createRunner(dir);
  assert.ok(model.mapped);
  // Read every weight: the prompt's rows of the embedding, then every matrix and the whole head.
  runner.forward(Int32Array.from({ length: 8 }, (_, i) => i * 4099), 1, 8);
  const grown = rss();
  const anon = grown.anon - before.anon, mapped = grown.file - before.file;
  // The head and the layers are read whole (the embedding only in its 8 rows): over half the file's pages.
  assert.ok(mapped > 0.45 * file, `file-backed pages grew by ${mapped} bytes for a ${file}-byte file`);
  // A copy of the weights (bf16: the file's size; f32: twice it) would land in anonymous memory.
  assert.ok(anon < 0.25 * file, `anonymous memory grew by ${anon} bytes for a ${file}-byte file`);
});

test('ponder serve --model bf16-folder: /v1/models says the runner serves it, and it answers the openai client', { skip: nativeOnly }, async () => {
  const f32 = join(root, 'serve-f32'), bf16 = join(root, 'serve-bf16');
  writeR1Folder(f32);
  rewrite(f32, bf16, 'bf16');
  const { url, log } = await startServe(['--model', bf16, '--moderation', 'off', '--data-dir', join(root, 'data')], { PONDER_RUNTIME: '' }, children);
  assert.match(log, /serve-bf16: the quantised runner \(bf16 weights memory-mapped, used in place\)/);
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'EMPTY' });
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => [m.id, (m as unknown as { runtime: string }).runtime]), [['serve-bf16', 'quantised-runner']]);
  const r = await client.chat.completions.create({ model: 'serve-bf16', messages: [{ role: 'user', content: 'What is 12 * 34?' }], temperature: 0, max_tokens: 20 });
  assert.ok(r.usage!.completion_tokens > 0);
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
});
