import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addMessage, createConversation, createUser, exportPreferences, LOCAL_USER_ID, openDatabase, type DB } from '../../src/store/index.ts';
import {
  deleteConversationHandler, deleteMeHandler, exportHandler, feedbackHandler, getConversationHandler, listConversationsHandler,
} from '../../src/server/product.ts';

function setup(t: { after: (fn: () => void) => void }): { db: DB; conv: string; answer: string; question: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-product-'));
  const db = openDatabase({ dataDir: dir });
  t.after(() => { db.close(); rmSync(dir, { recursive: true, force: true }); });
  const conv = createConversation(db, { userId: LOCAL_USER_ID }).id;
  const question = addMessage(db, { conversationId: conv, role: 'user', content: 'What is 2+3?' }).id;
  const answer = addMessage(db, { conversationId: conv, role: 'assistant', content: '5', reasoningContent: '2+3=5' }).id;
  return { db, conv, answer, question };
}

test('conversations: list (titled by the first question), get with feedback, delete; other users see 404', (t) => {
  const { db, conv, answer } = setup(t);
  createUser(db, { id: 'bob' });
  const list = listConversationsHandler(db, LOCAL_USER_ID);
  assert.equal(list.status, 200);
  assert.deepEqual((list.json as { data: { id: string; title: string }[] }).data.map((c) => [c.id, c.title]), [[conv, 'What is 2+3?']]);
  assert.deepEqual((listConversationsHandler(db, 'bob').json as { data: unknown[] }).data, []);
  feedbackHandler(db, LOCAL_USER_ID, { message_id: answer, rating: 1, comment: 'good' });
  const got = getConversationHandler(db, LOCAL_USER_ID, conv);
  const msgs = (got.json as { messages: { role: string; reasoning_content: string | null; feedback?: { rating: number } | null }[] }).messages;
  assert.deepEqual(msgs.map((m) => m.role), ['user', 'assistant']);
  assert.equal(msgs[1].reasoning_content, '2+3=5');
  assert.equal(msgs[1].feedback?.rating, 1);
  assert.equal(getConversationHandler(db, 'bob', conv).status, 404);
  assert.equal(deleteConversationHandler(db, 'bob', conv).status, 404);
  assert.equal(getConversationHandler(db, LOCAL_USER_ID, 'conv_nope').status, 404);
  assert.equal(deleteConversationHandler(db, LOCAL_USER_ID, conv).status, 200);
  assert.equal(getConversationHandler(db, LOCAL_USER_ID, conv).status, 404);
});

test('feedback: rating, comment, rewrite stored with the prompt; rewrites become preference pairs', (t) => {
  const { db, answer } = setup(t);
  const r = feedbackHandler(db, LOCAL_USER_ID, { message_id: answer, rewrite: 'The answer is 5, because 2 + 3 = 5.' });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(exportPreferences(db), [{ prompt: [{ role: 'user', content: 'What is 2+3?' }], chosen: 'The answer is 5, because 2 + 3 = 5.', rejected: '5' }]);
});

test('feedback: bad input is a 400/404 with an OpenAI-style error naming the field', (t) => {
  const { db, answer, question } = setup(t);
  createUser(db, { id: 'bob' });
  const cases: [unknown, number, string | null][] = [
    [null, 400, null], [[], 400, null], [{}, 400, 'message_id'], [{ message_id: answer }, 400, null],
    [{ message_id: answer, rating: 5 }, 400, 'rating'], [{ message_id: answer, rating: '1' }, 400, 'rating'],
    [{ message_id: answer, comment: 7 }, 400, 'comment'], [{ message_id: answer, rating: 1, extra: 1 }, 400, 'extra'],
    [{ message_id: answer, comment: '   ' }, 400, null], [{ message_id: 'msg_nope', rating: 1 }, 404, 'message_id'],
    [{ message_id: question, rating: 1 }, 400, 'message_id'],
  ];
  for (const [body, status, param] of cases) {
    const r = feedbackHandler(db, LOCAL_USER_ID, body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.equal((r.json as { error: { param: string | null } }).error.param, param, JSON.stringify(body));
  }
  assert.equal(feedbackHandler(db, 'bob', { message_id: answer, rating: 1 }).status, 404);
});

test('export and delete my data', (t) => {
  const { db, answer } = setup(t);
  feedbackHandler(db, LOCAL_USER_ID, { message_id: answer, rating: -1 });
  const ex = exportHandler(db, LOCAL_USER_ID).json as { format: string; conversations: { messages: unknown[] }[]; feedback: unknown[] };
  assert.equal(ex.format, 'ponder-user-export');
  assert.equal(ex.conversations[0].messages.length, 2);
  assert.equal(ex.feedback.length, 1);
  const del = deleteMeHandler(db, LOCAL_USER_ID);
  assert.deepEqual((del.json as { deleted: { conversations: number; messages: number; feedback: number } }).deleted.conversations, 1);
  assert.deepEqual((listConversationsHandler(db, LOCAL_USER_ID).json as { data: unknown[] }).data, []);
  assert.equal((exportHandler(db, LOCAL_USER_ID).json as { feedback: unknown[] }).feedback.length, 0);
});
