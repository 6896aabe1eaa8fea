import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DB } from '../../src/store/db.ts';
import { openDatabase } from '../../src/store/db.ts';
import { createKey } from '../../src/store/keys.ts';
import { createConversation } from '../../src/store/conversations.ts';
import { addMessage } from '../../src/store/messages.ts';
import { addFeedback } from '../../src/store/feedback.ts';
import { addModerationEvent } from '../../src/store/moderation.ts';
import { logRequest } from '../../src/store/requests.ts';
import { getUser, LOCAL_USER_ID } from '../../src/store/users.ts';
import { exportUserData, deleteUserData, exportPreferences, type PreferencePair } from '../../src/store/export.ts';
import { PonderError } from '../../src/errors.ts';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.ts';

/** Gives a user two conversations with messages, feedback, moderation events and requests; tags text with `tag`. */
function populate(db: DB, userId: string, keyId: string | null, tag: string) {
  for (let c = 0; c < 2; c++) {
    const conv = createConversation(db, { userId, title: `${tag} chat ${c}` });
    const q = addMessage(db, { conversationId: conv.id, role: 'user', content: `${tag} question ${c}` });
    const a = addMessage(db, { conversationId: conv.id, role: 'assistant', content: `${tag} answer ${c}`,
      reasoningContent: `${tag} thinking ${c}`, promptTokens: 5, completionTokens: 9, reasoningTokens: 4 });
    addFeedback(db, { userId, messageId: a.id, rating: c ? 1 : -1, comment: `${tag} comment ${c}` });
    addModerationEvent(db, { userId, messageId: q.id, direction: 'input', category: 'self-harm', score: 0.12, action: 'allow' });
    addModerationEvent(db, { userId, messageId: a.id, direction: 'output', category: 'profanity', rule: 'kw:darn', action: 'redact' });
  }
  addModerationEvent(db, { userId, direction: 'input', category: 'violence', score: 0.97, action: 'block' });
  for (let r = 0; r < 3; r++) {
    logRequest(db, { id: `req_${tag}_${r}`, userId, keyId, route: '/v1/chat/completions', status: 200, latencyMs: 12 + r,
      promptTokens: 5, completionTokens: 9 });
  }
}

/** Rows in every table that has a user_id column, counted per table, for one user (messages via their conversation). */
function rowsOf(db: DB, userId: string): Record<string, number> {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  const out: Record<string, number> = {};
  for (const t of tables) {
    const cols = (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name);
    if (cols.includes('user_id')) out[t] = (db.prepare(`SELECT count(*) AS n FROM ${t} WHERE user_id = ?`).get(userId) as { n: number }).n;
  }
  out.messages = (db.prepare('SELECT count(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = ?')
    .get(userId) as { n: number }).n;
  out.users = (db.prepare('SELECT count(*) AS n FROM users WHERE id = ?').get(userId) as { n: number }).n;
  return out;
}

function totalRows(db: DB): number {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'schema_migrations'").all() as { name: string }[]);
  return tables.reduce((s, { name }) => s + (db.prepare(`SELECT count(*) AS n FROM ${name}`).get() as { n: number }).n, 0);
}

test("export holds all of a user's data and nothing of anyone else's", (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  const alice = createKey(db, { name: 'alice' });
  const bob = createKey(db, { name: 'bob' });
  populate(db, alice.userId, alice.id, 'ALICE');
  populate(db, bob.userId, bob.id, 'BOB');
  const ex = exportUserData(db, alice.userId);
  const json = JSON.stringify(ex);
  assert.equal(ex.user.id, alice.userId);
  const n = rowsOf(db, alice.userId);
  assert.equal(ex.conversations.length, n.conversations);
  assert.equal(ex.conversations.reduce((s, c) => s + c.messages.length, 0), n.messages);
  assert.equal(ex.feedback.length, n.feedback);
  assert.equal(ex.moderation_events.length, n.moderation_events);
  assert.equal(ex.requests.length, n.request_log);
  assert.equal(ex.api_keys.length, n.api_keys);
  assert.deepEqual([n.conversations, n.messages, n.feedback, n.moderation_events, n.request_log, n.api_keys], [2, 4, 2, 5, 3, 1]);
  for (let c = 0; c < 2; c++) {
    for (const s of [`ALICE question ${c}`, `ALICE answer ${c}`, `ALICE thinking ${c}`, `ALICE comment ${c}`, `ALICE chat ${c}`]) {
      assert.ok(json.includes(s), `export lacks '${s}'`);
    }
  }
  assert.ok(!json.includes('BOB'), 'export holds another user\'s data');
  assert.ok(!json.includes(bob.userId));
  assert.ok(!json.includes(alice.key.slice(alice.prefix.length)), 'export holds the key');
  const conv = ex.conversations[0];
  assert.deepEqual(conv.messages.map((m) => [m.role, m.content, m.status]),
    [['user', 'ALICE question 0', 'complete'], ['assistant', 'ALICE answer 0', 'complete']]);
  assert.deepEqual(ex.feedback[0].prompt, [{ role: 'user', content: 'ALICE question 0' }]);
  assert.deepEqual(JSON.parse(json), ex, 'the export is plain JSON');
  assert.throws(() => exportUserData(db, 'user_ghost'), (e: Error) => e instanceof PonderError && e.message === "unknown user 'user_ghost'");
});

