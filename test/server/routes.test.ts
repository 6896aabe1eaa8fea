// The other routes and the command: user export/delete over the API, metrics counting tokens,
// opt-in content logging, and `ponder serve`'s flag checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/store/db.ts';
import { createKey } from '../../src/store/keys.ts';
import { listConversations } from '../../src/store/conversations.ts';
import { createLogger } from '../../src/server/log.ts';
import { command as serve } from '../../src/cli/commands/serve.ts';
import { MODEL_ID, startTestServer, tempDir } from './helpers.ts';

test('a key\'s user exports and deletes their data through the API; others\' data stays', async (t) => {
  const dir = tempDir(t);
  const db = openDatabase({ dataDir: dir });
  const srv = await startTestServer(t, { db, dataDir: dir, requireKey: true });
  const alice = createKey(db, { name: 'alice' }), bob = createKey(db, { name: 'bob' });
  const call = (key: string, path: string, init: RequestInit = {}) =>
    fetch(`${srv.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });
  for (const [k, text] of [[alice.key, 'alice asks'], [bob.key, 'bob asks']]) {
    const r = await call(k, '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: text }], max_tokens: 3 }) });
    assert.equal(r.status, 200);
  }
  const exp = await (await call(alice.key, '/v1/me/export')).json() as { conversations: { messages: { content: string }[] }[] };
  assert.equal(exp.conversations.length, 1);
  assert.equal(exp.conversations[0].messages[0].content, 'alice asks');
  assert.ok(!JSON.stringify(exp).includes('bob asks'));
  const del = await call(alice.key, '/v1/me', { method: 'DELETE' });
  assert.equal(del.status, 200);
  assert.equal(((await del.json()) as { deleted: { conversations: number } }).deleted.conversations, 1);
  assert.equal(listConversations(db, alice.userId).length, 0);
  assert.equal(listConversations(db, bob.userId).length, 1);
  assert.equal((await call(alice.key, '/v1/models')).status, 401, 'the deleted user\'s key is gone too');
});

test('metrics count tokens and time to first token; message text is logged only when asked', async (t) => {
  const lines: string[] = [];
  const srv = await startTestServer(t, { log: createLogger({ logContent: true, destination: { write: (l: string) => { lines.push(l); } } }) });
  const r = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'secret words' }], max_tokens: 4, thinking: { type: 'disabled' } }) });
  const body = await r.json() as { usage: { prompt_tokens: number; completion_tokens: number } };
  const m = await (await fetch(`${srv.url}/metrics`)).text();
  assert.match(m, new RegExp(`ponder_tokens_total\\{kind="prompt"\\} ${body.usage.prompt_tokens}\\n`));
  assert.match(m, new RegExp(`ponder_tokens_total\\{kind="completion"\\} ${body.usage.completion_tokens}\\n`));
  assert.match(m, /ponder_time_to_first_token_seconds_count 1\n/);
  assert.ok(lines.join('').includes('secret words'), 'with content logging on, the prompt is in the request line');
});

test('ponder serve refuses contradictory or bad flags before loading anything', async () => {
  await assert.rejects(async () => serve.run(['--checkpoint', 'x', '--upstream', 'http://127.0.0.1:1/v1']), /exclude each other/);
  await assert.rejects(async () => serve.run(['--upstream-key', 'k']), /needs --upstream/);
  await assert.rejects(async () => serve.run(['--port', 'eighty']), /--port must be an integer/);
  await assert.rejects(async () => serve.run(['--bogus']), /bogus/);
  await assert.rejects(async () => serve.run(['--checkpoint', '/nonexistent/ckpt']), /no such (file or )?folder/);
  await assert.rejects(async () => serve.run(['--web-search', 'not a url']), /web search URL 'not a url' is not a valid URL/);
  await assert.rejects(async () => serve.run(['--web-search', 'ftp://searx.example']), /must be http or https/);
  await assert.rejects(async () => serve.run(['--web-search-timeout-ms', '100']), /--web-search-timeout-ms needs --web-search URL/);
  await assert.rejects(async () => serve.run(['--shutdown-grace-ms', '-1']), /shutdown-grace-ms/);
});

test('moderation: a flagged input is not answered (finish_reason content_filter), a flagged output stops with finish_reason content_filter', async (t) => {
  const { Moderator, parseRules, PolicyBook, DEFAULT_POLICY } = await import('../../src/moderation/index.ts');
  const { listModerationEvents } = await import('../../src/store/moderation.ts');
  const { getMessage } = await import('../../src/store/messages.ts');
  // Input side: a keyword rule.
  const dir = tempDir(t);
  const db = openDatabase({ dataDir: dir });
  const words = new Moderator(parseRules({ categories: { blocked: { keywords: ['forbiddenword'] } } }));
  const a = await startTestServer(t, { db, dataDir: dir, moderation: { moderator: words, policies: new PolicyBook(DEFAULT_POLICY, new Map(), true) } });
  const post = (url: string, body: Record<string, unknown>) => fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, max_tokens: 30, ...body }) });
  // Not answered: an empty reply with finish_reason content_filter, stored as filtered, with an input event.
  const r = await post(a.url, { messages: [{ role: 'user', content: 'please say the ForbiddenWord' }] });
  assert.equal(r.status, 200);
  const e = await r.json() as { choices: { finish_reason: string; message: { content: string } }[]; moderation: { category: string; rule: string }; message_id: string; user_message_id: string };
  assert.equal(e.choices[0].finish_reason, 'content_filter');
  assert.equal(e.choices[0].message.content, '');
  assert.deepEqual(e.moderation, { category: 'blocked', rule: 'keyword:forbiddenword' });
  assert.equal(getMessage(db, e.message_id)!.status, 'filtered');
  assert.deepEqual(listModerationEvents(db).map((x) => [x.direction, x.category, x.action, x.message_id]), [['input', 'blocked', 'block', e.user_message_id]]);
  const s = await (await post(a.url, { stream: true, messages: [{ role: 'user', content: 'forbiddenword' }] })).text();
  assert.match(s, /"finish_reason":"content_filter".*"moderation":\{"category":"blocked"/);
  assert.match(s, /data: \[DONE\]\n\n$/);
  assert.equal((await post(a.url, { messages: [{ role: 'user', content: 'harmless' }] })).status, 200);
  // /v1/moderations is mounted.
  const m = await fetch(`${a.url}/v1/moderations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: ['forbiddenword here', 'fine'] }) });
  assert.deepEqual(((await m.json()) as { results: { flagged: boolean }[] }).results.map((x) => x.flagged), [true, false]);

  // Output side: a rule any generated letter or digit trips, checked every 8 characters.
  const anything = new Moderator(parseRules({ categories: { test: { patterns: ['[a-z0-9]'] } } }));
  const outOnly = { ...DEFAULT_POLICY, input: false };
  const b = await startTestServer(t, { db, dataDir: dir, moderation: { moderator: anything, policies: new PolicyBook(outOnly, new Map(), true), every: 8 } });
  const body = { messages: [{ role: 'user', content: 'talk' }], max_tokens: 200, temperature: 1, seed: 4, thinking: { type: 'disabled' } };
  const whole = await post(b.url, body);
  const wj = await whole.json() as { choices: { finish_reason: string; message: { content: string } }[]; usage: { completion_tokens: number } };
  assert.equal(wj.choices[0].finish_reason, 'content_filter');
  assert.equal(wj.choices[0].message.content, '', 'the flagged answer is withheld');
  assert.ok(wj.usage.completion_tokens < 200, 'generation stopped early');
  const stored = getMessage(db, whole.headers.get('x-ponder-message-id')!)!;
  assert.equal(stored.status, 'filtered');
  const streamed = await (await post(b.url, { ...body, stream: true })).text();
  assert.match(streamed, /"finish_reason":"content_filter"/);
  assert.match(streamed, /data: \[DONE\]\n\n$/);
  assert.ok(listModerationEvents(db).some((x) => x.direction === 'output' && x.category === 'test' && x.message_id === stored.id));
});
