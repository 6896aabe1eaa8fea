// One --model for the commands: `ponder info`, `generate`, `chat` and `eval` run a Hugging Face
// folder (a tiny random R1-style Qwen2 written here), the same model as GGUF files, and ponder
// checkpoints alike. The
// generate reference is independent of the CLI: the prompt rendered by @huggingface/jinja and
// encoded by @huggingface/tokenizers, greedy decoding in-process, HF's decode split at </think>.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from '@huggingface/jinja';
import * as hfLib from '@huggingface/tokenizers';
import { loadAnyModel } from '../../src/model/load.ts';
import { generate } from '../../src/infer/generate.ts';
import { parseThink } from '../../src/infer/think.ts';
import { countParams, type ModelConfig } from '../../src/model/config.ts';
import { testCheckpoint } from '../server/helpers.ts';
import { readHfFolder } from '../../src/io/hf.ts';
import { writeGgufModel } from '../../src/io/gguf-model.ts';
import { EOS, R1_NAMES, R1_TEMPLATE, R1_TOKENIZER_CONFIG, writeR1Folder } from '../server/model-folder.ts';

interface HFTokenizer { encode(text: string, opts?: { add_special_tokens?: boolean }): { ids: number[] }; decode(ids: number[], opts?: { skip_special_tokens?: boolean }): string }
const HF = (hfLib as unknown as { Tokenizer: new (json: unknown, config: object) => HFTokenizer }).Tokenizer;

const skip = process.env.PONDER_BACKEND === 'ts' ? 'spawns the CLI several times: native backend only' : undefined;
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'ponder-cli-model-'));
const folder = join(root, 'tiny-r1-qwen2');
let config: ModelConfig;
let tokenizerJson: Record<string, unknown>;

const gguf = join(root, 'tiny-r1-qwen2-f32.gguf'), ggufQ8 = join(root, 'tiny-r1-qwen2-q8_0.gguf');
before(() => {
  if (skip) return;
  ({ config, tokenizerJson } = writeR1Folder(folder));
  // The same model as GGUF files (the vocabulary and the template travel inside them).
  writeGgufModel(gguf, readHfFolder(folder), 'f32');
  writeGgufModel(ggufQ8, readHfFolder(folder), 'q8_0');
});
after(() => rmSync(root, { recursive: true, force: true }));

