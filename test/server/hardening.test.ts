// What a hostile or careless client found: DNS rebinding and cross-site writes (Host, Origin,
// content type), slow and huge requests (timeouts, the cheap length check, sliced moderation),
// aborted uploads in the log, and small ones (bad percent-encoding, HEAD, the 429 message, `/`
// without a built page).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { openDatabase } from '../../src/store/db.ts';
import { listConversations } from '../../src/store/conversations.ts';
import { LOCAL_USER_ID } from '../../src/store/users.ts';
import type { Policy } from '../../src/moderation/index.ts';
import { MODEL_ID, startTestServer, tempDir } from './helpers.ts';

const JSON_TYPE = { 'content-type': 'application/json' };

/** A raw request, so that Host and other headers fetch guards can be set. */
function raw(url: string, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

test('a loopback server answers only loopback Host names (DNS rebinding cannot read the local user\'s data)', async (t) => {
  const srv = await startTestServer(t);
  const rebound = await raw(srv.url, { path: '/v1/me/export', headers: { host: 'attacker.example:8000' } });
  assert.equal(rebound.status, 403);
  assert.match(JSON.parse(rebound.body).error.message, /attacker\.example/);
  assert.equal((await raw(srv.url, { path: '/', headers: { host: 'attacker.example' } })).status, 403, 'the page too');
  for (const host of [`127.0.0.1:${srv.port}`, `localhost:${srv.port}`, 'localhost']) {
    assert.equal((await raw(srv.url, { path: '/v1/me/export', headers: { host } })).status, 200, host);
  }
});

test('cross-origin requests are refused unless --cors-origin allows them; bodies must be application/json', async (t) => {
  const dir = tempDir(t);
  const db = openDatabase({ dataDir: dir });
  const srv = await startTestServer(t, { db, dataDir: dir });
  const chat = JSON.stringify({ model: MODEL_ID, max_tokens: 2, messages: [{ role: 'user', content: 'written by another site' }] });
  // A cross-site "simple" POST: text/plain, from another origin.
  const simple = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', body: chat, headers: { 'content-type': 'text/plain;charset=UTF-8' } });
  assert.equal(simple.status, 415);
  const noType = await fetch(`${srv.url}/v1/feedback`, { method: 'POST', body: new Blob(['{}']) });
  assert.equal(noType.status, 415);
  const foreign = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', body: chat, headers: { ...JSON_TYPE, origin: 'http://attacker.example' } });
  assert.equal(foreign.status, 403);
  assert.equal((await fetch(`${srv.url}/v1/me/export`, { headers: { origin: 'null' } })).status, 403);
  assert.equal(listConversations(db, LOCAL_USER_ID).length, 0, 'nothing was written');
  // The page itself (same origin) and non-browser clients (no Origin) are served.
  assert.equal((await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', body: chat, headers: { ...JSON_TYPE, origin: srv.url } })).status, 200);
  assert.equal((await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', body: chat, headers: { 'content-type': 'application/json; charset=utf-8' } })).status, 200);
  // --cors-origin names the one origin allowed.
  const cors = await startTestServer(t, { corsOrigin: 'http://app.example' });
  assert.equal((await fetch(`${cors.url}/v1/models`, { headers: { origin: 'http://app.example' } })).status, 200);
  assert.equal((await fetch(`${cors.url}/v1/models`, { headers: { origin: 'http://other.example' } })).status, 403);
});

test('a prompt far beyond the context is refused by a cheap length bound, before tokenising', async (t) => {
  const srv = await startTestServer(t);
  const r = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: JSON_TYPE,
    body: JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'word '.repeat(39_800) }] }) });
  assert.equal(r.status, 422);
  const e = (await r.json() as { error: { code: string; message: string } }).error;
  assert.equal(e.code, 'context_length_exceeded');
  assert.match(e.message, /at least \d+ tokens/, 'the bound answered, not a tokenisation');
});

