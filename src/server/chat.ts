// POST /v1/chat/completions: OpenAI's Chat Completions with DeepSeek's reasoner extension.
// Non-streaming: one JSON object with message.reasoning_content beside message.content.
// Streaming (SSE): a role chunk, delta.reasoning_content chunks, delta.content chunks, a chunk
// with finish_reason, the usage chunk when stream_options.include_usage, then `data: [DONE]`.
// `: keep-alive` comments go out while nothing else does (a request waiting in the queue).
//
// The exchange is stored as it happens: the new user turn, and the assistant message inserted
// as 'partial' before the first token and grown every flush interval, then finished with its
// counts and timings. A client that goes away cancels the generation; its message stays partial.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { DB } from '../store/db.ts';
import { createConversation, getConversation } from '../store/conversations.ts';
import { addMessage, appendToMessage, finishMessage, startMessage } from '../store/messages.ts';
import { newId } from '../store/ids.ts';
import { existsSync } from 'node:fs';
import { PonderError } from '../errors.ts';
import { formatContext, search as searchIndex, type Citation } from '../search/index.ts';
import type { ChatBackend, GenEvent, GenResult, Generation, LogprobEntry } from './backend.ts';
import { ApiError, notFound, unprocessable } from './errors.ts';
import type { Metrics } from './metrics.ts';
import { validateChatRequest, type ChatRequest } from './validate.ts';
import { fitSources } from './searchfit.ts';
import { StreamFilter, type Moderator, type ModerationResult, type PolicyBook } from '../moderation/index.ts';
import { addModerationEvent } from '../store/moderation.ts';

/** Moderation of chats: the user's last turn before generation, the output as it streams. */
export interface ChatModeration {
  moderator: Moderator;
  policies: PolicyBook;
  /** Characters between output checks (default 64). */
  every?: number;
}

export interface ChatContext {
  req: IncomingMessage;
  res: ServerResponse;
  body: unknown;
  owner: { userId: string; keyId: string | null };
  requestId: string;
  log: Logger;
  db: DB;
  backend: ChatBackend;
  metrics: Metrics;
  maxPromptChars: number;
  keepAliveMs: number;
  flushMs: number;
  /** Aborted when the client goes away or the server shuts down. */
  signal: AbortSignal;
  t0: number;
  /** Filled in for the request log line. */
  usage: { promptTokens?: number; completionTokens?: number; reasoningTokens?: number; model?: string; stream?: boolean; messages?: unknown; content?: string; reasoningContent?: string };
  onStreamOpen: (open: boolean) => void;
  moderation?: ChatModeration;
  /** The local search index for `search: true` (PONDER_DATA_DIR/search.db). */
  searchDb?: string;
}

/** Records what a filter decided (one event per flagged category); never fails the request. */
function recordModeration(ctx: ChatContext, r: ModerationResult, direction: 'input' | 'output', messageId?: string): void {
  try {
    for (const [category, flagged] of Object.entries(r.categories)) {
      if (!flagged) continue;
      const rule = r.rule?.category === category ? r.rule.rule : undefined;
      addModerationEvent(ctx.db, { userId: ctx.owner.userId, messageId, direction, category, rule, score: r.scores[category], action: 'block' });
    }
  } catch (e) {
    ctx.log.error({ err: e }, 'storing a moderation event failed');
  }
}

interface Stored { conversationId: string; messageId: string; userMessageId: string | null }

/** Saves the new turns and starts the partial assistant message. */
function storeStart(ctx: ChatContext, creq: ChatRequest, model: string): Stored {
  const { db, owner } = ctx;
  return db.transaction(() => {
    let conversationId = creq.conversationId;
    let turns = creq.messages;
    if (conversationId === undefined) {
      const firstUser = creq.messages.find((m) => m.role === 'user')?.content ?? '';
      conversationId = createConversation(db, { userId: owner.userId, title: firstUser.slice(0, 80) || undefined }).id;
    } else if (creq.regenerate) {
      turns = []; // the question is stored already: only a new answer
    } else {
      turns = creq.messages.slice(-1).filter((m) => m.role !== 'assistant'); // the earlier turns are stored already
    }
    let userMessageId: string | null = null;
    for (const m of turns) {
      const added = addMessage(db, { conversationId, role: m.role, content: m.content });
      if (m.role === 'user') userMessageId = added.id;
    }
    if (userMessageId === null) {
      const last = db.prepare("SELECT id FROM messages WHERE conversation_id = ? AND role = 'user' ORDER BY seq DESC LIMIT 1").get(conversationId) as { id: string } | undefined;
      userMessageId = last?.id ?? null;
    }
    const msg = startMessage(db, { conversationId, model, reasoningContent: null });
    return { conversationId, messageId: msg.id, userMessageId };
  })();
}