function ponder(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const env = { ...process.env, PONDER_MODEL: '', ...opts.env };
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 60_000, input: opts.input, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

test('ponder info --model: architecture, parameters, dtype, context, memory and chat format', { skip }, () => {
  // The float32 model's memory (a Hugging Face folder runs on the runner unless PONDER_RUNTIME=f32; test/infer/runner_hf_served.test.ts checks that).
  const r = ponder(['info', '--model', folder], { env: { PONDER_RUNTIME: 'f32' } });
  assert.equal(r.status, 0, r.stderr);
  const line = (key: string) => r.stdout.split('\n').find((l) => l.startsWith(key)) ?? '';
  assert.match(line('format'), /Hugging Face folder/);
  assert.match(line('architecture'), /^architecture Qwen2ForCausalLM: 2 layers, d_model 32, 4 heads \(2 kv\) of 8, ffn 48, vocab \d+/);
  assert.equal(line('parameters'), `parameters   ${countParams(config).toLocaleString('en-US')} (0.00B)`);
  assert.match(line('dtype'), /^dtype +f32 on disk/);
  assert.match(line('context'), /^context +512 tokens/);
  // Memory: float32 weights and a KV cache of 2 layers x 2 kv heads x 8 x (k, v) x 4 bytes = 256 B/token.
  assert.match(line('memory'), new RegExp(`weights ${(countParams(config) * 4 / 2 ** 20).toFixed(1)} MiB \\+ KV cache 0\\.3 KiB/token`));
  assert.match(line('chat'), /the model's Jinja template, <think> reasoning; stops on ids 2$/);
  const q8 = ponder(['info', '--model', ggufQ8]);
  assert.equal(q8.status, 0, q8.stderr);
  assert.match(q8.stdout, /model +tiny-r1-qwen2-q8_0 .*\nformat +GGUF file\narchitecture Qwen2ForCausalLM/);
  assert.match(q8.stdout, /dtype +q8_0 on disk/);
  assert.match(q8.stdout, /chat +the model's Jinja template, <think> reasoning; stops on ids 2/);
  const own = ponder(['info', '--checkpoint', testCheckpoint()]);
  assert.match(own.stdout, /format +ponder checkpoint/);
  assert.match(own.stdout, /chat +ponder's format/);
});

test('ponder generate --model: the model\'s own prompt, reasoning from inside R1\'s <think>, stopped at EOS', { skip }, () => {
  const question = 'What is 12 * 34?';
  const SEED = 1;
  // The reference: HF renders and encodes the prompt; ponder's model decodes greedily; HF decodes.
  const hf = new HF(tokenizerJson, R1_TOKENIZER_CONFIG);
  const prompt = hf.encode(new Template(R1_TEMPLATE).render({ messages: [{ role: 'user', content: question }], add_generation_prompt: true, bos_token: R1_NAMES[1] }), { add_special_tokens: false }).ids;
  const { model } = loadAnyModel(folder);
  const [g] = generate(model, [prompt], { maxNewTokens: 60, temperature: 1, topK: 0, topP: 1, seed: SEED, stopTokens: [EOS], vocabLimit: config.vocab_size - 6 });
  const body = g.tokens.at(-1) === EOS ? g.tokens.slice(0, -1) : g.tokens;
  const want = parseThink(hf.decode(body, { skip_special_tokens: true }), { startsInThink: true });
  // The seed must exercise the case: some reasoning, </think>, an answer.
  assert.ok(want.reasoning && want.answer && want.closed, `seed ${SEED}: ${g.tokens.join(' ')}`);

  const sampling = ['--max-tokens', '60', '--temperature', '1', '--seed', String(SEED)];
  const r = ponder(['generate', '--model', folder, ...sampling, question]);
  assert.equal(r.status, 0, r.stderr);
  const out = plain(r.stdout);
  assert.equal(out, `thinking:\n${want.reasoning}\n${want.answer}\n`);
  assert.equal(r.stderr.includes('stopped at --max-tokens'), g.finish === 'length');
  // PONDER_MODEL names the model when no flag does; --checkpoint is the same flag.
  assert.equal(plain(ponder(['generate', ...sampling, question], { env: { PONDER_MODEL: folder } }).stdout), out);
  assert.equal(plain(ponder(['generate', '--checkpoint', folder, ...sampling, question]).stdout), out);
  // The f32 GGUF of the same model: the same weights, vocabulary and template, so the same reply.
  assert.equal(plain(ponder(['generate', '--model', gguf, ...sampling, question]).stdout), out);
});

test('ponder chat and eval --model run the folder; bad --model values are clear errors', { skip }, () => {
  const chat = ponder(['chat', '--model', folder, '--max-tokens', '20'], { input: 'Hello there\n/quit\n' });
  assert.equal(chat.status, 0, chat.stderr);
  assert.match(plain(chat.stdout), /you> Hello there\n(thinking: [^]*)?ponder> |thinking: /);
  const ev = ponder(['eval', '--model', folder, '--n', '3', '--k', '0', '--mode', 'free', '--max-tokens', '8']);
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, /3 problems .*\nthinking .*\nfree +\d/);

  const both = ponder(['generate', '--model', folder, '--checkpoint', folder, 'x']);
  assert.equal(both.status, 1);
  assert.match(both.stderr, /--model and --checkpoint name the same thing/);
  const missing = ponder(['generate', '--model', join(root, 'absent'), 'x']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /absent: no such file or folder/);
});