test("delete leaves no row of the user's anywhere and every other row in place", (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  const alice = createKey(db, { name: 'alice' });
  const bob = createKey(db, { name: 'bob' });
  populate(db, alice.userId, alice.id, 'ALICE');
  populate(db, bob.userId, bob.id, 'BOB');
  populate(db, LOCAL_USER_ID, null, 'LOCAL');
  const aliceRows = Object.values(rowsOf(db, alice.userId)).reduce((a, b) => a + b, 0);
  const bobBefore = rowsOf(db, bob.userId);
  const before = totalRows(db);
  const counts = deleteUserData(db, alice.userId);
  assert.deepEqual(counts, { conversations: 2, messages: 4, feedback: 2, moderation_events: 5, requests: 3, api_keys: 1 });
  for (const [table, n] of Object.entries(rowsOf(db, alice.userId))) assert.equal(n, 0, `${table} still holds ${n} rows of alice`);
  assert.equal(totalRows(db), before - aliceRows, 'only alice\'s rows went');
  assert.deepEqual(rowsOf(db, bob.userId), bobBefore);
  const all = JSON.stringify(db.prepare('SELECT * FROM messages').all()) + JSON.stringify(db.prepare('SELECT * FROM feedback').all());
  assert.ok(!all.includes('ALICE'));
  assert.equal((db.pragma('foreign_key_check') as unknown[]).length, 0);
  assert.throws(() => deleteUserData(db, alice.userId), (e: Error) => e instanceof PonderError && e.message.includes(alice.userId));

  // The local user is emptied but stays, so key-less loopback use keeps working.
  deleteUserData(db, LOCAL_USER_ID);
  assert.ok(getUser(db, LOCAL_USER_ID));
  const local = rowsOf(db, LOCAL_USER_ID);
  assert.deepEqual({ ...local, users: 0 }, Object.fromEntries(Object.keys(local).map((k) => [k, 0])));
  assert.deepEqual(rowsOf(db, bob.userId), bobBefore);
});

/** Adds a conversation [system?, user q] -> assistant answer, and returns the answer id. */
function answer(db: DB, userId: string, q: string, a: string): string {
  const c = createConversation(db, { userId });
  addMessage(db, { conversationId: c.id, role: 'system', content: 'sys' });
  addMessage(db, { conversationId: c.id, role: 'user', content: q });
  return addMessage(db, { conversationId: c.id, role: 'assistant', content: a }).id;
}

test('preferences: rewrites and up-versus-down answers to the same exact prompt become pairs', (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  const u = createKey(db).userId, v = createKey(db).userId;
  const fb = (userId: string, id: string, rating?: 1 | -1, rewrite?: string) => addFeedback(db, { userId, messageId: id, rating, rewrite });
  fb(u, answer(db, u, 'r', 'bad'), -1, 'good rewrite');         // rewrite pair
  fb(u, answer(db, u, 's', 'same'), undefined, 'same');          // a rewrite equal to the answer: no pair
  fb(u, answer(db, u, 'p', 'A'), 1);
  fb(u, answer(db, u, 'p', 'B'), -1);
  fb(v, answer(db, v, 'p', 'C'), 1);                             // another user, same exact prompt
  const d = answer(db, u, 'p', 'D');
  fb(u, d, 1); fb(u, d, -1);                                     // net zero: neither chosen nor rejected
  fb(u, answer(db, u, 'p', 'A'), 1);                             // A again: no duplicate pairs
  fb(u, answer(db, u, 'q', 'E'), -1);                            // a down with no up: no pair
  fb(u, answer(db, u, 'P', 'F'), 1);                             // different prompt (case): not paired with B
  const prompt = (q: string) => [{ role: 'system', content: 'sys' }, { role: 'user', content: q }];
  const want: PreferencePair[] = [
    { prompt: prompt('r'), chosen: 'good rewrite', rejected: 'bad' },
    { prompt: prompt('p'), chosen: 'A', rejected: 'B' },
    { prompt: prompt('p'), chosen: 'C', rejected: 'B' },
  ];
  assert.deepEqual(exportPreferences(db), want);
  deleteUserData(db, v);
  assert.deepEqual(exportPreferences(db), want.slice(0, 2), 'a deleted user\'s feedback no longer contributes');
});

test("after delete the user's words are gone from the database files, not only from queries", (t) => {
  const dir = tempDir(t);
  const db = openDatabase({ dataDir: dir });
  t.after(() => db.close());
  const alice = createKey(db, { name: 'alice' });
  const bob = createKey(db, { name: 'bob' });
  for (let i = 0; i < 40; i++) {
    populate(db, i % 2 ? alice.userId : bob.userId, null, (i % 2 ? 'ZQALICEWORD' : 'ZQBOBWORD') + i);
  }
  const has = (word: string) => readdirSync(dir).filter((f) => readFileSync(join(dir, f)).includes(word));
  assert.ok(has('ZQALICEWORD').length > 0);
  deleteUserData(db, alice.userId);
  assert.deepEqual(has('ZQALICEWORD'), [], 'deleted text still readable in the files');
  assert.deepEqual(has('ZQBOBWORD'), ['ponder.db'], "the other user's text is intact");
});
