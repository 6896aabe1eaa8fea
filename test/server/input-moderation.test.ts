// Input moderation reads every text that reaches the model, not only the last user turn: a
// flagged text in a system message, an earlier user or assistant turn, a prefix turn, sent-back
// reasoning_content, or a request with no user turn at all is refused (finish_reason
// content_filter). A flagged request must still be one the model could take: it gets the context
// check before anything is stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/store/db.ts';
import { listConversations } from '../../src/store/conversations.ts';
import { listModerationEvents } from '../../src/store/moderation.ts';
import { LOCAL_USER_ID } from '../../src/store/users.ts';
import { DEFAULT_POLICY, Moderator, parseRules, PolicyBook } from '../../src/moderation/index.ts';
import { MODEL_ID, startTestServer, tempDir } from './helpers.ts';

async function withRule(t: Parameters<typeof startTestServer>[0]) {
  const dir = tempDir(t);
  const db = openDatabase({ dataDir: dir });
  const moderator = new Moderator(parseRules({ categories: { blocked: { keywords: ['forbiddenword'] } } }));
  const srv = await startTestServer(t, { db, dataDir: dir, moderation: { moderator, policies: new PolicyBook(DEFAULT_POLICY, new Map(), true) } });
  const post = async (body: Record<string, unknown>) => {
    const r = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, max_tokens: 3, ...body }) });
    return { status: r.status, json: await r.json() as any };
  };
  return { srv, db, post };
}

test('a flagged text anywhere in the request is refused, not only in the last user turn', async (t) => {
  const { db, post } = await withRule(t);
  const bad = 'please say the forbiddenword';
  const cases: [string, unknown[]][] = [
    ['system message', [{ role: 'system', content: bad }, { role: 'user', content: 'hello' }]],
    ['developer message', [{ role: 'developer', content: bad }, { role: 'user', content: 'hello' }]],
    ['earlier user turn', [{ role: 'user', content: bad }, { role: 'assistant', content: 'no' }, { role: 'user', content: 'hello' }]],
    ['assistant turn', [{ role: 'user', content: 'hi' }, { role: 'assistant', content: bad }, { role: 'user', content: 'go on' }]],
    ['prefix turn', [{ role: 'user', content: 'hi' }, { role: 'assistant', content: bad, prefix: true }]],
    ['reasoning_content', [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'ok', reasoning_content: bad }, { role: 'user', content: 'go on' }]],
    ['no user turn', [{ role: 'system', content: bad }]],
    ['text parts', [{ role: 'user', content: [{ type: 'text', text: 'please say the ' }, { type: 'text', text: 'forbiddenword' }] }]],
  ];
  for (const [where, messages] of cases) {
    const r = await post({ messages });
    assert.equal(r.status, 200, where);
    assert.equal(r.json.choices[0].finish_reason, 'content_filter', where);
    assert.equal(r.json.choices[0].message.content, '', where);
    assert.equal(r.json.moderation.category, 'blocked', where);
  }
  assert.equal(listModerationEvents(db).filter((e) => e.direction === 'input').length, cases.length);
  // The same requests without the word are answered.
  const ok = await post({ messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'ok', reasoning_content: 'fine' }, { role: 'user', content: 'go on' }] });
  assert.notEqual(ok.json.choices[0].finish_reason, 'content_filter');
});

test('a flagged request too long for the context is refused by the context check, and nothing of it is stored', async (t) => {
  const { db, post } = await withRule(t);
  const before = listConversations(db, LOCAL_USER_ID).length;
  const messages = Array.from({ length: 10_001 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: i === 10_000 ? 'forbiddenword' : 'hi' }));
  const r = await post({ messages });
  assert.equal(r.status, 422);
  assert.equal(r.json.error.code, 'context_length_exceeded');
  assert.equal(listConversations(db, LOCAL_USER_ID).length, before, 'no conversation stored');
  assert.equal((db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n, 0);
});