/** Local search results for the last user turn: a system turn for the model, citations for the client. */
function searchContext(ctx: ChatContext, creq: ChatRequest): { messages: ChatRequest['messages']; citations: Citation[] } {
  const last = [...creq.messages].reverse().find((m) => m.role === 'user');
  if (!ctx.searchDb || !existsSync(ctx.searchDb)) {
    throw unprocessable(`'search' is on, but this server has no search index (build one with \`ponder index <folder>\`)`, 'search', 'search_unavailable');
  }
  let hits;
  try {
    hits = last ? searchIndex(ctx.searchDb, last.content, 3) : [];
  } catch (e) {
    if (e instanceof PonderError) throw unprocessable(e.message, 'search', 'search_unavailable');
    throw e;
  }
  const sources = hits.map((h) => ({ title: h.title, source: h.path, text: h.text, snippet: h.snippet }));
  const withContext = (context: string): ChatRequest['messages'] => context ? [{ role: 'system', content: context }, ...creq.messages] : creq.messages;
  const backend = ctx.backend;
  const { context, citations } = backend.fitsContext
    ? fitSources(sources, (c) => backend.fitsContext!({ ...creq, messages: withContext(c) }))
    : formatContext(sources);
  return { messages: withContext(context), citations };
}

export async function chatCompletion(ctx: ChatContext): Promise<void> {
  const { res, metrics } = ctx;
  const creq = validateChatRequest(ctx.body, { maxPromptChars: ctx.maxPromptChars });
  ctx.usage.model = creq.model;
  ctx.usage.stream = creq.stream;
  ctx.usage.messages = creq.messages;
  if (creq.conversationId !== undefined) {
    const c = getConversation(ctx.db, creq.conversationId);
    if (!c || c.user_id !== ctx.owner.userId) throw notFound(`no conversation '${creq.conversationId}'`, 'conversation_id', 'conversation_not_found');
  }

  // A flagged question is not answered: the reply is an empty answer with finish_reason
  // content_filter (stored as 'filtered'), as the web page expects.
  const policy = ctx.moderation?.policies.forKey(ctx.owner.keyId);
  let filtered: ModerationResult | null = null;
  let inputFlagged = false;
  if (ctx.moderation && policy?.enabled && policy.input) {
    const last = [...creq.messages].reverse().find((m) => m.role === 'user');
    const r = last ? ctx.moderation.moderator.moderate(last.content, policy) : null;
    if (r?.flagged) { filtered = r; inputFlagged = true; }
  }
  // The output filter stops the generation on its first hit: finish_reason content_filter.
  const filter = ctx.moderation && policy?.enabled && policy.output ? new StreamFilter(ctx.moderation.moderator, policy, ctx.moderation.every ?? 64) : null;
  const { messages: modelMessages, citations } = creq.search && !inputFlagged ? searchContext(ctx, creq) : { messages: creq.messages, citations: undefined };
  const genAbort = new AbortController();
  const onOuterAbort = () => genAbort.abort();
  ctx.signal.addEventListener('abort', onOuterAbort, { once: true });

  // Events may come before we are ready to write (an upstream answering fast): hold them.
  const events: GenEvent[] = [];
  let deliver: ((ev: GenEvent) => void) | null = null;
  const emit = (ev: GenEvent) => { if (deliver) deliver(ev); else events.push(ev); };
  let gen: Generation;
  try {
    gen = inputFlagged
      ? { done: Promise.resolve({ finish: 'content_filter', promptTokens: 0, completionTokens: 0, reasoningTokens: 0 }) }
      : await ctx.backend.start({ ...creq, messages: modelMessages }, genAbort.signal, emit);
  } catch (e) {
    ctx.signal.removeEventListener('abort', onOuterAbort);
    throw e;
  }

  const id = `chatcmpl-${newId('c').slice(2)}`;
  const created = Math.floor(Date.now() / 1000);
  let reasoning = '', content = '', sawReasoning = false;
  const logprobs: LogprobEntry[] = [];
  let firstTokenMs: number | null = null;
  let stored: Stored | null = null;
  let pending = { content: '', reasoning: '' };
  const flush = () => {
    if (!stored || (pending.content === '' && pending.reasoning === '')) return;
    try {
      appendToMessage(ctx.db, stored.messageId, { content: pending.content, ...(pending.reasoning ? { reasoningContent: pending.reasoning } : {}) });
    } catch (e) {
      ctx.log.error({ err: e }, 'storing a streamed chunk failed');
    }
    pending = { content: '', reasoning: '' };
  };
  if (creq.store) {
    try {
      stored = storeStart(ctx, creq, creq.model);
    } catch (e) {
      genAbort.abort(); // nothing will read this generation: free its slot
      gen.done.catch(() => {});
      ctx.signal.removeEventListener('abort', onOuterAbort);
      throw e;
    }
  }
  if (stored) { res.setHeader('x-ponder-conversation-id', stored.conversationId); res.setHeader('x-ponder-message-id', stored.messageId); }
  const flushTimer = setInterval(flush, ctx.flushMs);

  // ponder's fields for the web page: where the exchange is stored, and the search citations.
  const ids = stored ? { conversation_id: stored.conversationId, message_id: stored.messageId, user_message_id: stored.userMessageId } : {};
  const extra = { ...ids, ...(citations ? { citations } : {}) };
  const chunk = (delta: Record<string, unknown>, finish: string | null, lp?: LogprobEntry[], more: Record<string, unknown> = {}) => ({
    id, object: 'chat.completion.chunk', created, model: creq.model, system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: creq.logprobs && lp ? { content: lp, refusal: null } : null, finish_reason: finish }],
    ...(creq.includeUsage ? { usage: null } : {}),
    ...more,
  });
  let lastWrite = performance.now();
  const send = (obj: unknown) => {
    if (res.writableEnded || res.destroyed) return;
    res.write(`data: ${JSON.stringify(obj)}\n\n`);
    lastWrite = performance.now();
  };
  let keepAlive: NodeJS.Timeout | null = null;
  if (creq.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    ctx.onStreamOpen(true);
    send(chunk({ role: 'assistant', content: '' }, null, undefined, extra));
    keepAlive = setInterval(() => {
      if (performance.now() - lastWrite >= ctx.keepAliveMs * 0.9 && !res.writableEnded && !res.destroyed) { res.write(': keep-alive\n\n'); lastWrite = performance.now(); }
    }, ctx.keepAliveMs);
  }

  deliver = (ev) => {
    if (filtered) return; // the generation is being stopped: nothing more goes out
    if (filter && filter.push(ev.text)) {
      filtered = filter.hit;
      genAbort.abort();
      return;
    }
    if (firstTokenMs === null && (ev.text !== '' || ev.kind === 'reasoning')) {
      firstTokenMs = performance.now() - ctx.t0;
      metrics.firstToken(firstTokenMs / 1000);
    }
    if (ev.kind === 'reasoning') { reasoning += ev.text; sawReasoning = true; pending.reasoning += ev.text; }
    else { content += ev.text; pending.content += ev.text; if (ev.logprobs) logprobs.push(...ev.logprobs); }
    if (creq.stream) {
      if (ev.kind === 'reasoning') send(chunk({ reasoning_content: ev.text }, null));
      else send(chunk({ content: ev.text }, null, ev.logprobs));
    }
  };
  for (const ev of events.splice(0)) deliver(ev);

  let result: GenResult;
  try {
    result = await gen.done;
  } catch (e) {
    clearInterval(flushTimer);
    if (keepAlive) clearInterval(keepAlive);
    ctx.signal.removeEventListener('abort', onOuterAbort);
    flush();
    if (stored) finishQuietly(ctx, stored, { status: 'error' });
    if (creq.stream && res.headersSent) {
      const err = e instanceof ApiError ? e : new ApiError(500, `generation failed (request ${ctx.requestId})`, 'server_error');
      ctx.log.error({ err: e }, 'generation failed mid-stream');
      send(err.body());
      if (!res.writableEnded) res.end('data: [DONE]\n\n');
      ctx.onStreamOpen(false);
      return;
    }
    throw e;
  } finally {
    clearInterval(flushTimer);
    if (keepAlive) clearInterval(keepAlive);
  }

  const totalMs = performance.now() - ctx.t0;
  const usage = {
    prompt_tokens: result.promptTokens,
    completion_tokens: result.completionTokens,
    total_tokens: result.promptTokens + result.completionTokens,
    completion_tokens_details: { reasoning_tokens: result.reasoningTokens },
  };
  Object.assign(ctx.usage, { promptTokens: result.promptTokens, completionTokens: result.completionTokens, reasoningTokens: result.reasoningTokens, content, reasoningContent: reasoning });
  metrics.tokens.prompt += result.promptTokens;
  metrics.tokens.completion += result.completionTokens;
  metrics.tokens.reasoning += result.reasoningTokens;

  ctx.signal.removeEventListener('abort', onOuterAbort);
  if (!filtered && filter && result.finish !== 'cancelled') {
    const hit = filter.end();
    if (hit) filtered = hit; // flagged in the last characters: the full answer is withheld below
  }
  if (filtered) {
    result = { ...result, finish: 'content_filter' };
    recordModeration(ctx, filtered, inputFlagged ? 'input' : 'output', (inputFlagged ? stored?.userMessageId : stored?.messageId) ?? undefined);
  }
  const hit = filtered?.rule ?? (filtered ? { category: Object.keys(filtered.categories).find((c) => filtered!.categories[c]) ?? '', rule: undefined } : null);
  const moderationField = hit ? { moderation: { category: hit.category, ...(hit.rule ? { rule: hit.rule } : {}) } } : {};
  if (result.finish === 'cancelled') {
    // The client left: keep what was said, marked partial (the answer is incomplete).
    flush();
    ctx.onStreamOpen(false);
    if (!res.writableEnded && !res.destroyed) res.destroy();
    return;
  }
  pending = { content: '', reasoning: '' };
  // A think block that was opened but held no text still reports reasoning_content "" (not null).
  if (result.reasoningTokens > 0) sawReasoning = true;
  if (stored) {
    finishQuietly(ctx, stored, {
      status: result.finish === 'content_filter' ? 'filtered' : 'complete',
      content, reasoningContent: sawReasoning ? reasoning : null,
      promptTokens: result.promptTokens, completionTokens: result.completionTokens, reasoningTokens: result.reasoningTokens,
      ...(result.queueMs !== undefined ? { queueMs: result.queueMs } : {}),
      ...(firstTokenMs !== null ? { firstTokenMs } : {}), totalMs,
    });
  }
  const finish = result.finish;
  if (creq.stream) {
    send(chunk({}, finish, undefined, moderationField));
    if (creq.includeUsage) send({ id, object: 'chat.completion.chunk', created, model: creq.model, system_fingerprint: null, choices: [], usage });
    if (!res.writableEnded && !res.destroyed) res.end('data: [DONE]\n\n');
    ctx.onStreamOpen(false);
    return;
  }
  const body = {
    id, object: 'chat.completion', created, model: creq.model, system_fingerprint: null,
    choices: [{
      index: 0,
      // A filtered answer is withheld (it is kept in the store, status 'filtered', for review).
      message: { role: 'assistant', content: filtered ? '' : content, reasoning_content: filtered ? null : sawReasoning ? reasoning : null, refusal: null },
      logprobs: creq.logprobs && !filtered ? { content: logprobs, refusal: null } : null,
      finish_reason: finish,
    }],
    usage,
    ...extra,
    ...moderationField,
  };
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function finishQuietly(ctx: ChatContext, s: Stored, end: Parameters<typeof finishMessage>[2]): void {
  try {
    finishMessage(ctx.db, s.messageId, end);
  } catch (e) {
    ctx.log.error({ err: e }, 'storing the finished message failed');
  }
}
