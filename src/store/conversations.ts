// Conversations: a user's chat threads. Messages hang off them (messages.ts).
import { PonderError } from '../errors.ts';
import type { DB } from './db.ts';
import { withConstraints } from './errors.ts';
import { newId } from './ids.ts';
import { requireUser } from './users.ts';

export interface Conversation {
  id: string;
  user_id: string;
  title: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = 'id, user_id, title, created_at, updated_at';

export function createConversation(db: DB, opts: { userId: string; id?: string; title?: string }): Conversation {
  requireUser(db, opts.userId);
  const id = opts.id ?? newId('conv');
  withConstraints(() => db.prepare('INSERT INTO conversations (id, user_id, title) VALUES (?, ?, ?)')
    .run(id, opts.userId, opts.title ?? null), { duplicate: `conversation '${id}' already exists` });
  return requireConversation(db, id);
}

export function getConversation(db: DB, id: string): Conversation | undefined {
  return db.prepare(`SELECT ${COLUMNS} FROM conversations WHERE id = ?`).get(id) as Conversation | undefined;
}

export function requireConversation(db: DB, id: string): Conversation {
  const c = getConversation(db, id);
  if (!c) throw new PonderError(`unknown conversation '${id}'`);
  return c;
}

export function listConversations(db: DB, userId: string): Conversation[] {
  return db.prepare(`SELECT ${COLUMNS} FROM conversations WHERE user_id = ? ORDER BY created_at, rowid`)
    .all(userId) as Conversation[];
}

/** Deletes a conversation and (by cascade) its messages and their feedback and moderation events. */
export function deleteConversation(db: DB, id: string): void {
  const r = db.prepare('DELETE FROM conversations WHERE id = ?').run(id);
  if (r.changes === 0) throw new PonderError(`unknown conversation '${id}'`);
}
