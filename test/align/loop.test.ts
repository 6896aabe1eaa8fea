// The loop from people's feedback to the model, end to end with the real parts: `ponder serve`
// answers through the official openai client, a person rewrites the answers to greetings through
// the product API (POST /v1/feedback), `ponder data export --preferences` turns the rewrites into
// pairs, `ponder align` runs DPO on them, and the new model, served again, prefers the rewrites:
// log p(rewrite) - log p(original) rises on every rated prompt, and the greedy answer is the rewrite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { saveCheckpoint, loadCheckpoint } from '../../src/io/checkpoint.ts';
import { trainBpe, type Tokenizer } from '../../src/tokenizer/index.ts';
import { encodeAnswer } from '../../src/align/data.ts';
import { packSeqs, frozenLogprobs } from '../../src/align/logprobs.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const skip = process.env.PONDER_BACKEND === 'ts' ? 'the loop trains and serves twice: too slow on the TypeScript backend' : false;
const ENV = { ...process.env, PONDER_THREADS: '1', PONDER_MODERATION: 'off' };
const GREETINGS = ['Hello!', 'Hi there!', 'Good morning!', 'Hey, how are you?'];
const REWRITE = 'Hello! How can I help you today?';
const CURT = 'Hi. What do you want?';

async function serve(checkpoint: string, dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--checkpoint', checkpoint, '--port', '0', '--data-dir', dataDir, '--model-name', 'tiny'], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      const m = /serving \S+ at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`ponder serve exited (${code}): ${err}`)));
  });
  return { url, child };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((done) => { child.removeAllListeners('exit'); child.once('exit', () => done()); child.kill('SIGTERM'); });
}

function ponder(args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: ENV, timeout: 60_000 });
  assert.equal(r.status, 0, `ponder ${args[0]}: ${r.stderr}`);
  return r.stdout;
}

async function ask(url: string, content: string): Promise<{ text: string; messageId: string }> {
  // No key: over loopback the server takes the request as the local user (who also gives the feedback).
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0, defaultHeaders: { authorization: '' } });
  const params = { model: 'tiny', messages: [{ role: 'user' as const, content }], temperature: 0, max_tokens: 32, thinking: { type: 'disabled' } };
  const res = await client.chat.completions.create(params);
  return { text: res.choices[0].message.content ?? '', messageId: (res as unknown as { message_id: string }).message_id };
}

/** log p(rewrite) - log p(original answer) for each greeting, under a checkpoint. */
function preference(dir: string, tok: Tokenizer, originals: string[]): number[] {
  const { model } = loadCheckpoint(dir);
  const seqs = GREETINGS.flatMap((g, i) => [encodeAnswer(tok, [{ role: 'user', content: g }], REWRITE), encodeAnswer(tok, [{ role: 'user', content: g }], originals[i])]);
  const lp = frozenLogprobs(model, packSeqs(seqs)).seq;
  return GREETINGS.map((_, i) => lp[2 * i] - lp[2 * i + 1]);
}

test('rate and rewrite through the product API, export, align, serve: the model moves to the rewrites', { skip, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-loop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tok = trainBpe([...GREETINGS, REWRITE, CURT], 300);
  const random = join(dir, 'random');
  saveCheckpoint(random, new Transformer(validateConfig({ vocab_size: 300, d_model: 48, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 128, max_seq_len: 96 }), 6), { tokenizer: tok });
  // 0. A model that answers greetings curtly (instruction-tuned with `ponder sft`): the one served.
  const chat = join(dir, 'chat.jsonl');
  writeFileSync(chat, GREETINGS.map((g) => JSON.stringify({ messages: [{ role: 'user', content: g }, { role: 'assistant', content: CURT }] })).join('\n') + '\n');
  ponder(['sft', '--checkpoint', random, '--data', chat, '--val', chat, '--out', join(dir, 'sft'), '--steps', '40', '--batch', '4', '--lr', '1e-2']);
  const base = join(dir, 'sft', 'final');
  const dataDir = join(dir, 'data');

  // 1. The served model answers; a person thumbs each answer down and rewrites it.
  const before = await serve(base, dataDir);
  const originals: string[] = [];
  try {
    for (const g of GREETINGS) {
      const a = await ask(before.url, g);
      assert.equal(a.text, CURT);
      originals.push(a.text);
      const fb = await fetch(`${before.url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message_id: a.messageId, rating: -1, rewrite: REWRITE }) });
      assert.equal(fb.status, 200, await fb.text());
    }
  } finally {
    await stop(before.child);
  }

  // 2. The feedback becomes preference pairs, and DPO learns from them.
  const prefs = join(dir, 'prefs.jsonl');
  assert.match(ponder(['data', 'export', '--preferences', '--data-dir', dataDir, '--out', prefs]), /exported 4 preference pairs/);
  const pairs = readFileSync(prefs, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: { content: string }[]; chosen: string; rejected: string });
  assert.deepEqual(pairs.map((p) => [p.prompt[0].content, p.chosen, p.rejected]), GREETINGS.map((g, i) => [g, REWRITE, originals[i]]));
  // The same feedback as single ratings, for KTO: each rewrite up, each curt answer down.
  const ratings = join(dir, 'ratings.jsonl');
  assert.match(ponder(['data', 'export', '--ratings', '--data-dir', dataDir, '--out', ratings]), /exported 8 ratings/);
  const rated = readFileSync(ratings, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { completion: string; label: boolean });
  assert.deepEqual(rated.map((r) => [r.completion, r.label]).sort(), [...GREETINGS.map(() => [CURT, false]), ...GREETINGS.map(() => [REWRITE, true])].sort());
  assert.match(ponder(['align', '--checkpoint', base, '--data', prefs, '--out', join(dir, 'aligned'), '--steps', '40', '--batch', '4', '--beta', '0.1', '--nll-weight', '1', '--lr', '1e-2']), /align \(dpo\): 40 steps/);

  // 3. The aligned model prefers the rewrites, and the served model now says them.
  const gainBefore = preference(base, tok, originals), gainAfter = preference(join(dir, 'aligned', 'final'), tok, originals);
  gainAfter.forEach((g, i) => assert.ok(g > gainBefore[i] + 5, `${GREETINGS[i]}: log p(rewrite) - log p(original) ${gainBefore[i].toFixed(2)} -> ${g.toFixed(2)}`));
  const after = await serve(join(dir, 'aligned', 'final'), join(dir, 'data2'));
  try {
    for (const g of GREETINGS) assert.equal((await ask(after.url, g)).text, REWRITE, `greedy answer to ${g}`);
  } finally {
    await stop(after.child);
  }
});
