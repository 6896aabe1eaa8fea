// API keys. Only a SHA-256 hash and a short display prefix are stored; the plaintext key is
// returned once, by createKey, and cannot be recovered. Keys are 256 random bits, so a plain
// hash (no salt, no slow KDF) is enough: there is nothing to brute-force.
import { createHash, randomBytes } from 'node:crypto';
import { PonderError } from '../errors.ts';
import type { DB } from './db.ts';
import { withConstraints } from './errors.ts';
import { newId, now } from './ids.ts';
import { createUser, requireUser, LOCAL_USER_ID } from './users.ts';

export const KEY_PREFIX = 'sk-ponder-';
const PREFIX_SHOWN = KEY_PREFIX.length + 6;

export interface ApiKeyInfo {
  id: string;
  user_id: string;
  name: string | null;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CreatedKey {
  id: string;
  userId: string;
  prefix: string;
  /** The plaintext key: show it to the user now, it is not stored. */
  key: string;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Creates a key. Without userId a new user is created to own it (named like the key), so each
 * key's data is its own; with userId the key is added to that existing user.
 */
export function createKey(db: DB, opts: { name?: string; userId?: string } = {}): CreatedKey {
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const id = newId('key');
  const prefix = key.slice(0, PREFIX_SHOWN);
  return db.transaction(() => {
    const userId = opts.userId !== undefined ? requireUser(db, opts.userId).id : createUser(db, { name: opts.name }).id;
    withConstraints(() => db.prepare(
      'INSERT INTO api_keys (id, user_id, name, prefix, hash) VALUES (?, ?, ?, ?, ?)',
    ).run(id, userId, opts.name ?? null, prefix, hashKey(key)), { duplicate: `api key '${id}' already exists` });
    return { id, userId, prefix, key };
  })();
}

const INFO_COLUMNS = 'id, user_id, name, prefix, created_at, last_used_at, revoked_at';

export function listKeys(db: DB, opts: { userId?: string } = {}): ApiKeyInfo[] {
  if (opts.userId !== undefined) {
    return db.prepare(`SELECT ${INFO_COLUMNS} FROM api_keys WHERE user_id = ? ORDER BY created_at, rowid`)
      .all(opts.userId) as ApiKeyInfo[];
  }
  return db.prepare(`SELECT ${INFO_COLUMNS} FROM api_keys ORDER BY created_at, rowid`).all() as ApiKeyInfo[];
}

/** Revokes a key. Returns false if it was already revoked; an unknown id is a PonderError. */
export function revokeKey(db: DB, id: string): boolean {
  const row = db.prepare('SELECT revoked_at FROM api_keys WHERE id = ?').get(id) as { revoked_at: string | null } | undefined;
  if (!row) throw new PonderError(`unknown api key '${id}'`);
  if (row.revoked_at !== null) return false;
  db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(now(), id);
  return true;
}

/**
 * Checks a presented key. Returns its id and owner, or null for anything that is not a live key
 * (unknown, revoked, malformed). Records when the key was last used.
 */
export function verifyKey(db: DB, key: unknown): { keyId: string; userId: string } | null {
  if (typeof key !== 'string' || !key.startsWith(KEY_PREFIX) || key.length > 256) return null;
  const row = db.prepare('SELECT id, user_id, revoked_at FROM api_keys WHERE hash = ?').get(hashKey(key)) as
    { id: string; user_id: string; revoked_at: string | null } | undefined;
  if (!row || row.revoked_at !== null) return null;
  db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(now(), row.id);
  return { keyId: row.id, userId: row.user_id };
}

/** Whether a presented key is one of ours, and whether it still works. */
export function keyState(db: DB, key: string): 'live' | 'revoked' | 'unknown' {
  if (!key.startsWith(KEY_PREFIX) || key.length > 256) return 'unknown';
  const row = db.prepare('SELECT revoked_at FROM api_keys WHERE hash = ?').get(hashKey(key)) as { revoked_at: string | null } | undefined;
  return !row ? 'unknown' : row.revoked_at === null ? 'live' : 'revoked';
}

/**
 * Who a request acts as: the owner of a live bearer key; the local user when keys are optional
 * (`keyless`: loopback, no --require-key) and no key, or a key this server never issued, is given
 * (the OpenAI SDK always sends one: "sk-no-key-required", "EMPTY"; llama-server and Ollama ignore
 * it too); otherwise null (the server answers 401). A revoked key is refused even then: it names
 * a user who was cut off.
 */
export function resolveOwner(db: DB, bearer: string | undefined, keyless: boolean):
  { userId: string; keyId: string | null } | null {
  const local = { userId: LOCAL_USER_ID, keyId: null };
  if (bearer === undefined || bearer === '') return keyless ? local : null;
  const v = verifyKey(db, bearer);
  if (v) return { userId: v.userId, keyId: v.keyId };
  return keyless && keyState(db, bearer) === 'unknown' ? local : null;
}
