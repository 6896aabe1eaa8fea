// Users own data. A user is made for each API key (its owner), plus one fixed 'local' user that
// key-less requests from loopback act as.
import { PonderError } from '../errors.ts';
import type { DB } from './db.ts';
import { withConstraints } from './errors.ts';
import { newId } from './ids.ts';

export const LOCAL_USER_ID = 'local';

export interface User {
  id: string;
  name: string | null;
  created_at: string;
}

export function createUser(db: DB, opts: { id?: string; name?: string } = {}): User {
  const id = opts.id ?? newId('user');
  if (typeof id !== 'string' || id.length === 0) throw new PonderError('user id must be a non-empty string');
  withConstraints(() => db.prepare('INSERT INTO users (id, name) VALUES (?, ?)').run(id, opts.name ?? null),
    { duplicate: `user '${id}' already exists` });
  return requireUser(db, id);
}

export function getUser(db: DB, id: string): User | undefined {
  return db.prepare('SELECT id, name, created_at FROM users WHERE id = ?').get(id) as User | undefined;
}

/** The user, or a PonderError naming the unknown id. */
export function requireUser(db: DB, id: string): User {
  const u = getUser(db, id);
  if (!u) throw new PonderError(`unknown user '${id}'`);
  return u;
}

export function listUsers(db: DB): User[] {
  return db.prepare('SELECT id, name, created_at FROM users ORDER BY created_at, rowid').all() as User[];
}
