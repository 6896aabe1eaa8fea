// The request log: one row per API request, for usage and latency accounting. No message text.
import { PonderError } from '../errors.ts';
import type { DB } from './db.ts';
import { withConstraints } from './errors.ts';

export interface RequestRecord {
  id: string;
  user_id: string | null;
  key_id: string | null;
  route: string;
  status: number;
  latency_ms: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  created_at: string;
}

export interface NewRequestRecord {
  /** The request id, as logged and returned to the client. */
  id: string;
  userId?: string | null;
  keyId?: string | null;
  route: string;
  status: number;
  latencyMs: number;
  promptTokens?: number;
  completionTokens?: number;
}

const COLUMNS = 'id, user_id, key_id, route, status, latency_ms, prompt_tokens, completion_tokens, created_at';

export function logRequest(db: DB, r: NewRequestRecord): void {
  if (typeof r.id !== 'string' || r.id === '') throw new PonderError('request id must be a non-empty string');
  if (!Number.isInteger(r.status) || r.status < 100 || r.status > 599) throw new PonderError(`request status must be an HTTP status, got ${r.status}`);
  if (!(Number.isFinite(r.latencyMs) && r.latencyMs >= 0)) throw new PonderError(`request latency must be a non-negative number, got ${r.latencyMs}`);
  withConstraints(() => db.prepare(`INSERT INTO request_log (id, user_id, key_id, route, status, latency_ms,
      prompt_tokens, completion_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(r.id, r.userId ?? null, r.keyId ?? null, r.route, r.status, r.latencyMs, r.promptTokens ?? null, r.completionTokens ?? null),
  { duplicate: `request '${r.id}' already logged`, missing: `request '${r.id}' names an unknown ` +
    [r.userId != null ? `user '${r.userId}'` : '', r.keyId != null ? `key '${r.keyId}'` : ''].filter(Boolean).join(' or ') });
}

export function listRequests(db: DB, opts: { userId?: string; limit?: number } = {}): RequestRecord[] {
  const limit = opts.limit ?? -1;
  if (opts.userId !== undefined) {
    return db.prepare(`SELECT ${COLUMNS} FROM request_log WHERE user_id = ? ORDER BY created_at, rowid LIMIT ?`)
      .all(opts.userId, limit) as RequestRecord[];
  }
  return db.prepare(`SELECT ${COLUMNS} FROM request_log ORDER BY created_at, rowid LIMIT ?`).all(limit) as RequestRecord[];
}
