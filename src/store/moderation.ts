// Moderation events: what the input or output filter decided, by which rule or classifier score.
import { PonderError } from '../errors.ts';
import type { DB } from './db.ts';
import { withConstraints } from './errors.ts';
import { newId } from './ids.ts';
import { requireUser } from './users.ts';

export const DIRECTIONS = ['input', 'output'] as const;
export const ACTIONS = ['allow', 'flag', 'block', 'redact'] as const;

export interface ModerationEvent {
  id: string;
  user_id: string;
  message_id: string | null;
  direction: (typeof DIRECTIONS)[number];
  category: string;
  rule: string | null;
  score: number | null;
  action: (typeof ACTIONS)[number];
  created_at: string;
}

export interface NewModerationEvent {
  userId: string;
  /** The message judged, when it was stored (a blocked input may never be). */
  messageId?: string;
  direction: ModerationEvent['direction'];
  category: string;
  rule?: string;
  score?: number;
  action: ModerationEvent['action'];
  id?: string;
}

const COLUMNS = 'id, user_id, message_id, direction, category, rule, score, action, created_at';

export function addModerationEvent(db: DB, e: NewModerationEvent): ModerationEvent {
  if (!DIRECTIONS.includes(e.direction)) throw new PonderError(`moderation direction must be input or output, got '${e.direction}'`);
  if (!ACTIONS.includes(e.action)) throw new PonderError(`unknown moderation action '${e.action}' (expected ${ACTIONS.join(', ')})`);
  if (typeof e.category !== 'string' || e.category === '') throw new PonderError('moderation category must be a non-empty string');
  if (e.score !== undefined && !Number.isFinite(e.score)) throw new PonderError(`moderation score must be a finite number, got ${e.score}`);
  requireUser(db, e.userId);
  const id = e.id ?? newId('mod');
  withConstraints(() => db.prepare(`INSERT INTO moderation_events (id, user_id, message_id, direction, category,
      rule, score, action) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(id, e.userId, e.messageId ?? null, e.direction, e.category, e.rule ?? null, e.score ?? null, e.action),
  { duplicate: `moderation event '${id}' already exists`, missing: `unknown message '${e.messageId}'` });
  return db.prepare(`SELECT ${COLUMNS} FROM moderation_events WHERE id = ?`).get(id) as ModerationEvent;
}

export function listModerationEvents(db: DB, opts: { userId?: string } = {}): ModerationEvent[] {
  if (opts.userId !== undefined) {
    return db.prepare(`SELECT ${COLUMNS} FROM moderation_events WHERE user_id = ? ORDER BY created_at, rowid`)
      .all(opts.userId) as ModerationEvent[];
  }
  return db.prepare(`SELECT ${COLUMNS} FROM moderation_events ORDER BY created_at, rowid`).all() as ModerationEvent[];
}
