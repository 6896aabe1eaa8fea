// Web search in the product: `web_search: true` asks the configured provider (a real HTTP server
// on 127.0.0.1 speaking SearXNG's JSON API), puts the results in front of the question with
// numbered sources, returns them as citations on the first chunk (and the JSON reply), and stores
// them with the answer. A provider that fails or times out costs the sources, never the answer.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SearxngProvider } from '../../src/search/index.ts';
import { sseData } from '../../src/server/upstream.ts';
import { MODEL_ID, startTestServer } from './helpers.ts';

type Mode = 'ok' | 'error' | 'stall' | 'not-json';

/** A SearXNG stand-in: GET /search?q=...&format=json answers {"query", "results": [{title, url, content, engine}]}. */
async function searxng(t: TestContext): Promise<{ url: string; queries: string[]; mode: { now: Mode } }> {
  const queries: string[] = [];
  const mode = { now: 'ok' as Mode };
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    if (u.pathname !== '/search' || u.searchParams.get('format') !== 'json') { res.writeHead(404).end(); return; }
    queries.push(u.searchParams.get('q') ?? '');
    if (mode.now === 'stall') return; // never answers
    if (mode.now === 'error') { res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Internal Server Error</h1>'); return; }
    if (mode.now === 'not-json') { res.writeHead(200, { 'content-type': 'text/html' }).end('<html>rate limited</html>'); return; }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
      query: u.searchParams.get('q'), number_of_results: 2,
      results: [
        { title: 'Rayleigh scattering', url: 'https://en.example.org/wiki/Rayleigh_scattering', content: 'Blue light is scattered more than red light by the molecules of the air.', engine: 'wikipedia', score: 1 },
        { title: 'Why is the sky blue?', url: 'https://science.example.com/sky', content: 'Sunlight reaches Earth and is scattered in every direction.', engine: 'duckduckgo', score: 0.8 },
      ],
      answers: [], suggestions: [], unresponsive_engines: [],
    }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => { server.closeAllConnections(); server.close(); });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, queries, mode };
}

const post = (url: string, body: Record<string, unknown>) => fetch(`${url}/v1/chat/completions`, {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: MODEL_ID, max_tokens: 40, messages: [{ role: 'user', content: 'why is the sky blue' }], ...body }),
});

test('web_search: results go into the prompt, come back as citations, and are stored with the answer', async (t) => {
  const sx = await searxng(t);
  const srv = await startTestServer(t, { webSearch: new SearxngProvider(sx.url, 2000) });
  const plain = await (await post(srv.url, { store: false })).json() as { usage: { prompt_tokens: number } };
  const r = await post(srv.url, { web_search: true });
  assert.equal(r.status, 200);
  const j = await r.json() as { citations: { index: number; title: string; source: string }[]; usage: { prompt_tokens: number }; conversation_id: string; message_id: string; search_errors?: unknown };
  assert.deepEqual(sx.queries, ['why is the sky blue']);
  assert.ok(j.citations.length >= 1, 'the sources that fit the context are cited');
  assert.deepEqual(j.citations[0], { index: 1, title: 'Rayleigh scattering', source: 'https://en.example.org/wiki/Rayleigh_scattering', snippet: 'Blue light is scattered more than red light by the molecules of the air.' });
  assert.ok(j.usage.prompt_tokens > plain.usage.prompt_tokens, 'the sources were in the prompt');
  assert.equal(j.search_errors, undefined);
  // Stored with the answer: the conversation shows the citations again.
  const conv = await (await fetch(`${srv.url}/v1/conversations/${j.conversation_id}`)).json() as { messages: { id: string; citations?: unknown }[] };
  assert.deepEqual(conv.messages.find((m) => m.id === j.message_id)!.citations, j.citations);
  // Streamed: the citations come on the first chunk.
  const s = await post(srv.url, { web_search: true, stream: true, store: false });
  const first = (await sseData(s.body!).next()).value as string;
  assert.deepEqual(JSON.parse(first).citations, j.citations);
});

test('a web search that fails, times out or answers nonsense is reported, and the question is still answered', async (t) => {
  const sx = await searxng(t);
  const srv = await startTestServer(t, { webSearch: new SearxngProvider(sx.url, 300) });
  const expect: Record<Exclude<Mode, 'ok'>, RegExp> = { error: /answered HTTP 500/, stall: /no answer within 0\.3 s/, 'not-json': /did not answer JSON/ };
  for (const [mode, message] of Object.entries(expect) as [Exclude<Mode, 'ok'>, RegExp][]) {
    sx.mode.now = mode;
    const r = await post(srv.url, { web_search: true, thinking: { type: 'disabled' } });
    assert.equal(r.status, 200, mode);
    const j = await r.json() as { choices: { finish_reason: string; message: { content: string } }[]; search_errors: { source: string; message: string }[]; citations?: unknown[]; message_id: string };
    assert.equal(j.search_errors.length, 1, mode);
    assert.equal(j.search_errors[0].source, 'web');
    assert.match(j.search_errors[0].message, message);
    assert.ok(['stop', 'length'].includes(j.choices[0].finish_reason), `${mode}: answered`);
    assert.ok(!j.citations?.length);
  }
  // Streamed, the error comes on the first chunk and the answer follows.
  sx.mode.now = 'error';
  const s = await post(srv.url, { web_search: true, stream: true, store: false });
  const events: string[] = [];
  for await (const d of sseData(s.body!)) events.push(d);
  assert.match(JSON.parse(events[0]).search_errors[0].message, /HTTP 500/);
  assert.equal(events.at(-1), '[DONE]');
});

test('web_search on a server without it is a clear 422', async (t) => {
  const srv = await startTestServer(t);
  const r = await post(srv.url, { web_search: true });
  assert.equal(r.status, 422);
  const e = (await r.json() as { error: { param: string; message: string } }).error;
  assert.equal(e.param, 'web_search');
  assert.match(e.message, /--web-search URL/);
});
