import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, migrate, schemaVersion, defaultDataDir, DB_FILE } from '../../src/store/db.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { createConversation } from '../../src/store/conversations.ts';
import { addMessage, listMessages } from '../../src/store/messages.ts';
import { createUser, getUser, LOCAL_USER_ID } from '../../src/store/users.ts';
import { PonderError } from '../../src/errors.ts';
import { tempDir } from './helpers.ts';

const TABLES = ['api_keys', 'conversations', 'feedback', 'messages', 'moderation_events', 'request_log',
  'schema_migrations', 'users'];

test('a new data folder gets ponder.db with WAL, foreign keys, busy timeout and the full schema', (t) => {
  const dir = join(tempDir(t), 'nested', 'data');
  const db = openDatabase({ dataDir: dir });
  t.after(() => db.close());
  assert.ok(existsSync(join(dir, DB_FILE)));
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[])
    .map((r) => r.name);
  assert.deepEqual(tables, TABLES);
  assert.equal(schemaVersion(db), MIGRATIONS.length);
  assert.ok(getUser(db, LOCAL_USER_ID), 'the local user exists from the start');
});

test('PONDER_DATA_DIR sets the default data folder', (t) => {
  const saved = process.env.PONDER_DATA_DIR;
  const dir = tempDir(t);
  process.env.PONDER_DATA_DIR = dir;
  try {
    assert.equal(defaultDataDir(), dir);
    openDatabase().close();
    assert.ok(existsSync(join(dir, DB_FILE)));
  } finally {
    if (saved === undefined) delete process.env.PONDER_DATA_DIR; else process.env.PONDER_DATA_DIR = saved;
  }
  delete process.env.PONDER_DATA_DIR;
  try { assert.match(defaultDataDir(), /[\\/]\.ponder[\\/]data$/); } finally {
    if (saved !== undefined) process.env.PONDER_DATA_DIR = saved;
  }
});

test('migrations are idempotent: reopening applies nothing and keeps one row per version', (t) => {
  const dir = tempDir(t);
  openDatabase({ dataDir: dir }).close();
  const db = openDatabase({ dataDir: dir });
  t.after(() => db.close());
  assert.deepEqual(migrate(db), []);
  const versions = (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[])
    .map((r) => r.version);
  assert.deepEqual(versions, MIGRATIONS.map((_, i) => i + 1));
});

test('migrations are versioned: an old database gets only the migrations it lacks, in order', (t) => {
  const file = join(tempDir(t), 'v.db');
  const v1 = ['CREATE TABLE a (x INTEGER)'];
  const v3 = [...v1, 'ALTER TABLE a ADD COLUMN y INTEGER', 'CREATE TABLE b (z TEXT); INSERT INTO b VALUES (\'seeded\')'];
  let db = openDatabase({ file, migrations: v1 });
  db.prepare('INSERT INTO a (x) VALUES (1)').run();
  db.close();
  db = new Database(file);
  assert.deepEqual(migrate(db, v3), [2, 3]);
  assert.deepEqual(db.prepare('SELECT x, y FROM a').all(), [{ x: 1, y: null }]);
  assert.deepEqual(db.prepare('SELECT z FROM b').all(), [{ z: 'seeded' }]);
  assert.deepEqual(migrate(db, v3), []);
  db.close();
});

test('a failing migration rolls back entirely and leaves the version where it was', (t) => {
  const file = join(tempDir(t), 'bad.db');
  const good = ['CREATE TABLE a (x INTEGER)'];
  openDatabase({ file, migrations: good }).close();
  const bad = [...good, 'CREATE TABLE half (x INTEGER); THIS IS NOT SQL'];
  assert.throws(() => openDatabase({ file, migrations: bad }), PonderError);
  const db = new Database(file);
  t.after(() => db.close());
  assert.equal(schemaVersion(db), 1);
  assert.deepEqual(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'").get(), { n: 0 });
});

test('a database from a newer ponder is a clear error naming both versions', (t) => {
  const dir = tempDir(t);
  const db = openDatabase({ dataDir: dir });
  db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(MIGRATIONS.length + 5);
  db.close();
  assert.throws(() => openDatabase({ dataDir: dir }), (e: Error) =>
    e instanceof PonderError && e.message.includes(`version ${MIGRATIONS.length + 5}`) &&
    e.message.includes(`(${MIGRATIONS.length})`) && e.message.includes(DB_FILE));
});

test('a file that is not a database is a clear error naming it', (t) => {
  const file = join(tempDir(t), 'junk.db');
  writeFileSync(file, 'this is not sqlite, just text long enough to fill a header page '.repeat(20));
  assert.throws(() => openDatabase({ file }), (e: Error) => e instanceof PonderError && e.message.includes(file));
});

test('data persists across close and reopen', (t) => {
  const dir = tempDir(t);
  let db = openDatabase({ dataDir: dir });
  const u = createUser(db, { name: 'ada' });
  const c = createConversation(db, { userId: u.id, title: 'persist' });
  addMessage(db, { conversationId: c.id, role: 'user', content: 'é 漢字 \u{1F600} and a "quote"' });
  addMessage(db, { conversationId: c.id, role: 'assistant', content: 'ok', reasoningContent: 'hm', completionTokens: 3 });
  db.close();
  db = openDatabase({ dataDir: dir });
  t.after(() => db.close());
  assert.equal(getUser(db, u.id)?.name, 'ada');
  const msgs = listMessages(db, c.id);
  assert.deepEqual(msgs.map((m) => [m.role, m.content, m.reasoning_content, m.completion_tokens, m.status]), [
    ['user', 'é 漢字 \u{1F600} and a "quote"', null, null, 'complete'],
    ['assistant', 'ok', 'hm', 3, 'complete'],
  ]);
});

test('foreign keys hold: a message cannot point at a missing conversation even through raw SQL', (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  assert.throws(() => db.prepare("INSERT INTO messages (id, conversation_id, role) VALUES ('m', 'nope', 'user')").run(),
    /FOREIGN KEY/);
});

test('the data folder ponder creates and the database in it are private to the user (0700, 0600)', (t) => {
  const root = tempDir(t);
  const dir = join(root, 'home', 'data');
  const db = openDatabase({ dataDir: dir });
  db.prepare('INSERT INTO users (id) VALUES (?)').run('someone'); // the WAL file exists once written
  t.after(() => db.close());
  const mode = (p: string) => statSync(p).mode & 0o777;
  assert.equal(mode(dir), 0o700);
  assert.equal(mode(join(root, 'home')), 0o700, 'every folder it created');
  assert.equal(mode(join(dir, DB_FILE)), 0o600);
  assert.equal(mode(join(dir, `${DB_FILE}-wal`)), 0o600, 'SQLite gives the WAL the database\'s mode');
});
