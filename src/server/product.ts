// The product endpoints beyond OpenAI's (docs/product-api.md), as pure functions of
// (db, user, request) -> {status, json}, so the server only mounts them:
//   GET    /v1/conversations            listConversationsHandler
//   GET    /v1/conversations/:id        getConversationHandler
//   DELETE /v1/conversations/:id        deleteConversationHandler
//   POST   /v1/feedback                 feedbackHandler
//   GET    /v1/me/export                exportHandler
//   DELETE /v1/me                       deleteMeHandler
import { PonderError } from '../errors.ts';
import {
  addFeedback, deleteConversation, deleteUserData, exportUserData, getConversation, getMessage, listConversations,
  listFeedback, listMessages, type DB,
} from '../store/index.ts';

export interface HttpResult {
  status: number;
  json: unknown;
}

function error(status: number, message: string, param: string | null = null, type = status === 404 ? 'not_found_error' : 'invalid_request_error'): HttpResult {
  return { status, json: { error: { message, type, param, code: null } } };
}

function ownConversation(db: DB, userId: string, id: unknown) {
  if (typeof id !== 'string' || id === '') return null;
  const c = getConversation(db, id);
  return c && c.user_id === userId ? c : null;
}

export function listConversationsHandler(db: DB, userId: string): HttpResult {
  const data = listConversations(db, userId)
    .sort((a, b) => (a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : 0))
    .map((c) => {
      const first = db.prepare("SELECT content FROM messages WHERE conversation_id = ? AND role = 'user' ORDER BY seq LIMIT 1").get(c.id) as { content: string } | undefined;
      return { id: c.id, object: 'conversation', title: c.title ?? first?.content.slice(0, 60) ?? 'New chat', created_at: c.created_at, updated_at: c.updated_at };
    });
  return { status: 200, json: { object: 'list', data } };
}

export function getConversationHandler(db: DB, userId: string, id: string): HttpResult {
  const c = ownConversation(db, userId, id);
  if (!c) return error(404, `no conversation '${id}'`, 'id');
  const feedback = listFeedback(db, { userId });
  const messages = listMessages(db, c.id).map((m) => {
    const fb = feedback.filter((f) => f.message_id === m.id);
    // The latest of each kind: a later rewrite does not erase an earlier thumbs-up.
    const latest = <K extends 'rating' | 'comment' | 'rewrite'>(k: K) => fb.map((f) => f[k]).filter((v) => v !== null).pop() ?? null;
    return {
      id: m.id, role: m.role, content: m.content, reasoning_content: m.reasoning_content, status: m.status,
      model: m.model, created_at: m.created_at, ...(m.citations ? { citations: parseCitations(m.citations) } : {}),
      ...(m.role === 'assistant' ? { feedback: fb.length ? { rating: latest('rating'), comment: latest('comment'), rewrite: latest('rewrite') } : null } : {}),
    };
  });
  return { status: 200, json: { id: c.id, object: 'conversation', title: c.title, created_at: c.created_at, updated_at: c.updated_at, messages } };
}

/** The stored citations (JSON written by the server); unreadable ones are left out, not an error. */
function parseCitations(json: string): unknown[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

export function deleteConversationHandler(db: DB, userId: string, id: string): HttpResult {
  const c = ownConversation(db, userId, id);
  if (!c) return error(404, `no conversation '${id}'`, 'id');
  deleteConversation(db, c.id);
  return { status: 200, json: { id: c.id, object: 'conversation.deleted', deleted: true } };
}

/** POST /v1/feedback {message_id, rating?: 1 | -1, comment?: string, rewrite?: string}. */
export function feedbackHandler(db: DB, userId: string, body: unknown): HttpResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return error(400, 'the request body must be a JSON object');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!['message_id', 'rating', 'comment', 'rewrite'].includes(k)) return error(400, `unknown field '${k}' (message_id, rating, comment, rewrite)`, k);
  if (typeof b.message_id !== 'string' || b.message_id === '') return error(400, "'message_id' is required", 'message_id');
  const rating = b.rating === null ? undefined : b.rating;
  if (rating !== undefined && rating !== 1 && rating !== -1) return error(400, "'rating' must be 1 (thumbs up) or -1 (thumbs down)", 'rating');
  for (const k of ['comment', 'rewrite'] as const) {
    if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') return error(400, `'${k}' must be a string`, k);
    if (typeof b[k] === 'string' && (b[k] as string).length > 100_000) return error(400, `'${k}' is longer than 100000 characters`, k);
  }
  const comment = typeof b.comment === 'string' && b.comment.trim() !== '' ? b.comment : undefined;
  const rewrite = typeof b.rewrite === 'string' && b.rewrite.trim() !== '' ? b.rewrite : undefined;
  if (rating === undefined && comment === undefined && rewrite === undefined) return error(400, 'feedback needs a rating, a comment or a rewrite');
  const m = getMessage(db, b.message_id);
  if (!m || !ownConversation(db, userId, m.conversation_id)) return error(404, `no message '${b.message_id}'`, 'message_id');
  if (m.role !== 'assistant') return error(400, `message '${m.id}' is a ${m.role} message; feedback is for answers`, 'message_id');
  try {
    const f = addFeedback(db, { userId, messageId: m.id, rating: rating as 1 | -1 | undefined, comment, rewrite });
    return { status: 200, json: { id: f.id, object: 'feedback', message_id: f.message_id, rating: f.rating, comment: f.comment, rewrite: f.rewrite, created_at: f.created_at } };
  } catch (e) {
    if (e instanceof PonderError) return error(400, e.message);
    throw e;
  }
}

export function exportHandler(db: DB, userId: string): HttpResult {
  return { status: 200, json: exportUserData(db, userId) };
}

export function deleteMeHandler(db: DB, userId: string): HttpResult {
  return { status: 200, json: { object: 'user.data.deleted', deleted: deleteUserData(db, userId) } };
}
