// Bad input: each a 4xx in OpenAI's error shape that says what is wrong, and the server keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { openDatabase } from '../../src/store/db.ts';
import { createKey, revokeKey } from '../../src/store/keys.ts';
import { startServer } from '../../src/server/app.ts';
import { MODEL_ID, startTestServer, tempDir } from './helpers.ts';

interface Reply { status: number; body: any; headers: Headers }

async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Reply> {
  const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null, headers: r.headers };
}

function assertError(r: Reply, status: number, param: string | null | undefined, pattern: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body), ['error']);
  assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(typeof r.body.error.type, 'string');
  assert.match(r.body.error.message, pattern);
  if (param !== undefined) assert.equal(r.body.error.param, param);
}

const good = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, ...extra });

test('malformed, mistyped, invalid and oversized requests are 4xx in the OpenAI shape; the server keeps serving', async (t) => {
  const srv = await startTestServer(t, { maxBodyBytes: 64 * 1024, maxPromptChars: 2000 });
  const u = srv.url;
  const cases: [string, Promise<Reply>, number, string | null | undefined, RegExp][] = [
    ['malformed JSON', post(u, '{"model": "x", '), 400, null, /not valid JSON/],
    ['empty body', post(u, ''), 400, null, /empty/],
    ['not an object', post(u, '[1, 2]'), 400, null, /JSON object/],
    ['invalid UTF-8', post(u, Uint8Array.from([...Buffer.from('{"model": "'), 0xff, 0xfe, ...Buffer.from('", "messages": []}')])), 400, null, /UTF-8/],
    ['model of the wrong type', post(u, JSON.stringify({ model: 7, messages: [] })), 400, 'model', /'model' must be a string/],
    ['missing messages', post(u, JSON.stringify({ model: MODEL_ID })), 400, 'messages', /required/],
    ['messages not an array', post(u, JSON.stringify({ model: MODEL_ID, messages: 'hi' })), 400, 'messages', /array/],
    ['content of the wrong type', post(u, JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 5 }] })), 400, 'messages[0].content', /string/],
    ['unknown role', post(u, JSON.stringify({ model: MODEL_ID, messages: [{ role: 'wizard', content: 'x' }] })), 422, 'messages[0].role', /wizard/],
    ['temperature as a string', post(u, good({ temperature: 'hot' })), 400, 'temperature', /number/],
    ['temperature out of range', post(u, good({ temperature: 9 })), 422, 'temperature', /between 0 and 2/],
    ['max_tokens not an integer', post(u, good({ max_tokens: 2.5 })), 400, 'max_tokens', /integer/],
    ['max_tokens zero', post(u, good({ max_tokens: 0 })), 422, 'max_tokens', /between/],
    ['stream not a boolean', post(u, good({ stream: 'yes' })), 400, 'stream', /true or false/],
    ['top_logprobs without logprobs', post(u, good({ top_logprobs: 2 })), 422, 'top_logprobs', /logprobs/],
    ['too many stop strings', post(u, good({ stop: ['a', 'b', 'c', 'd', 'e'] })), 422, 'stop', /at most 4/],
    ['n > 1', post(u, good({ n: 2 })), 422, 'n', /must be 1/],
    ['thinking type unknown', post(u, good({ thinking: { type: 'maybe' } })), 422, 'thinking.type', /enabled, disabled or auto/],
    ['reasoning_effort unknown', post(u, good({ reasoning_effort: 'extreme' })), 422, 'reasoning_effort', /low, medium or high/],
    ['stream_options without stream', post(u, good({ stream_options: { include_usage: true } })), 422, 'stream_options', /stream: true/],
    ['unknown model', post(u, good({ model: 'gpt-5' })), 404, 'model', /gpt-5/],
    ['unknown conversation', post(u, good({ conversation_id: 'conv_nope' })), 404, 'conversation_id', /conv_nope/],
    ['prompt larger than the server accepts', post(u, JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'x'.repeat(3000) }] })), 413, 'messages', /at most 2000/],
    ['prompt longer than the context', post(u, JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'q7 z! '.repeat(300) }] })), 422, 'messages', /context/],
    ['a huge body', post(u, JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'y'.repeat(200_000) }] })), 413, undefined, /limit of 65536 bytes/],
  ];
  for (const [what, p, status, param, pattern] of cases) {
    const r = await p;
    try {
      assertError(r, status, param, pattern);
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}`);
    }
  }
  // Wrong routes and methods.
  const nf = await fetch(`${u}/v1/nothing`);
  assertError({ status: nf.status, body: await nf.json(), headers: nf.headers }, 404, null, /no route/);
  const na = await fetch(`${u}/v1/chat/completions`);
  assert.equal(na.status, 405);
  assert.equal(na.headers.get('allow'), 'POST');
  // Still serving.
  const ok = await post(u, good());
  assert.equal(ok.status, 200);
  assert.equal(ok.body.choices[0].message.role, 'assistant');
  const health = await fetch(`${u}/healthz`);
  assert.equal(health.status, 200);
});

test('a body far beyond the limit is refused without reading it all, over a raw socket too', async (t) => {
  const srv = await startTestServer(t, { maxBodyBytes: 1024 });
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(10 << 20) } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.write('{"model": "');
  });
  assert.equal(status, 413);
  assert.equal((await post(srv.url, good())).status, 200);
});

test('keys: required beyond loopback (refuses to start without one), or when asked; missing, wrong and revoked keys are 401', async (t) => {
  const dir = tempDir(t);
  const db = openDatabase({ dataDir: dir });
  t.after(() => db.close());
  const { LocalBackend } = await import('../../src/server/local.ts');
  const dummy = { kind: 'local', listModels: async () => [], start: async () => { throw new Error('unused'); }, stats: () => ({ queueDepth: 0, active: 0 }) } as unknown as InstanceType<typeof LocalBackend>;
  await assert.rejects(startServer({ backend: dummy, db, host: '0.0.0.0', port: 0 }), /refusing to serve on 0\.0\.0\.0.*no API keys/);

  const srv = await startTestServer(t, { db, dataDir: dir, requireKey: true });
  const key = createKey(db, { name: 'k' });
  const other = createKey(db, { name: 'old' });
  revokeKey(db, other.id);
  assertError(await post(srv.url, good()), 401, null, /API key is required/);
  assertError(await post(srv.url, good(), { authorization: 'Bearer sk-ponder-nope' }), 401, null, /not valid/);
  assertError(await post(srv.url, good(), { authorization: `Bearer ${other.key}` }), 401, null, /not valid/);
  assertError(await post(srv.url, good(), { authorization: `Basic abc` }), 401, null, /Bearer/);
  const r = await post(srv.url, good(), { authorization: `Bearer ${key.key}` });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('www-authenticate'), null);
  // /healthz needs no key.
  assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
});

test('per-key rate limit: a burst beyond the bucket is 429 with Retry-After; CORS only when configured', async (t) => {
  const srv = await startTestServer(t, { rateLimitPerMinute: 60, rateBurst: 3, corsOrigin: 'https://chat.example' });
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await fetch(`${srv.url}/v1/models`)).status);
  assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  const r = await fetch(`${srv.url}/v1/models`);
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers.get('retry-after')) >= 1);
  const body = await r.json() as { error: { type: string; code: string } };
  assert.equal(body.error.code, 'rate_limit_exceeded');
  assert.equal(r.headers.get('access-control-allow-origin'), 'https://chat.example');
  const pre = await fetch(`${srv.url}/v1/chat/completions`, { method: 'OPTIONS' });
  assert.equal(pre.status, 204);
  assert.match(pre.headers.get('access-control-allow-headers')!, /authorization/);

  const plain = await startTestServer(t);
  const h = await fetch(`${plain.url}/v1/models`);
  assert.equal(h.headers.get('access-control-allow-origin'), null);
});
