import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/store/db.ts';
import { verifyKey } from '../../src/store/keys.ts';
import { createConversation } from '../../src/store/conversations.ts';
import { addMessage } from '../../src/store/messages.ts';
import { addFeedback } from '../../src/store/feedback.ts';
import { getUser } from '../../src/store/users.ts';
import { tempDir } from './helpers.ts';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.ts');

function ponder(dataDir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...args],
    { encoding: 'utf8', env: { ...process.env, PONDER_DATA_DIR: dataDir } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('ponder keys create | list | revoke', (t) => {
  const dir = tempDir(t);
  const made = ponder(dir, 'keys', 'create', '--name', 'laptop');
  assert.equal(made.code, 0, made.err);
  const key = made.out.trim();
  let db = openDatabase({ dataDir: dir });
  const who = verifyKey(db, key);
  db.close();
  assert.ok(who, `printed key '${key}' does not verify`);
  const list = ponder(dir, 'keys', 'list');
  assert.equal(list.code, 0, list.err);
  assert.ok(list.out.includes(who.keyId) && list.out.includes('laptop'), list.out);
  assert.match(list.out, /last used 20\d\d-/, 'verify recorded the use');
  assert.ok(!list.out.includes(key), 'list must not print the key');
  const rev = ponder(dir, 'keys', 'revoke', who.keyId);
  assert.equal(rev.code, 0, rev.err);
  db = openDatabase({ dataDir: dir });
  assert.equal(verifyKey(db, key), null);
  db.close();
  const bad = ponder(dir, 'keys', 'revoke', 'key_nope');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^ponder: unknown api key 'key_nope'$/m);
});

test('ponder data export --user | --preferences, and delete --yes', (t) => {
  const dir = tempDir(t);
  const db = openDatabase({ dataDir: dir });
  const u = 'user_cli';
  db.prepare("INSERT INTO users (id, name) VALUES (?, 'cli')").run(u);
  const c = createConversation(db, { userId: u });
  addMessage(db, { conversationId: c.id, role: 'user', content: 'hi' });
  const a = addMessage(db, { conversationId: c.id, role: 'assistant', content: 'yo' });
  addFeedback(db, { userId: u, messageId: a.id, rating: -1, rewrite: 'Hello!' });
  db.close();

  const out = join(dir, 'me.json');
  const ex = ponder(dir, 'data', 'export', '--user', u, '--out', out);
  assert.equal(ex.code, 0, ex.err);
  const data = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(data.user.id, u);
  assert.deepEqual(data.conversations[0].messages.map((m: { content: string }) => m.content), ['hi', 'yo']);
  assert.equal(data.feedback[0].rewrite, 'Hello!');

  const prefs = join(dir, 'prefs.jsonl');
  assert.equal(ponder(dir, 'data', 'export', '--preferences', '--out', prefs).code, 0);
  const lines = readFileSync(prefs, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines, [{ prompt: [{ role: 'user', content: 'hi' }], chosen: 'Hello!', rejected: 'yo' }]);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temp files left');

  const noYes = ponder(dir, 'data', 'delete', '--user', u);
  assert.equal(noYes.code, 1);
  assert.match(noYes.err, /--yes/);
  const neither = ponder(dir, 'data', 'export', '--out', out);
  assert.equal(neither.code, 1);
  assert.match(neither.err, /exactly one of --user ID or --preferences/);
  const ghost = ponder(dir, 'data', 'export', '--user', 'ghost', '--out', join(dir, 'ghost.json'));
  assert.equal(ghost.code, 1);
  assert.match(ghost.err, /unknown user 'ghost'/);
  assert.equal(existsSync(join(dir, 'ghost.json')), false);

  const del = ponder(dir, 'data', 'delete', '--user', u, '--yes');
  assert.equal(del.code, 0, del.err);
  assert.match(del.out, /1 conversations, 2 messages, 1 feedback/);
  const db2 = openDatabase({ dataDir: dir });
  t.after(() => db2.close());
  assert.equal(getUser(db2, u), undefined);
  assert.deepEqual(db2.prepare('SELECT count(*) AS n FROM messages').get(), { n: 0 });
});
