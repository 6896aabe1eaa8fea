// Messages. A streamed answer is inserted at once with status 'partial' and grown by appends,
// each its own committed write, then finished with its final status, tokens and timings. A process
// killed mid-stream thus leaves the text so far, marked 'partial', in a readable database.
import { PonderError } from '../errors.ts';
import type { DB } from './db.ts';
import { withConstraints } from './errors.ts';
import { newId, now } from './ids.ts';
import { requireConversation } from './conversations.ts';

export const ROLES = ['system', 'user', 'assistant', 'tool'] as const;
export type Role = (typeof ROLES)[number];
export const STATUSES = ['complete', 'partial', 'error', 'filtered'] as const;
export type MessageStatus = (typeof STATUSES)[number];

export interface Message {
  id: string;
  conversation_id: string;
  role: Role;
  content: string;
  reasoning_content: string | null;
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  reasoning_tokens: number | null;
  queue_ms: number | null;
  first_token_ms: number | null;
  total_ms: number | null;
  status: MessageStatus;
  /** JSON [{index, title, source, snippet}]: the search sources the answer was given, or null. */
  citations: string | null;
  created_at: string;
  updated_at: string;
}

/** Token counts and timings (milliseconds: waiting in queue, to the first token, in total). */
export interface MessageStats {
  promptTokens?: number;
  completionTokens?: number;
  reasoningTokens?: number;
  queueMs?: number;
  firstTokenMs?: number;
  totalMs?: number;
}

export interface NewMessage extends MessageStats {
  conversationId: string;
  role: Role;
  content?: string;
  reasoningContent?: string | null;
  model?: string;
  status?: MessageStatus;
  id?: string;
  /** The search sources the answer was given (stored as JSON). */
  citations?: readonly { index: number; title: string; source: string; snippet: string }[];
}

const COLUMNS = `id, conversation_id, role, content, reasoning_content, model, prompt_tokens,
  completion_tokens, reasoning_tokens, queue_ms, first_token_ms, total_ms, status, citations, created_at, updated_at`;

function checkStats(s: MessageStats): void {
  for (const [k, v] of Object.entries(s)) {
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
      throw new PonderError(`message ${k} must be a non-negative number, got ${JSON.stringify(v)}`);
    }
  }
}

function stats(s: MessageStats) {
  checkStats(s);
  return [s.promptTokens ?? null, s.completionTokens ?? null, s.reasoningTokens ?? null,
    s.queueMs ?? null, s.firstTokenMs ?? null, s.totalMs ?? null];
}

export function addMessage(db: DB, m: NewMessage): Message {
  if (!ROLES.includes(m.role)) throw new PonderError(`unknown message role '${m.role}' (expected ${ROLES.join(', ')})`);
  const status = m.status ?? 'complete';
  if (!STATUSES.includes(status)) throw new PonderError(`unknown message status '${status}' (expected ${STATUSES.join(', ')})`);
  const { promptTokens, completionTokens, reasoningTokens, queueMs, firstTokenMs, totalMs } = m;
  const st = stats({ promptTokens, completionTokens, reasoningTokens, queueMs, firstTokenMs, totalMs });
  requireConversation(db, m.conversationId);
  const id = m.id ?? newId('msg');
  const t = now();
  db.transaction(() => {
    withConstraints(() => db.prepare(`INSERT INTO messages (id, conversation_id, role, content, reasoning_content,
      model, prompt_tokens, completion_tokens, reasoning_tokens, queue_ms, first_token_ms, total_ms, status, citations,
      created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      id, m.conversationId, m.role, m.content ?? '', m.reasoningContent ?? null, m.model ?? null, ...st, status,
      m.citations?.length ? JSON.stringify(m.citations) : null, t, t),
    { duplicate: `message '${id}' already exists` });
    db.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?').run(t, m.conversationId);
  })();
  return requireMessage(db, id);
}

/** Starts a streamed assistant message: inserted now, status 'partial', empty text. */
export function startMessage(db: DB, m: Omit<NewMessage, 'status' | 'role'> & { role?: Role }): Message {
  return addMessage(db, { ...m, role: m.role ?? 'assistant', status: 'partial' });
}

function requirePartial(db: DB, id: string): void {
  const row = db.prepare('SELECT status FROM messages WHERE id = ?').get(id) as { status: MessageStatus } | undefined;
  if (!row) throw new PonderError(`unknown message '${id}'`);
  if (row.status !== 'partial') throw new PonderError(`message '${id}' is ${row.status}, not partial: it cannot grow`);
}

/** Appends streamed text (reasoning and/or answer) to a partial message, in one committed write. */
export function appendToMessage(db: DB, id: string, delta: { content?: string; reasoningContent?: string }): void {
  requirePartial(db, id);
  db.prepare(`UPDATE messages SET content = content || ?,
      reasoning_content = CASE WHEN ? IS NULL THEN reasoning_content ELSE coalesce(reasoning_content, '') || ? END,
      updated_at = ? WHERE id = ?`)
    .run(delta.content ?? '', delta.reasoningContent ?? null, delta.reasoningContent ?? null, now(), id);
}

/**
 * Ends a partial message with its final status, counts and timings. Content given here replaces
 * the streamed text (the server may hold the exact final text, e.g. after a stop-sequence trim).
 * Counts and timings not given keep the values set when the message started.
 */
export function finishMessage(db: DB, id: string, end: MessageStats & {
  status: Exclude<MessageStatus, 'partial'>;
  content?: string;
  reasoningContent?: string | null;
}): Message {
  if (!STATUSES.includes(end.status) || (end.status as MessageStatus) === 'partial') {
    throw new PonderError(`a message must finish as complete, error or filtered, got '${end.status}'`);
  }
  const { promptTokens, completionTokens, reasoningTokens, queueMs, firstTokenMs, totalMs } = end;
  const st = stats({ promptTokens, completionTokens, reasoningTokens, queueMs, firstTokenMs, totalMs });
  requirePartial(db, id);
  db.prepare(`UPDATE messages SET status = ?, content = coalesce(?, content),
      reasoning_content = CASE WHEN ? THEN ? ELSE reasoning_content END,
      prompt_tokens = coalesce(?, prompt_tokens), completion_tokens = coalesce(?, completion_tokens),
      reasoning_tokens = coalesce(?, reasoning_tokens), queue_ms = coalesce(?, queue_ms),
      first_token_ms = coalesce(?, first_token_ms), total_ms = coalesce(?, total_ms),
      updated_at = ? WHERE id = ?`)
    .run(end.status, end.content ?? null, end.reasoningContent !== undefined ? 1 : 0, end.reasoningContent ?? null,
      ...st, now(), id);
  return requireMessage(db, id);
}

export function getMessage(db: DB, id: string): Message | undefined {
  return db.prepare(`SELECT ${COLUMNS} FROM messages WHERE id = ?`).get(id) as Message | undefined;
}

export function requireMessage(db: DB, id: string): Message {
  const m = getMessage(db, id);
  if (!m) throw new PonderError(`unknown message '${id}'`);
  return m;
}

/** A conversation's messages in the order they were added. */
export function listMessages(db: DB, conversationId: string): Message[] {
  return db.prepare(`SELECT ${COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq`)
    .all(conversationId) as Message[];
}