test('slow clients time out: headers and body have deadlines', { timeout: 30_000 }, async (t) => {
  const srv = await startTestServer(t, { headersTimeoutMs: 200, requestTimeoutMs: 400 });
  const closedAfter = (send: (s: ReturnType<typeof connect>) => void) => new Promise<string>((resolve) => {
    const s = connect(srv.port, '127.0.0.1', () => send(s));
    let got = '';
    s.on('data', (d) => { got += d; });
    s.on('close', () => resolve(got));
  });
  // Headers that never end.
  const h = await closedAfter((s) => s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
  assert.match(h, /^HTTP\/1\.1 408/);
  // A body that never arrives.
  const b = await closedAfter((s) => s.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"model"`));
  assert.match(b, /^HTTP\/1\.1 408/);
});

test('the request deadline does not cut a long answer', { timeout: 60_000, skip: process.env.PONDER_BACKEND === 'ts' ? 'decodes hundreds of tokens on the slow model: native backend only' : undefined }, async (t) => {
  const srv = await startTestServer(t, { headersTimeoutMs: 200, requestTimeoutMs: 400, checkpoint: 'slow' });
  const t0 = performance.now();
  const r = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: JSON_TYPE,
    body: JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'think long' }], max_tokens: 1800, temperature: 1, seed: 4, stream: true, thinking: { type: 'enabled' } }) });
  const text = await r.text();
  assert.match(text, /data: \[DONE\]\n\n$/);
  if (performance.now() - t0 < 400) t.diagnostic('the answer came before the request deadline; nothing shown about long answers');
});

test('an aborted upload is logged as a client event, not an error with a stack', { timeout: 30_000 }, async (t) => {
  const srv = await startTestServer(t);
  await new Promise<void>((resolve) => {
    const s = connect(srv.port, '127.0.0.1', () => {
      s.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"model":`);
      setTimeout(() => { s.destroy(); resolve(); }, 50);
    });
  });
  const deadline = Date.now() + 5000;
  while (!srv.logLines.some((l) => l.includes('client_aborted')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const lines = srv.logLines.map((l) => JSON.parse(l) as { level: string; event?: string; err?: unknown; msg: string });
  const aborted = lines.find((l) => l.event === 'client_aborted');
  assert.ok(aborted, 'a client_aborted line');
  assert.equal(aborted.level, 'info');
  assert.equal(lines.filter((l) => l.level === 'error' || l.level === 'fatal' || l.err !== undefined).length, 0, `no error lines: ${srv.logLines.join('')}`);
});

test('/v1/moderations judges long inputs in slices: other requests are answered meanwhile, and text deep in an input is read', async (t) => {
  const { Moderator, parseRules, PolicyBook, DEFAULT_POLICY, defaultModerator } = await import('../../src/moderation/index.ts');
  // The shipped classifier with a rule of ours; the first judgement starts a health check.
  let started: (() => void) | null = null;
  class Watched extends Moderator {
    override moderateMany(texts: string[], policy?: Policy) { started?.(); started = null; return super.moderateMany(texts, policy); }
  }
  const moderator = new Watched(parseRules({ categories: { blocked: { keywords: ['forbiddenword'] } } }), defaultModerator().classifier);
  const srv = await startTestServer(t, { moderation: { moderator, policies: new PolicyBook(DEFAULT_POLICY, new Map(), true) } });
  const long = 'plain words go here. '.repeat(1500).slice(0, 31_000);
  const input = Array.from({ length: 32 }, (_, i) => (i === 31 ? long.slice(0, 25_000) + ' forbiddenword ' + long.slice(0, 5000) : long));
  const order: string[] = [];
  let health: Promise<number> | null = null;
  started = () => { health = fetch(`${srv.url}/healthz`).then((r) => { order.push('healthz'); return r.status; }); };
  const j = await fetch(`${srv.url}/v1/moderations`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ input }) })
    .then(async (r) => { order.push('moderations'); return r.json() as Promise<{ results: { flagged: boolean }[] }>; });
  assert.ok(health, 'the moderation ran');
  assert.equal(await health, 200);
  assert.deepEqual(order, ['healthz', 'moderations'], 'the health check did not wait for the whole moderation');
  assert.deepEqual(j.results.map((x) => x.flagged), [...Array(31).fill(false), true]);
});

test('small ones: bad percent-encoding is 400, HEAD works on GET routes, the 429 message agrees with Retry-After, / says how to build the page', async (t) => {
  const srv = await startTestServer(t, { rateLimitPerMinute: 2, rateBurst: 2, webDir: null });
  const pct = await raw(srv.url, { path: '/v1/models/%' });
  assert.equal(pct.status, 400);
  assert.match(JSON.parse(pct.body).error.message, /not valid URL encoding/);
  const head = await raw(srv.url, { method: 'HEAD', path: '/v1/models' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  const limited = await fetch(`${srv.url}/v1/models`);
  assert.equal(limited.status, 429);
  const secs = Number(limited.headers.get('retry-after'));
  assert.ok(secs >= 1);
  assert.match((await limited.json() as { error: { message: string } }).error.message, new RegExp(`retry in ${secs} s\\b`));
  const page = await fetch(`${srv.url}/`);
  assert.equal(page.status, 404);
  assert.match(page.headers.get('content-type')!, /text\/html/);
  assert.match(await page.text(), /npm run build:web/);
  assert.equal((await raw(srv.url, { method: 'HEAD', path: '/healthz' })).status, 200);
});
