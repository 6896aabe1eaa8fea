// The official openai client against a real ponder server on 127.0.0.1 (random-weight model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { createKey } from '../../src/store/keys.ts';
import { listMessages, getMessage } from '../../src/store/messages.ts';
import { listRequests } from '../../src/store/requests.ts';
import { parseThink } from '../../src/infer/think.ts';
import { MODEL_ID, startTestServer } from './helpers.ts';

type Reasoned = { reasoning_content?: string | null };

async function setup(t: Parameters<typeof startTestServer>[0], opts: Parameters<typeof startTestServer>[1] = {}) {
  const srv = await startTestServer(t, opts);
  const db = (await import('../../src/store/db.ts')).openDatabase({ dataDir: srv.dataDir });
  t.after(() => db.close());
  const key = createKey(db, { name: 'test' });
  const client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: key.key, maxRetries: 0 });
  return { srv, db, key, client };
}

test('non-streaming completion: reasoning_content beside content, usage with reasoning tokens, stored', async (t) => {
  const { srv, db, client, key } = await setup(t);
  const { data: r, response } = await client.chat.completions.create({
    model: MODEL_ID, messages: [{ role: 'user', content: 'What is 2 + 3?' }], max_tokens: 12, temperature: 1, seed: 3,
    // @ts-expect-error ponder's extension: force the reply to start inside <think>
    thinking: { type: 'enabled' },
  }).withResponse();
  const msg = r.choices[0].message as typeof r.choices[0]['message'] & Reasoned;
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, MODEL_ID);
  assert.equal(typeof msg.reasoning_content, 'string');
  assert.ok(msg.reasoning_content!.length > 0, 'forced thinking yields reasoning');
  assert.equal(r.usage!.prompt_tokens > 0, true);
  assert.equal(r.usage!.total_tokens, r.usage!.prompt_tokens + r.usage!.completion_tokens);
  const rt = r.usage!.completion_tokens_details!.reasoning_tokens!;
  assert.ok(rt >= 1 && rt <= r.usage!.completion_tokens);
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  if (r.choices[0].finish_reason === 'length') assert.equal(r.usage!.completion_tokens, 12);
  // Stored: a conversation with the user turn and the finished assistant message.
  const msgId = response.headers.get('x-ponder-message-id')!;
  const stored = getMessage(db, msgId)!;
  assert.equal(stored.status, 'complete');
  assert.equal(stored.reasoning_content, msg.reasoning_content);
  assert.equal(stored.content, msg.content);
  assert.equal(stored.completion_tokens, r.usage!.completion_tokens);
  assert.equal(stored.reasoning_tokens, rt);
  assert.ok(stored.total_ms! > 0 && stored.first_token_ms! > 0 && stored.queue_ms! >= 0);
  assert.deepEqual(listMessages(db, stored.conversation_id).map((m) => [m.role, m.status]), [['user', 'complete'], ['assistant', 'complete']]);
  // The request log holds a row for it, owned by the key's user; the pino line has no message text.
  await new Promise((r) => setTimeout(r, 20));
  const rows = listRequests(db, { userId: key.userId });
  assert.ok(rows.some((x) => x.route === '/v1/chat/completions' && x.status === 200 && x.completion_tokens === r.usage!.completion_tokens));
  const line = srv.logLines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request' && l.route === '/v1/chat/completions');
  assert.ok(line && line.latency_ms > 0 && line.request_id.startsWith('req_'));
  assert.ok(!srv.logLines.join('').includes('What is 2 + 3?'), 'prompts are not logged by default');
});

test('streaming: reasoning chunks first, then content, finish, usage chunk, and the text equals the non-streamed one', async (t) => {
  const { client } = await setup(t);
  const req = { model: MODEL_ID, messages: [{ role: 'user' as const, content: 'Say hi' }], max_tokens: 30, temperature: 1, seed: 5, thinking: { type: 'enabled', budget_tokens: 6 } };
  const stream = await client.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } } as never) as unknown as AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>;
  const kinds: string[] = [];
  let reasoning = '', content = '', finish: string | null = null;
  let usage: OpenAI.Completions.CompletionUsage | null | undefined = null;
  for await (const c of stream) {
    if (c.usage) { usage = c.usage; assert.deepEqual(c.choices, []); continue; }
    const d = c.choices[0].delta as typeof c.choices[0]['delta'] & Reasoned;
    if (d.reasoning_content) { kinds.push('r'); reasoning += d.reasoning_content; }
    if (d.content) { kinds.push('c'); content += d.content; }
    if (c.choices[0].finish_reason) finish = c.choices[0].finish_reason;
  }
  assert.ok(kinds.length > 0);
  assert.ok(!kinds.join('').includes('cr'), `reasoning comes before content: ${kinds.join('')}`);
  assert.ok(finish === 'stop' || finish === 'length');
  assert.ok(usage, 'include_usage sends a usage chunk');
  // The budget of 6 reasoning tokens forces </think>: at most 6 + the tag are reasoning.
  assert.ok(usage.completion_tokens_details!.reasoning_tokens! <= 7, `reasoning tokens ${usage.completion_tokens_details!.reasoning_tokens}`);
  const whole = await client.chat.completions.create(req as never) as OpenAI.Chat.Completions.ChatCompletion;
  const m = whole.choices[0].message as typeof whole.choices[0]['message'] & Reasoned;
  assert.equal(reasoning, m.reasoning_content);
  assert.equal(content, m.content);
  assert.deepEqual(usage, whole.usage);
});

