// What the web page needs from the server (docs/product-api.md): ids on the first chunk,
// conversations, feedback, regenerate, thinking_budget, search citations, and the page itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { openDatabase } from '../../src/store/db.ts';
import { listMessages } from '../../src/store/messages.ts';
import { buildIndex } from '../../src/search/index.ts';
import { sseData } from '../../src/server/upstream.ts';
import { MODEL_ID, startTestServer, tempDir } from './helpers.ts';

async function streamChat(url: string, body: Record<string, unknown>) {
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, max_tokens: 6, stream: true, ...body }) });
  assert.equal(res.status, 200);
  const chunks: any[] = [];
  for await (const d of sseData(res.body!)) if (d !== '[DONE]') chunks.push(JSON.parse(d));
  return chunks;
}

test('the page\'s flow: ids on the first chunk, conversations, feedback, regenerate without a second question', async (t) => {
  const srv = await startTestServer(t);
  const first = await streamChat(srv.url, { messages: [{ role: 'user', content: 'why is the sky blue' }], thinking_budget: 2, thinking: { type: 'enabled' } });
  const { conversation_id: conv, message_id: msg, user_message_id: userMsg } = first[0];
  assert.ok(conv && msg && userMsg, 'the first chunk names the stored conversation and messages');
  const usage = await (await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, max_tokens: 10, temperature: 0, thinking_budget: 2, thinking: { type: 'enabled' }, messages: [{ role: 'user', content: 'q' }] }) })).json() as any;
  assert.ok(usage.usage.completion_tokens_details.reasoning_tokens <= 3, 'thinking_budget caps reasoning at 2 tokens (+ </think>)');

  const list = await (await fetch(`${srv.url}/v1/conversations`)).json() as any;
  assert.ok(list.data.some((c: any) => c.id === conv && c.title === 'why is the sky blue'));
  const fb = await fetch(`${srv.url}/v1/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message_id: msg, rating: 1, rewrite: 'Rayleigh scattering.' }) });
  assert.equal(fb.status, 200);

  // Regenerate: the question is not stored twice; a second answer is.
  const again = await streamChat(srv.url, { conversation_id: conv, regenerate: true, messages: [{ role: 'user', content: 'why is the sky blue' }] });
  assert.equal(again[0].user_message_id, userMsg);
  assert.notEqual(again[0].message_id, msg);
  const got = await (await fetch(`${srv.url}/v1/conversations/${conv}`)).json() as any;
  assert.deepEqual(got.messages.map((m: any) => m.role), ['user', 'assistant', 'assistant']);
  assert.deepEqual(got.messages[1].feedback, { rating: 1, comment: null, rewrite: 'Rayleigh scattering.' });
  assert.equal((await fetch(`${srv.url}/v1/conversations/${conv}`, { method: 'DELETE' })).status, 200);
  assert.equal((await fetch(`${srv.url}/v1/conversations/${conv}`)).status, 404);
  const bad = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, regenerate: true, messages: [{ role: 'user', content: 'x' }] }) });
  assert.equal(bad.status, 422);
});

test('search: true puts the local index\'s passages into the prompt and returns citations', async (t) => {
  const dir = tempDir(t);
  const docs = join(dir, 'docs');
  mkdirSync(docs);
  writeFileSync(join(docs, 'sky.md'), '# Sky colour\n\nThe sky is blue because of Rayleigh scattering of sunlight.\n');
  writeFileSync(join(docs, 'bread.md'), '# Bread\n\nBread rises because yeast makes carbon dioxide.\n');
  const searchDb = join(dir, 'search.db');
  buildIndex(docs, searchDb);
  const srv = await startTestServer(t, { searchDb });
  const ask = (search: boolean) => fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, max_tokens: 3, search, messages: [{ role: 'user', content: 'why is the sky blue' }] }) }).then((r) => r.json() as Promise<any>);
  const withS = await ask(true), without = await ask(false);
  assert.equal(withS.citations[0].index, 1);
  assert.equal(withS.citations[0].title, 'Sky colour');
  assert.match(withS.citations[0].source, /sky\.md$/);
  assert.ok(withS.usage.prompt_tokens > without.usage.prompt_tokens + 10, 'the passages went into the prompt');
  assert.equal(without.citations, undefined);
  // The stored conversation holds the user's words, not the search context.
  const db = openDatabase({ dataDir: srv.dataDir });
  t.after(() => db.close());
  assert.deepEqual(listMessages(db, withS.conversation_id).map((m) => m.role), ['user', 'assistant']);
  const streamed = await streamChat(srv.url, { search: true, messages: [{ role: 'user', content: 'bread yeast' }] });
  assert.equal(streamed[0].citations[0].title, 'Bread');
  // Without an index, search is a 422 that says so.
  const none = await startTestServer(t);
  const r = await fetch(`${none.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, search: true, messages: [{ role: 'user', content: 'x' }] }) });
  assert.equal(r.status, 422);
  assert.match(((await r.json()) as any).error.message, /no search index/);
});

test('the web page is served at / without a key; nothing outside its folder is', async (t) => {
  const outer = tempDir(t);
  const web = join(outer, 'web');
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(outer, 'secret.html'), 'not for you');
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>ponder</title>');
  writeFileSync(join(web, 'assets', 'app.js'), 'console.log(1)');
  const srv = await startTestServer(t, { webDir: web, requireKey: true });
  const page = await fetch(`${srv.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type')!, /text\/html/);
  assert.equal(await page.text(), '<!doctype html><title>ponder</title>');
  const js = await fetch(`${srv.url}/assets/app.js`);
  assert.match(js.headers.get('content-type')!, /javascript/);
  // Raw paths (fetch would normalise the dots away before sending).
  const raw = (path: string) => new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path, method: 'GET' }, (res) => { res.resume(); resolve(res.statusCode!); });
    req.on('error', reject);
    req.end();
  });
  for (const p of ['/../secret.html', '/%2e%2e/secret.html', '/assets/../../secret.html', '/..%2fsecret.html', '/nothing.html', '/index.html%00.js']) {
    assert.equal(await raw(p), 404, p);
  }
  assert.equal(await raw('/assets/../index.html'), 200, 'dots inside the folder are fine');
  assert.equal((await fetch(`${srv.url}/v1/conversations`)).status, 401, 'the API still needs the key');
});
