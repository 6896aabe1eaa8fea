// A user's data out (export) and gone (delete); preference pairs out for DPO-style training.
import type { DB } from './db.ts';
import { now } from './ids.ts';
import { listKeys, type ApiKeyInfo } from './keys.ts';
import { listConversations, type Conversation } from './conversations.ts';
import { listMessages, type Message } from './messages.ts';
import { listFeedback, type ChatTurn, type Feedback } from './feedback.ts';
import { listModerationEvents, type ModerationEvent } from './moderation.ts';
import { listRequests, type RequestRecord } from './requests.ts';
import { LOCAL_USER_ID, requireUser, type User } from './users.ts';

export interface UserExport {
  format: 'ponder-user-export';
  version: 1;
  exported_at: string;
  user: User;
  /** Key metadata only: hashes are not exported, plaintext keys were never stored. */
  api_keys: ApiKeyInfo[];
  conversations: (Conversation & { messages: Message[] })[];
  feedback: Feedback[];
  moderation_events: ModerationEvent[];
  requests: RequestRecord[];
}

/** Everything stored for one user, as one JSON-ready object. An unknown user is a PonderError. */
export function exportUserData(db: DB, userId: string): UserExport {
  // One read transaction: a consistent snapshot even while the server writes.
  return db.transaction(() => {
    const user = requireUser(db, userId);
    return {
      format: 'ponder-user-export' as const,
      version: 1 as const,
      exported_at: now(),
      user,
      api_keys: listKeys(db, { userId }),
      conversations: listConversations(db, userId).map((c) => ({ ...c, messages: listMessages(db, c.id) })),
      feedback: listFeedback(db, { userId }),
      moderation_events: listModerationEvents(db, { userId }),
      requests: listRequests(db, { userId }),
    };
  })();
}

export interface DeleteCounts {
  conversations: number;
  messages: number;
  feedback: number;
  moderation_events: number;
  requests: number;
  api_keys: number;
}

/**
 * Deletes every row a user owns (conversations, messages, feedback, moderation events, request
 * log, keys) and the user. The local user's row stays (it is the loopback identity) but empty.
 * No VACUUM: secure_delete (set in openDatabase) zeroes the freed bytes, and a checkpoint then
 * empties the WAL of older copies of them, unless another connection is reading at that moment
 * (then the WAL keeps them until its next checkpoint).
 */
export function deleteUserData(db: DB, userId: string): DeleteCounts {
  const counts = db.transaction(() => {
    requireUser(db, userId);
    const count = (sql: string) => (db.prepare(sql).get(userId) as { n: number }).n;
    const counts: DeleteCounts = {
      conversations: count('SELECT count(*) AS n FROM conversations WHERE user_id = ?'),
      messages: count('SELECT count(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = ?'),
      feedback: count('SELECT count(*) AS n FROM feedback WHERE user_id = ?'),
      moderation_events: count('SELECT count(*) AS n FROM moderation_events WHERE user_id = ?'),
      requests: count('SELECT count(*) AS n FROM request_log WHERE user_id = ?'),
      api_keys: count('SELECT count(*) AS n FROM api_keys WHERE user_id = ?'),
    };
    // Children first; messages, and feedback and events on them, go by cascade from conversations.
    for (const table of ['feedback', 'moderation_events', 'request_log', 'conversations', 'api_keys']) {
      db.prepare(`DELETE FROM ${table} WHERE user_id = ?`).run(userId);
    }
    if (userId !== LOCAL_USER_ID) db.prepare('DELETE FROM users WHERE id = ?').run(userId);
    return counts;
  })();
  if (!db.memory) db.pragma('wal_checkpoint(TRUNCATE)');
  return counts;
}

/** One preference pair: the prompt turns, the preferred answer, the other answer. */
export interface PreferencePair {
  prompt: ChatTurn[];
  chosen: string;
  rejected: string;
}

/**
 * Preference pairs from feedback, DPO-style:
 * - a rewrite gives chosen = the rewrite, rejected = the answer as it was;
 * - for one exact prompt context, an answer rated up (net of all its ratings) paired with a
 *   different answer rated down gives chosen = up, rejected = down.
 * Pairs are unique and come in the order their feedback was given.
 */
export function exportPreferences(db: DB): PreferencePair[] {
  const out: PreferencePair[] = [];
  const seen = new Set<string>();
  const push = (promptJson: string, chosen: string, rejected: string) => {
    if (chosen === rejected) return;
    const key = JSON.stringify([promptJson, chosen, rejected]);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ prompt: JSON.parse(promptJson) as ChatTurn[], chosen, rejected });
  };
  // prompt context (exact JSON) -> answer -> net rating; Maps keep first-seen order.
  const byPrompt = new Map<string, Map<string, number>>();
  for (const f of listFeedback(db)) {
    const promptJson = JSON.stringify(f.prompt);
    if (f.rewrite !== null && f.rewrite.trim() !== '') push(promptJson, f.rewrite, f.answer);
    if (f.rating === null) continue;
    let answers = byPrompt.get(promptJson);
    if (!answers) byPrompt.set(promptJson, answers = new Map());
    answers.set(f.answer, (answers.get(f.answer) ?? 0) + f.rating);
  }
  for (const [promptJson, answers] of byPrompt) {
    const ups = [...answers].filter(([, r]) => r > 0).map(([a]) => a);
    const downs = [...answers].filter(([, r]) => r < 0).map(([a]) => a);
    for (const up of ups) for (const down of downs) push(promptJson, up, down);
  }
  return out;
}

/** Preference pairs as JSON Lines (one {prompt, chosen, rejected} object per line). */
export function preferencesToJsonl(pairs: PreferencePair[]): string {
  return pairs.map((p) => JSON.stringify(p)).join('\n') + (pairs.length ? '\n' : '');
}

/** One rated answer, unpaired (KTO's data): label true for thumbs up or a person's rewrite. */
export interface RatedAnswer {
  prompt: ChatTurn[];
  completion: string;
  label: boolean;
}

/**
 * Single ratings for learning without pairs (KTO): every answer whose net rating for its exact
 * prompt context is up (true) or down (false), and every rewrite (true). Unique, in feedback order.
 */
export function exportRatings(db: DB): RatedAnswer[] {
  const net = new Map<string, { prompt: ChatTurn[]; completion: string; rating: number }>();
  const rewrites = new Map<string, RatedAnswer>();
  for (const f of listFeedback(db)) {
    if (f.rewrite !== null && f.rewrite.trim() !== '') rewrites.set(JSON.stringify([f.prompt, f.rewrite]), { prompt: f.prompt, completion: f.rewrite, label: true });
    if (f.rating === null) continue;
    const key = JSON.stringify([f.prompt, f.answer]);
    const e = net.get(key) ?? { prompt: f.prompt, completion: f.answer, rating: 0 };
    e.rating += f.rating;
    net.set(key, e);
  }
  const out: RatedAnswer[] = [...net.values()].filter((e) => e.rating !== 0).map((e) => ({ prompt: e.prompt, completion: e.completion, label: e.rating > 0 }));
  for (const [key, r] of rewrites) if (!net.has(key) || net.get(key)!.rating <= 0) out.push(r);
  return out;
}