test('thinking disabled gives no reasoning; logprobs come in OpenAI\'s shape for the answer tokens', async (t) => {
  const { client } = await setup(t);
  const r = await client.chat.completions.create({
    model: MODEL_ID, messages: [{ role: 'user', content: 'hello' }], max_tokens: 8, temperature: 0, logprobs: true, top_logprobs: 3,
    // @ts-expect-error ponder's extension
    thinking: { type: 'disabled' },
  });
  const m = r.choices[0].message as typeof r.choices[0]['message'] & Reasoned;
  assert.equal(m.reasoning_content, null);
  assert.equal(r.usage!.completion_tokens_details!.reasoning_tokens, 0);
  const lp = r.choices[0].logprobs!.content!;
  assert.ok(lp.length >= 1 && lp.length <= 8);
  for (const e of lp) {
    assert.equal(typeof e.token, 'string');
    assert.ok(e.logprob <= 0);
    assert.ok(Array.isArray(e.bytes));
    assert.equal(e.top_logprobs.length, 3);
    assert.ok(e.top_logprobs[0].logprob >= e.logprob - 1e-6, 'greedy picks the most likely token');
    assert.equal(e.top_logprobs[0].token, e.token);
  }
  // The answer tokens' bytes, decoded, are the answer (special tokens other than the think tags carry no text).
  const bytes = lp.filter((e) => !/^<\|.*\|>$/.test(e.token)).flatMap((e) => e.bytes!);
  assert.equal(parseThink(new TextDecoder().decode(Uint8Array.from(bytes))).answer, m.content);
});

test('stop strings cut the answer before the match; seeds make sampling repeatable', async (t) => {
  const { client } = await setup(t);
  const base = { model: MODEL_ID, messages: [{ role: 'user' as const, content: 'Count' }], max_tokens: 40, temperature: 0.9, seed: 42 };
  const a = await client.chat.completions.create(base);
  const b = await client.chat.completions.create(base);
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  const text = a.choices[0].message.content!;
  const cut = [...text].find((ch, i) => i >= 2 && ch.trim() !== '' && ch !== '\uFFFD');
  assert.ok(cut !== undefined, `the sampled answer ${JSON.stringify(text)} has a character to stop on`);
  const s = await client.chat.completions.create({ ...base, stop: [cut] });
  assert.equal(s.choices[0].message.content, text.slice(0, text.indexOf(cut)));
  assert.equal(s.choices[0].finish_reason, 'stop');
});

test('earlier reasoning_content sent back is accepted and left out of the context', async (t) => {
  const { client } = await setup(t);
  const msgs = (reasoning?: string) => [
    { role: 'user', content: 'first' },
    { role: 'assistant', content: 'answer one', ...(reasoning ? { reasoning_content: reasoning } : {}) },
    { role: 'user', content: 'second' },
  ];
  const withR = await client.chat.completions.create({ model: MODEL_ID, messages: msgs('long hidden reasoning '.repeat(20)) as never, max_tokens: 10, temperature: 0 });
  const without = await client.chat.completions.create({ model: MODEL_ID, messages: msgs() as never, max_tokens: 10, temperature: 0 });
  assert.equal(withR.usage!.prompt_tokens, without.usage!.prompt_tokens);
  assert.equal(withR.choices[0].message.content, without.choices[0].message.content);
});

