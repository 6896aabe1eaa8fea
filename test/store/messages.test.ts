import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/store/db.ts';
import { createConversation, listConversations, deleteConversation } from '../../src/store/conversations.ts';
import { addMessage, startMessage, appendToMessage, finishMessage, getMessage, listMessages } from '../../src/store/messages.ts';
import { addFeedback, listFeedback } from '../../src/store/feedback.ts';
import { addModerationEvent } from '../../src/store/moderation.ts';
import { logRequest, listRequests } from '../../src/store/requests.ts';
import { createUser } from '../../src/store/users.ts';
import { PonderError } from '../../src/errors.ts';
import { tempDir } from './helpers.ts';

function ponderError(part: string) {
  return (e: unknown) => e instanceof PonderError && e.message.includes(part);
}

test('a streamed message grows while partial, then finishes with counts and timings', (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  const u = createUser(db);
  const c = createConversation(db, { userId: u.id });
  addMessage(db, { conversationId: c.id, role: 'user', content: 'what is 6*7?' });
  const m = startMessage(db, { conversationId: c.id, model: 'ponder-tiny', queueMs: 4 });
  assert.equal(m.status, 'partial');
  assert.equal(m.content, '');
  assert.equal(m.reasoning_content, null);
  appendToMessage(db, m.id, { reasoningContent: '6*7 ' });
  appendToMessage(db, m.id, { reasoningContent: 'is 42' });
  appendToMessage(db, m.id, { content: 'The answer' });
  appendToMessage(db, m.id, { content: ' is 42.' });
  const mid = getMessage(db, m.id)!;
  assert.deepEqual([mid.status, mid.reasoning_content, mid.content], ['partial', '6*7 is 42', 'The answer is 42.']);
  const done = finishMessage(db, m.id, { status: 'complete', promptTokens: 9, completionTokens: 12, reasoningTokens: 5,
    firstTokenMs: 30.5, totalMs: 250 });
  assert.deepEqual(
    [done.status, done.content, done.reasoning_content, done.model, done.prompt_tokens, done.completion_tokens,
      done.reasoning_tokens, done.queue_ms, done.first_token_ms, done.total_ms],
    ['complete', 'The answer is 42.', '6*7 is 42', 'ponder-tiny', 9, 12, 5, 4, 30.5, 250]);
  assert.throws(() => appendToMessage(db, m.id, { content: 'more' }), ponderError('is complete, not partial'));
  assert.throws(() => finishMessage(db, m.id, { status: 'error' }), ponderError('not partial'));
  assert.deepEqual(listMessages(db, c.id).map((x) => x.role), ['user', 'assistant']);
});

test('finish can replace the streamed text and record error and filtered endings', (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  const c = createConversation(db, { userId: createUser(db).id });
  const a = startMessage(db, { conversationId: c.id });
  appendToMessage(db, a.id, { content: 'forbidden wor' });
  assert.equal(finishMessage(db, a.id, { status: 'filtered', content: '' }).content, '');
  const b = startMessage(db, { conversationId: c.id });
  appendToMessage(db, b.id, { content: 'half' });
  const e = finishMessage(db, b.id, { status: 'error' });
  assert.deepEqual([e.status, e.content], ['error', 'half']);
  assert.throws(() => finishMessage(db, startMessage(db, { conversationId: c.id }).id, { status: 'partial' as 'error' }),
    ponderError('complete, error or filtered'));
});

test('messages keep insertion order even when created in the same millisecond', (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  const c = createConversation(db, { userId: createUser(db).id });
  const ids = Array.from({ length: 50 }, (_, i) =>
    addMessage(db, { conversationId: c.id, role: i % 2 ? 'assistant' : 'user', content: String(i) }).id);
  assert.deepEqual(listMessages(db, c.id).map((m) => m.id), ids);
});

