// Upstream mode: a ponder server fronting a second real ponder server on loopback, and the
// normaliser of the other servers' reasoning formats (<think> in content, `reasoning`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { openDatabase } from '../../src/store/db.ts';
import { UpstreamBackend, ReasoningNormaliser } from '../../src/server/upstream.ts';
import { startServer } from '../../src/server/app.ts';
import { createLogger } from '../../src/server/log.ts';
import { createKey } from '../../src/store/keys.ts';
import type { GenEvent } from '../../src/server/backend.ts';
import { MODEL_ID, startTestServer, tempDir } from './helpers.ts';

type Reasoned = { reasoning_content?: string | null };

async function pair(t: Parameters<typeof startTestServer>[0]) {
  const origin = await startTestServer(t);
  const odb = openDatabase({ dataDir: origin.dataDir });
  t.after(() => odb.close());
  const originKey = createKey(odb, { name: 'front' });
  const dir = tempDir(t);
  const db = openDatabase({ dataDir: dir });
  const front = await startServer({ backend: new UpstreamBackend({ url: `${origin.url}/v1`, apiKey: originKey.key }), db, port: 0,
    log: createLogger({ destination: { write: () => {} } }) });
  t.after(async () => { await front.close(); db.close(); });
  return { origin, front, db };
}

test('upstream mode: the front server answers as the origin does, streaming and not, reasoning normalised', async (t) => {
  const { origin, front } = await pair(t);
  const direct = new OpenAI({ baseURL: `${origin.url}/v1`, apiKey: 'sk-none', maxRetries: 0, defaultHeaders: { authorization: '' } });
  const via = new OpenAI({ baseURL: `${front.url}/v1`, apiKey: 'sk-none', maxRetries: 0, defaultHeaders: { authorization: '' } });
  const req = { model: MODEL_ID, messages: [{ role: 'user' as const, content: 'hello there' }], max_tokens: 25, temperature: 1, seed: 9, thinking: { type: 'enabled' } };
  const a = await direct.chat.completions.create(req as never) as OpenAI.Chat.Completions.ChatCompletion;
  const b = await via.chat.completions.create(req as never) as OpenAI.Chat.Completions.ChatCompletion;
  const ma = a.choices[0].message as typeof a.choices[0]['message'] & Reasoned;
  const mb = b.choices[0].message as typeof b.choices[0]['message'] & Reasoned;
  assert.ok(ma.reasoning_content, 'the origin reasons');
  assert.equal(mb.reasoning_content, ma.reasoning_content);
  assert.equal(mb.content, ma.content);
  assert.equal(b.choices[0].finish_reason, a.choices[0].finish_reason);
  assert.deepEqual(b.usage, a.usage);

  const stream = await via.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } } as never) as unknown as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>;
  let r = '', c = '', usage;
  for await (const ch of stream) {
    if (ch.usage) usage = ch.usage;
    const d = ch.choices[0]?.delta as (OpenAI.Chat.Completions.ChatCompletionChunk['choices'][0]['delta'] & Reasoned) | undefined;
    r += d?.reasoning_content ?? '';
    c += d?.content ?? '';
  }
  assert.equal(r, ma.reasoning_content);
  assert.equal(c, ma.content);
  assert.deepEqual(usage, a.usage);

  const models = await via.models.list();
  assert.deepEqual(models.data.map((m) => m.id), [MODEL_ID]);
  // The origin's errors pass through with their status and shape.
  await assert.rejects(via.chat.completions.create({ model: 'other', messages: [{ role: 'user', content: 'x' }] }),
    (e: unknown) => e instanceof OpenAI.NotFoundError && /other/.test((e as Error).message));
});

test('upstream mode: an unreachable upstream is 502 in the OpenAI shape', async (t) => {
  const dir = tempDir(t);
  const db = openDatabase({ dataDir: dir });
  const front = await startServer({ backend: new UpstreamBackend({ url: 'http://127.0.0.1:9/v1' }), db, port: 0, log: createLogger({ destination: { write: () => {} } }) });
  t.after(async () => { await front.close(); db.close(); });
  const r = await fetch(`${front.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
  assert.equal(r.status, 502);
  const body = await r.json() as { error: { type: string; message: string } };
  assert.equal(body.error.type, 'upstream_error');
  assert.match(body.error.message, /cannot reach/);
});

test('the normaliser turns <think> tags in content (split anywhere) and `reasoning` fields into reasoning events', () => {
  const text = '<think>step one\nstep two</think>The answer is 4.';
  for (let cut = 0; cut <= text.length; cut++) {
    const evs: GenEvent[] = [];
    const n = new ReasoningNormaliser((e) => evs.push(e));
    n.take({ content: text.slice(0, cut) });
    n.take({ content: text.slice(cut) });
    n.finish();
    const join = (k: string) => evs.filter((e) => e.kind === k).map((e) => e.text).join('');
    assert.equal(join('reasoning'), 'step one\nstep two', `cut ${cut}`);
    assert.equal(join('content'), 'The answer is 4.', `cut ${cut}`);
  }
  const evs: GenEvent[] = [];
  const n = new ReasoningNormaliser((e) => evs.push(e));
  n.take({ reasoning: 'vllm style ' });
  n.take({ reasoning_content: 'deepseek style' });
  n.take({ content: 'done' });
  n.finish();
  assert.deepEqual(evs.map((e) => [e.kind, e.text]), [['reasoning', 'vllm style '], ['reasoning', 'deepseek style'], ['content', 'done']]);
});