test('models list, model lookup, and errors through the client', async (t) => {
  const { client, srv, db } = await setup(t);
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), [MODEL_ID]);
  assert.equal((await client.models.retrieve(MODEL_ID)).id, MODEL_ID);
  await assert.rejects(client.models.retrieve('nope'), (e: unknown) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(client.chat.completions.create({ model: 'gpt-4', messages: [{ role: 'user', content: 'x' }] }),
    (e: unknown) => e instanceof OpenAI.NotFoundError && (e as InstanceType<typeof OpenAI.APIError>).code === 'model_not_found');
  await assert.rejects(client.chat.completions.create({ model: MODEL_ID, messages: [] }),
    (e: unknown) => e instanceof OpenAI.UnprocessableEntityError && (e as InstanceType<typeof OpenAI.APIError>).param === 'messages');
  // Keys are optional on this loopback server: a key it never issued acts as no key, a revoked one is refused.
  const { revokeKey } = await import('../../src/store/keys.ts');
  const revoked = createKey(db, { name: 'gone' });
  revokeKey(db, revoked.id);
  const bad = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: revoked.key, maxRetries: 0 });
  await assert.rejects(bad.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError);
  // /healthz and /metrics
  const h = await (await fetch(`${srv.url}/healthz`)).json() as { status: string };
  assert.equal(h.status, 'ok');
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  assert.match(metrics, /ponder_http_requests_total\{route="\/v1\/chat\/completions",status="404"\} 1/);
  assert.match(metrics, /ponder_http_requests_total\{route="\/v1\/models",status="401"\} 1/);
  assert.match(metrics, /ponder_queue_depth 0/);
  assert.match(metrics, /ponder_http_request_duration_seconds_bucket\{route="\/v1\/models",le="\+Inf"\} \d+/);
});

test('a waiting stream gets keep-alive comments; a client that disconnects frees its slot and leaves its message partial', async (t) => {
  const { srv, db, key } = await setup(t, { keepAliveMs: 15, engine: { maxActive: 1 }, checkpoint: 'slow' });
  const engine = srv.backend.engine;
  const body = (n: number) => JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'go' }], max_tokens: n, temperature: 1, seed: 4, stream: true, thinking: { type: 'enabled' } }); // seed 4 reasons for hundreds of tokens
  const headers = { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' };
  // A long generation holds the only slot; we cancel it after its first reasoning chunks.
  const ac = new AbortController();
  const first = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers, body: body(1500), signal: ac.signal });
  const msgId = first.headers.get('x-ponder-message-id')!;
  // A second stream waits in the queue behind it and should see keep-alive comments.
  const second = fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers, body: body(3) });
  const reader = first.body!.getReader();
  let seen = '';
  while (!seen.includes('reasoning_content')) seen += new TextDecoder().decode((await reader.read()).value);
  // The queued stream hears keep-alive comments while the first one still holds the slot.
  const r2 = await second;
  const reader2 = r2.body!.getReader();
  let text = '';
  while (!/^: keep-alive$/m.test(text)) {
    const { value, done } = await reader2.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  assert.match(text, /^: keep-alive$/m, 'the queued stream received keep-alive comments');
  assert.equal(engine.activeCount, 1, 'while the first stream held the only slot');
  ac.abort();
  for (;;) {
    const { value, done } = await reader2.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  assert.match(text, /data: \[DONE\]\n\n$/);
  // The cancelled one freed its slot (the second could run) and did not run to its 1500 tokens.
  for (let i = 0; i < 50 && engine.activeCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(engine.activeCount, 0);
  const m = getMessage(db, msgId)!;
  assert.equal(m.status, 'partial');
  assert.ok(m.reasoning_content !== null && m.reasoning_content.length > 0, 'what was generated before the cancel is kept');
});

test('keys optional (loopback, no --require-key): the dummy keys clients send act as no key; live and revoked keys keep their meaning', async (t) => {
  const { srv, db, key } = await setup(t);
  const { revokeKey } = await import('../../src/store/keys.ts');
  // The README's example and the placeholders OpenAI-compatible servers document.
  for (const apiKey of ['unused-on-loopback', 'sk-no-key-required', 'EMPTY', 'ollama', 'sk-ponder-never-issued']) {
    const client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey, maxRetries: 0 });
    const r = await client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: `hi from ${apiKey}` }], max_tokens: 2 });
    assert.equal(r.object, 'chat.completion', apiKey);
  }
  const local = await (await fetch(`${srv.url}/v1/conversations`, { headers: { authorization: 'Bearer EMPTY' } })).json() as { data: { title: string }[] };
  assert.equal(local.data.length, 5, 'a dummy key acts as the local user, as no key does');
  const live = await (await fetch(`${srv.url}/v1/conversations`, { headers: { authorization: `Bearer ${key.key}` } })).json() as { data: unknown[] };
  assert.equal(live.data.length, 0, 'a live key still names its own user');
  revokeKey(db, key.id);
  assert.equal((await fetch(`${srv.url}/v1/conversations`, { headers: { authorization: `Bearer ${key.key}` } })).status, 401, 'a revoked key is refused');
  // With --require-key every key must be live.
  const strict = await startTestServer(t, { requireKey: true });
  assert.equal((await fetch(`${strict.url}/v1/models`, { headers: { authorization: 'Bearer EMPTY' } })).status, 401);
});
