// Data survives a restart; a server SIGKILLed mid-stream leaves a readable database with the
// streamed message marked partial; a full queue answers 503.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/store/db.ts';
import { getMessage, listMessages } from '../../src/store/messages.ts';
import { listConversations } from '../../src/store/conversations.ts';
import { LOCAL_USER_ID } from '../../src/store/users.ts';
import { sseData } from '../../src/server/upstream.ts';
import { MODEL_ID, startTestServer, tempDir, testCheckpoint } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

async function chat(url: string, body: Record<string, unknown>): Promise<{ status: number; json: any; headers: Headers }> {
  const r = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, max_tokens: 5, ...body }) });
  return { status: r.status, json: await r.json(), headers: r.headers };
}

test('a conversation survives a restart and continues on a new server over the same data folder', async (t) => {
  const dataDir = tempDir(t);
  const a = await startTestServer(t, { dataDir });
  const first = await chat(a.url, { messages: [{ role: 'user', content: 'remember me' }] });
  assert.equal(first.status, 200);
  const convId = first.headers.get('x-ponder-conversation-id')!;
  await a.close();

  const b = await startTestServer(t, { dataDir });
  const answer = first.json.choices[0].message.content;
  const second = await chat(b.url, { conversation_id: convId, messages: [
    { role: 'user', content: 'remember me' }, { role: 'assistant', content: answer }, { role: 'user', content: 'again' }] });
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-ponder-conversation-id'), convId);
  const db = openDatabase({ dataDir });
  t.after(() => db.close());
  assert.deepEqual(listMessages(db, convId).map((m) => [m.role, m.content, m.status]), [
    ['user', 'remember me', 'complete'], ['assistant', answer, 'complete'],
    ['user', 'again', 'complete'], ['assistant', second.json.choices[0].message.content, 'complete']]);
  assert.equal(listConversations(db, LOCAL_USER_ID)[0].title, 'remember me');
  // store: false keeps an exchange out of the database.
  const before = listConversations(db, LOCAL_USER_ID).length;
  assert.equal((await chat(b.url, { store: false, messages: [{ role: 'user', content: 'private' }] })).status, 200);
  assert.equal(listConversations(db, LOCAL_USER_ID).length, before);
});

test('a server process SIGKILLed mid-stream leaves a readable database, the message partial', async (t) => {
  const dataDir = tempDir(t);
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--checkpoint', testCheckpoint('slow'), '--port', '0',
    '--data-dir', dataDir, '--flush-ms', '5', '--moderation', 'off'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /serving .* at (http:\/\/\S+)\/v1/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error(`the server exited: ${stderr}`)));
  });
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'think long' }], max_tokens: 1800, temperature: 1, seed: 4, stream: true, thinking: { type: 'enabled' } }) });
  assert.equal(res.status, 200);
  const msgId = res.headers.get('x-ponder-message-id')!;
  let received = '', chunks = 0;
  try {
    for await (const data of sseData(res.body!)) {
      if (data === '[DONE]') break;
      const d = JSON.parse(data).choices[0]?.delta ?? {};
      received += d.reasoning_content ?? '';
      if (++chunks === 40) child.kill('SIGKILL');
    }
  } catch { /* the connection dies with the server */ }
  // A stream that ended before the kill would leave the server running and the test waiting.
  if (chunks < 40) child.kill('SIGKILL');
  assert.ok(chunks >= 40, `the stream ended after ${chunks} chunks, before the kill (pick a seed that streams longer)`);
  assert.equal(await exited, 'SIGKILL');

  const db = openDatabase({ dataDir });
  t.after(() => db.close());
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  const m = getMessage(db, msgId)!;
  assert.equal(m.status, 'partial');
  assert.equal(m.model, MODEL_ID);
  assert.ok(m.reasoning_content && m.reasoning_content.length > 0, 'streamed text was committed before the kill');
  assert.ok(received.startsWith(m.reasoning_content), 'the stored text is a prefix of what the client received');
  assert.deepEqual(listMessages(db, m.conversation_id).map((x) => [x.role, x.status]), [['user', 'complete'], ['assistant', 'partial']]);
});

test('a full queue answers 503 with Retry-After; the server recovers', async (t) => {
  const srv = await startTestServer(t, { checkpoint: 'slow', engine: { maxActive: 1, maxQueue: 0 } });
  const ac = new AbortController();
  const long = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', signal: ac.signal, headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'x' }], max_tokens: 1500, stream: true }) });
  assert.equal(long.status, 200);
  const busy = await chat(srv.url, { messages: [{ role: 'user', content: 'y' }] });
  assert.equal(busy.status, 503);
  assert.equal(busy.json.error.code, 'overloaded');
  assert.equal(busy.headers.get('retry-after'), '1');
  ac.abort();
  for (let i = 0; i < 50 && srv.backend.engine.activeCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal((await chat(srv.url, { messages: [{ role: 'user', content: 'z' }] })).status, 200);
});
