import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/db.ts';
import { createKey, listKeys, revokeKey, verifyKey, resolveOwner, KEY_PREFIX } from '../../src/store/keys.ts';
import { createUser, getUser, LOCAL_USER_ID } from '../../src/store/users.ts';
import { PonderError } from '../../src/errors.ts';
import { tempDir } from './helpers.ts';

test('only the SHA-256 of a key and a short prefix are stored; the plaintext is nowhere in the files', (t) => {
  const dir = tempDir(t);
  const db = openDatabase({ dataDir: dir });
  const k = createKey(db, { name: 'ci' });
  assert.ok(k.key.startsWith(KEY_PREFIX));
  assert.ok(k.key.length >= KEY_PREFIX.length + 43, 'at least 256 bits of randomness in base64url');
  assert.ok(k.key.startsWith(k.prefix) && k.prefix.length < k.key.length - 32);
  const row = db.prepare('SELECT * FROM api_keys WHERE id = ?').get(k.id) as Record<string, unknown>;
  assert.equal(row.hash, createHash('sha256').update(k.key).digest('hex'));
  for (const v of Object.values(row)) assert.ok(!(typeof v === 'string' && v.includes(k.key.slice(KEY_PREFIX.length + 6))));
  db.close();
  // The database and WAL files never hold the secret part of the key.
  const secret = k.key.slice(k.prefix.length);
  for (const f of readdirSync(dir)) {
    assert.ok(!readFileSync(join(dir, f)).includes(Buffer.from(secret)), `${f} holds the plaintext key`);
  }
});

test('verify accepts a live key, rejects others, and revoke stops it', (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  const a = createKey(db, { name: 'a' });
  const b = createKey(db, { name: 'b' });
  assert.notEqual(a.userId, b.userId, 'each key gets its own owner by default');
  assert.equal(getUser(db, a.userId)?.name, 'a');
  assert.deepEqual(verifyKey(db, a.key), { keyId: a.id, userId: a.userId });
  assert.deepEqual(verifyKey(db, b.key), { keyId: b.id, userId: b.userId });
  const flipped = a.key.slice(0, -1) + (a.key.endsWith('A') ? 'B' : 'A');
  for (const bad of [flipped, '', 'sk-other', a.key + 'x', a.prefix, undefined, 42, null]) {
    assert.equal(verifyKey(db, bad), null, `accepted ${String(bad)}`);
  }
  assert.ok(listKeys(db).find((k) => k.id === a.id)?.last_used_at, 'verify records last use');
  assert.equal(revokeKey(db, a.id), true);
  assert.equal(revokeKey(db, a.id), false, 'revoking twice is harmless');
  assert.equal(verifyKey(db, a.key), null);
  assert.deepEqual(verifyKey(db, b.key), { keyId: b.id, userId: b.userId }, 'other keys unaffected');
  assert.throws(() => revokeKey(db, 'key_nope'), (e: Error) => e instanceof PonderError && e.message.includes('key_nope'));
});

test('list shows metadata without hashes; a second key can join an existing user', (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  const u = createUser(db, { name: 'team' });
  const k1 = createKey(db, { userId: u.id, name: 'laptop' });
  const k2 = createKey(db, { userId: u.id, name: 'server' });
  createKey(db, { name: 'someone else' });
  const mine = listKeys(db, { userId: u.id });
  assert.deepEqual(mine.map((k) => [k.id, k.name, k.user_id, k.prefix]), [[k1.id, 'laptop', u.id, k1.prefix], [k2.id, 'server', u.id, k2.prefix]]);
  assert.equal(listKeys(db).length, 3);
  for (const k of listKeys(db)) assert.equal('hash' in k, false);
  assert.throws(() => createKey(db, { userId: 'user_missing' }), (e: Error) => e instanceof PonderError && e.message.includes("unknown user 'user_missing'"));
  assert.equal(listKeys(db).length, 3, 'a failed create leaves nothing behind');
});

test('resolveOwner: key owner, local user over loopback without a key or with one never issued, else nobody', (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  const k = createKey(db);
  assert.deepEqual(resolveOwner(db, k.key, false), { userId: k.userId, keyId: k.id });
  assert.deepEqual(resolveOwner(db, k.key, true), { userId: k.userId, keyId: k.id });
  assert.deepEqual(resolveOwner(db, undefined, true), { userId: LOCAL_USER_ID, keyId: null });
  assert.equal(resolveOwner(db, undefined, false), null);
  // Keys optional: a key never issued is no key (clients always send one); a revoked key is refused.
  assert.deepEqual(resolveOwner(db, 'sk-ponder-wrong', true), { userId: LOCAL_USER_ID, keyId: null });
  assert.deepEqual(resolveOwner(db, 'EMPTY', true), { userId: LOCAL_USER_ID, keyId: null });
  assert.equal(resolveOwner(db, 'EMPTY', false), null);
  revokeKey(db, k.id);
  assert.equal(resolveOwner(db, k.key, true), null, 'a revoked key is not upgraded to local');
  assert.equal(resolveOwner(db, k.key, false), null);
});

test('duplicate user ids are a clear error', (t) => {
  const db = openDatabase({ dataDir: tempDir(t) });
  t.after(() => db.close());
  createUser(db, { id: 'u1' });
  assert.throws(() => createUser(db, { id: 'u1' }), (e: Error) => e instanceof PonderError && e.message === "user 'u1' already exists");
  assert.throws(() => createUser(db, { id: LOCAL_USER_ID }), PonderError);
});
