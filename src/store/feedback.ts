// Feedback on an answer: a rating (+1/-1), a comment, and/or a rewrite of the answer. The prompt
// context and the answer are copied at feedback time, so the judgement stays tied to exactly what
// was seen even if the conversation changes later.
import { PonderError } from '../errors.ts';
import type { DB } from './db.ts';
import { withConstraints } from './errors.ts';
import { newId } from './ids.ts';
import { requireMessage } from './messages.ts';

export interface ChatTurn {
  role: string;
  content: string;
}

export interface Feedback {
  id: string;
  user_id: string;
  message_id: string;
  rating: 1 | -1 | null;
  comment: string | null;
  rewrite: string | null;
  /** The messages before the answer, [{role, content}], as they were at feedback time. */
  prompt: ChatTurn[];
  answer: string;
  answer_reasoning: string | null;
  created_at: string;
}

interface FeedbackRow extends Omit<Feedback, 'prompt'> {
  prompt_json: string;
}

export interface NewFeedback {
  /** Who gives it: must own the conversation the message is in. */
  userId: string;
  messageId: string;
  rating?: 1 | -1;
  comment?: string;
  rewrite?: string;
  id?: string;
}

/** The [{role, content}] turns before a message in its conversation (reasoning is not replayed). */
export function promptContext(db: DB, messageId: string): ChatTurn[] {
  return db.prepare(`SELECT p.role, p.content FROM messages m JOIN messages p
      ON p.conversation_id = m.conversation_id AND p.seq < m.seq WHERE m.id = ? ORDER BY p.seq`)
    .all(messageId) as ChatTurn[];
}

export function addFeedback(db: DB, f: NewFeedback): Feedback {
  if (f.rating !== undefined && f.rating !== 1 && f.rating !== -1) {
    throw new PonderError(`feedback rating must be 1 or -1, got ${JSON.stringify(f.rating)}`);
  }
  if (f.rating === undefined && f.comment === undefined && f.rewrite === undefined) {
    throw new PonderError('feedback needs a rating, a comment or a rewrite');
  }
  const msg = requireMessage(db, f.messageId);
  if (msg.role !== 'assistant') throw new PonderError(`message '${f.messageId}' is a ${msg.role} message, not an answer`);
  const owner = (db.prepare('SELECT user_id FROM conversations WHERE id = ?').get(msg.conversation_id) as { user_id: string }).user_id;
  if (owner !== f.userId) throw new PonderError(`message '${f.messageId}' does not belong to user '${f.userId}'`);
  const id = f.id ?? newId('fb');
  db.transaction(() => {
    const prompt = promptContext(db, f.messageId);
    withConstraints(() => db.prepare(`INSERT INTO feedback (id, user_id, message_id, rating, comment, rewrite,
        prompt_json, answer, answer_reasoning) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(id, f.userId, f.messageId, f.rating ?? null, f.comment ?? null, f.rewrite ?? null,
        JSON.stringify(prompt), msg.content, msg.reasoning_content),
    { duplicate: `feedback '${id}' already exists` });
  })();
  return listFeedbackWhere(db, 'id = ?', id)[0];
}

function listFeedbackWhere(db: DB, where: string, ...args: unknown[]): Feedback[] {
  const rows = db.prepare(`SELECT id, user_id, message_id, rating, comment, rewrite, prompt_json, answer,
      answer_reasoning, created_at FROM feedback WHERE ${where} ORDER BY created_at, rowid`).all(...args) as FeedbackRow[];
  return rows.map(({ prompt_json, ...r }) => ({ ...r, prompt: JSON.parse(prompt_json) as ChatTurn[] }));
}

export function listFeedback(db: DB, opts: { userId?: string; messageId?: string } = {}): Feedback[] {
  if (opts.messageId !== undefined) return listFeedbackWhere(db, 'message_id = ?', opts.messageId);
  if (opts.userId !== undefined) return listFeedbackWhere(db, 'user_id = ?', opts.userId);
  return listFeedbackWhere(db, '1');
}