test('bad input is a clear PonderError naming the value', (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  const u = createUser(db, { id: 'u1' });
  const c = createConversation(db, { userId: u.id, id: 'c1' });
  assert.throws(() => createConversation(db, { userId: 'ghost' }), ponderError("unknown user 'ghost'"));
  assert.throws(() => createConversation(db, { userId: u.id, id: 'c1' }), ponderError("conversation 'c1' already exists"));
  assert.throws(() => addMessage(db, { conversationId: 'nope', role: 'user', content: 'x' }), ponderError("unknown conversation 'nope'"));
  addMessage(db, { conversationId: c.id, role: 'user', content: 'x', id: 'm1' });
  assert.throws(() => addMessage(db, { conversationId: c.id, role: 'user', content: 'y', id: 'm1' }), ponderError("message 'm1' already exists"));
  assert.throws(() => addMessage(db, { conversationId: c.id, role: 'robot' as 'user' }), ponderError("role 'robot'"));
  assert.throws(() => addMessage(db, { conversationId: c.id, role: 'user', status: 'done' as 'complete' }), ponderError("status 'done'"));
  assert.throws(() => addMessage(db, { conversationId: c.id, role: 'user', promptTokens: -1 }), ponderError('promptTokens'));
  assert.throws(() => addMessage(db, { conversationId: c.id, role: 'user', totalMs: NaN }), ponderError('totalMs'));
  assert.throws(() => appendToMessage(db, 'm404', { content: 'x' }), ponderError("unknown message 'm404'"));
  assert.throws(() => addFeedback(db, { userId: u.id, messageId: 'm1', rating: 1 }), ponderError('is a user message'));
  const a = addMessage(db, { conversationId: c.id, role: 'assistant', content: 'ans', id: 'a1' });
  assert.throws(() => addFeedback(db, { userId: u.id, messageId: a.id, rating: 2 as 1 }), ponderError('rating must be 1 or -1'));
  assert.throws(() => addFeedback(db, { userId: u.id, messageId: a.id }), ponderError('needs a rating'));
  assert.throws(() => addFeedback(db, { userId: createUser(db).id, messageId: a.id, rating: 1 }), ponderError('does not belong'));
  addFeedback(db, { userId: u.id, messageId: a.id, rating: 1, id: 'f1' });
  assert.throws(() => addFeedback(db, { userId: u.id, messageId: a.id, rating: 1, id: 'f1' }), ponderError("feedback 'f1' already exists"));
  assert.throws(() => addModerationEvent(db, { userId: u.id, messageId: 'nope', direction: 'input', category: 'x', action: 'block' }),
    ponderError("unknown message 'nope'"));
  assert.throws(() => addModerationEvent(db, { userId: u.id, direction: 'sideways' as 'input', category: 'x', action: 'block' }),
    ponderError('sideways'));
  assert.throws(() => addModerationEvent(db, { userId: 'ghost', direction: 'input', category: 'x', action: 'block' }),
    ponderError("unknown user 'ghost'"));
  logRequest(db, { id: 'req_1', userId: u.id, route: '/v1/models', status: 200, latencyMs: 1.5 });
  assert.throws(() => logRequest(db, { id: 'req_1', userId: u.id, route: '/v1/models', status: 200, latencyMs: 1 }), ponderError("request 'req_1' already logged"));
  assert.throws(() => logRequest(db, { id: 'req_2', route: '/', status: 99, latencyMs: 1 }), ponderError('HTTP status'));
  assert.throws(() => logRequest(db, { id: 'req_3', userId: 'ghost', route: '/', status: 200, latencyMs: 1 }), ponderError("unknown user 'ghost'"));
  assert.throws(() => deleteConversation(db, 'nope'), ponderError("unknown conversation 'nope'"));
  assert.equal(listRequests(db).length, 1);
});

test('feedback snapshots the prompt context and answer as they were', (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  const u = createUser(db);
  const c = createConversation(db, { userId: u.id });
  addMessage(db, { conversationId: c.id, role: 'system', content: 'be brief' });
  addMessage(db, { conversationId: c.id, role: 'user', content: 'q1' });
  const a1 = addMessage(db, { conversationId: c.id, role: 'assistant', content: 'a1', reasoningContent: 'r1' });
  addMessage(db, { conversationId: c.id, role: 'user', content: 'q2' });
  const a2 = addMessage(db, { conversationId: c.id, role: 'assistant', content: 'a2', reasoningContent: 'r2' });
  const f = addFeedback(db, { userId: u.id, messageId: a2.id, rating: -1, comment: 'wrong', rewrite: 'A2' });
  const turns = [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'q1' }, { role: 'assistant', content: 'a1' },
    { role: 'user', content: 'q2' }];
  assert.deepEqual(f.prompt, turns, 'earlier turns without their reasoning');
  assert.deepEqual([f.answer, f.answer_reasoning, f.rating, f.comment, f.rewrite], ['a2', 'r2', -1, 'wrong', 'A2']);
  // Later changes to the conversation do not change what was judged.
  db.prepare("UPDATE messages SET content = 'edited' WHERE id IN (?, ?)").run(a1.id, a2.id);
  addMessage(db, { conversationId: c.id, role: 'user', content: 'q3' });
  const [again] = listFeedback(db, { messageId: a2.id });
  assert.deepEqual([again.prompt, again.answer], [turns, 'a2']);
  assert.equal(listConversations(db, u.id).length, 1);
});
