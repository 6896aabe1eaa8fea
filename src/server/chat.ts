// POST /v1/chat/completions: OpenAI's Chat Completions with DeepSeek's reasoner extension.
// The request goes through six stages, each a function below:
//   1. validate        the body (validate.ts), the conversation's owner
//   2. moderate input  every text that reaches the model (system, user and assistant turns, the
//                      prefix, reasoning_content sent back); flagged: answered by `refuse`
//   3. build context   search results in front of the messages (sources.ts)
//   4. generate        the backend's events, streamed to the client (reply.ts) as they come
//   5. moderate output reasoning and answer as they stream; the first hit stops the generation
//   6. store           the exchange as it happens (exchange.ts): partial, grown, finished
// A client that goes away cancels the generation; its message stays partial. A server that
// shuts down ends open streams with an error event and [DONE].
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { DB } from '../store/db.ts';
import { getConversation } from '../store/conversations.ts';
import { firstFlagged, StreamFilter, type Moderator, type ModerationResult, type Policy, type PolicyBook } from '../moderation/index.ts';
import type { ChatBackend, GenEvent, GenResult, Generation, LogprobEntry } from './backend.ts';
import { ApiError, notFound } from './errors.ts';
import { recordModeration, StoredExchange, type Owner } from './exchange.ts';
import type { Metrics } from './metrics.ts';
import { ChatReply, type Usage } from './reply.ts';
import { buildContext, type ModelContext, type SearchTools } from './sources.ts';
import { validateChatRequest, type ChatRequest } from './validate.ts';

/** Moderation of chats: every input text before generation, the output as it streams. */
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
  owner: Owner;
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
  /** True once the server is shutting down (then an abort is not the client's doing). */
  shuttingDown: () => boolean;
  t0: number;
  /** Filled in for the request log line. */
  usage: { promptTokens?: number; completionTokens?: number; reasoningTokens?: number; model?: string; stream?: boolean; messages?: unknown; content?: string; reasoningContent?: string };
  onStreamOpen: (open: boolean) => void;
  moderation?: ChatModeration;
  /** The search tools for `search: true` and `web_search: true`. */
  search: SearchTools;
}

export async function chatCompletion(ctx: ChatContext): Promise<void> {
  const creq = validate(ctx);
  const policy = ctx.moderation?.policies.forKey(ctx.owner.keyId);
  const inputHit = await moderateInput(ctx, creq, policy);
  if (inputHit) return refuse(ctx, creq, inputHit);
  const context = await buildContext(creq, ctx.search, ctx.backend, ctx.signal);
  const run = await startGeneration(ctx, { ...creq, messages: context.messages });
  let exchange: StoredExchange | null = null;
  try {
    exchange = creq.store ? StoredExchange.start(ctx.db, ctx.log, ctx.owner, creq, context.citations) : null;
  } catch (e) {
    run.cancel(); // nothing will read this generation: free its slot
    throw e;
  }
  const reply = new ChatReply(ctx.res, creq, ctx.keepAliveMs, ctx.onStreamOpen);
  reply.open(storeHeaders(exchange), { ...storeFields(exchange), ...contextFields(context) });
  exchange?.streamEvery(ctx.flushMs);

  const output = outputCheck(ctx, policy);
  const answer = await generate(ctx, run, output, reply, exchange);
  if (!answer) return; // failed mid-stream, or the client left
  const hit = output ? moderateOutputEnd(output, answer.result) : null;
  finish(ctx, creq, answer, hit, reply, exchange);
}

// 1. Validate ---------------------------------------------------------------------------------

function validate(ctx: ChatContext): ChatRequest {
  const creq = validateChatRequest(ctx.body, { maxPromptChars: ctx.maxPromptChars });
  Object.assign(ctx.usage, { model: creq.model, stream: creq.stream, messages: creq.messages });
  if (creq.conversationId !== undefined) {
    const c = getConversation(ctx.db, creq.conversationId);
    if (!c || c.user_id !== ctx.owner.userId) throw notFound(`no conversation '${creq.conversationId}'`, 'conversation_id', 'conversation_not_found');
  }
  return creq;
}

// 2. Moderate input ---------------------------------------------------------------------------

/** Every text of the request that reaches the model (or was sent to it): nothing passes unread. */
export function inputTexts(creq: ChatRequest): string[] {
  return [...creq.messages.map((m) => m.content), ...(creq.prefix !== undefined ? [creq.prefix] : []), ...creq.clientReasoning];
}

async function moderateInput(ctx: ChatContext, creq: ChatRequest, policy: Policy | undefined): Promise<ModerationResult | null> {
  if (!ctx.moderation || !policy?.enabled || !policy.input) return null;
  return firstFlagged(ctx.moderation.moderator, inputTexts(creq), policy);
}

/**
 * A flagged request is not answered: an empty reply with finish_reason content_filter (stored as
 * 'filtered'), as the page expects. It must still be a request the model could take: the context
 * check runs before anything is stored.
 */
function refuse(ctx: ChatContext, creq: ChatRequest, hit: ModerationResult): void {
  ctx.backend.checkPrompt?.(creq);
  const exchange = creq.store ? StoredExchange.start(ctx.db, ctx.log, ctx.owner, creq, undefined) : null;
  if (exchange) exchange.recordModeration(hit, 'input');
  else recordModeration(ctx.db, ctx.log, ctx.owner, hit, 'input');
  const reply = new ChatReply(ctx.res, creq, ctx.keepAliveMs, ctx.onStreamOpen);
  reply.open(storeHeaders(exchange), storeFields(exchange));
  const result: GenResult = { finish: 'content_filter', promptTokens: 0, completionTokens: 0, reasoningTokens: 0 };
  exchange?.finish({ status: 'filtered', content: '', reasoningContent: null, promptTokens: 0, completionTokens: 0, reasoningTokens: 0, totalMs: performance.now() - ctx.t0 });
  reply.end({ finish: 'content_filter', content: '', reasoning: null, logprobs: [], filtered: true, usage: usageOf(result), more: moderationField(hit) });
}

// 3. Build the context: sources.ts's buildContext ---------------------------------------------

function storeHeaders(exchange: StoredExchange | null): Record<string, string> {
  return exchange ? { 'x-ponder-conversation-id': exchange.conversationId, 'x-ponder-message-id': exchange.messageId } : {};
}

/** ponder's fields for the page: where the exchange is stored. */
function storeFields(exchange: StoredExchange | null): Record<string, unknown> {
  return exchange ? { conversation_id: exchange.conversationId, message_id: exchange.messageId, user_message_id: exchange.userMessageId } : {};
}

function contextFields(context: ModelContext): Record<string, unknown> {
  return { ...(context.citations ? { citations: context.citations } : {}), ...(context.searchErrors ? { search_errors: context.searchErrors } : {}) };
}

// 4. Generate and stream ----------------------------------------------------------------------

/** A started generation whose events are held until a consumer is attached (an upstream may answer fast). */
interface Run {
  gen: Generation;
  attach(consume: (ev: GenEvent) => void): void;
  cancel(): void;
}

async function startGeneration(ctx: ChatContext, modelReq: ChatRequest): Promise<Run> {
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort();
  // The client may have left (or the server begun stopping) while the input was moderated or searched.
  if (ctx.signal.aborted) abort.abort();
  ctx.signal.addEventListener('abort', onOuterAbort, { once: true });
  const held: GenEvent[] = [];
  let consume: ((ev: GenEvent) => void) | null = null;
  let gen: Generation;
  try {
    gen = await ctx.backend.start(modelReq, abort.signal, (ev) => { if (consume) consume(ev); else held.push(ev); });
  } catch (e) {
    ctx.signal.removeEventListener('abort', onOuterAbort);
    throw e;
  }
  gen.done.finally(() => ctx.signal.removeEventListener('abort', onOuterAbort)).catch(() => {});
  return {
    gen,
    attach(f) { consume = f; for (const ev of held.splice(0)) f(ev); },
    cancel() { abort.abort(); gen.done.catch(() => {}); },
  };
}

interface Answer {
  result: GenResult;
  content: string;
  reasoning: string;
  sawReasoning: boolean;
  logprobs: LogprobEntry[];
  firstTokenMs: number | null;
  /** The output check's hit that stopped the generation. */
  hit: ModerationResult | null;
}

/** Streams the generation to the client and the store; null when the reply is over already. */
async function generate(ctx: ChatContext, run: Run, output: StreamFilter | null, reply: ChatReply, exchange: StoredExchange | null): Promise<Answer | null> {
  const a: Answer = { result: { finish: 'stop', promptTokens: 0, completionTokens: 0, reasoningTokens: 0 }, content: '', reasoning: '', sawReasoning: false, logprobs: [], firstTokenMs: null, hit: null };
  run.attach((ev) => {
    if (a.hit) return; // the generation is being stopped: nothing more goes out
    // 5. Moderate output, as it streams: the first hit stops the generation.
    if (output && output.push(ev.text, ev.kind)) { a.hit = output.hit; run.cancel(); return; }
    if (a.firstTokenMs === null && (ev.text !== '' || ev.kind === 'reasoning')) {
      a.firstTokenMs = performance.now() - ctx.t0;
      ctx.metrics.firstToken(a.firstTokenMs / 1000);
    }
    if (ev.kind === 'reasoning') { a.reasoning += ev.text; a.sawReasoning = true; }
    else { a.content += ev.text; if (ev.logprobs) a.logprobs.push(...ev.logprobs); }
    exchange?.add(ev);
    reply.delta(ev);
  });
  try {
    a.result = await run.gen.done;
  } catch (e) {
    exchange?.leavePartial();
    exchange?.finish({ status: 'error' });
    if (!reply.started) throw e;
    ctx.log.error({ err: e }, 'generation failed mid-stream');
    reply.failMidStream(e instanceof ApiError ? e : new ApiError(500, `generation failed (request ${ctx.requestId})`, 'server_error'));
    return null;
  }
  countTokens(ctx, a);
  if (a.hit) a.result = { ...a.result, finish: 'content_filter' };
  if (a.result.finish === 'cancelled') {
    exchange?.leavePartial(); // the answer is incomplete: kept, marked partial
    if (ctx.shuttingDown() && reply.started) reply.failMidStream(new ApiError(503, 'the server is shutting down; the answer so far is stored as partial', 'server_error', null, 'server_shutdown'));
    else if (ctx.shuttingDown()) throw new ApiError(503, 'the server is shutting down', 'server_error', null, 'server_shutdown', { 'Retry-After': '1' });
    else reply.drop();
    return null;
  }
  return a;
}

function countTokens(ctx: ChatContext, a: Answer): void {
  const r = a.result;
  Object.assign(ctx.usage, { promptTokens: r.promptTokens, completionTokens: r.completionTokens, reasoningTokens: r.reasoningTokens, content: a.content, reasoningContent: a.reasoning });
  ctx.metrics.tokens.prompt += r.promptTokens;
  ctx.metrics.tokens.completion += r.completionTokens;
  ctx.metrics.tokens.reasoning += r.reasoningTokens;
}

// 5. Moderate output --------------------------------------------------------------------------

function outputCheck(ctx: ChatContext, policy: Policy | undefined): StreamFilter | null {
  return ctx.moderation && policy?.enabled && policy.output ? new StreamFilter(ctx.moderation.moderator, policy, ctx.moderation.every ?? 64) : null;
}

/** The stream's hit, or one in its last unchecked characters (then the full answer is withheld). */
function moderateOutputEnd(output: StreamFilter, result: GenResult): ModerationResult | null {
  return output.hit ?? (result.finish !== 'cancelled' ? output.end() : null);
}

function moderationField(hit: ModerationResult | null): Record<string, unknown> {
  if (!hit) return {};
  const category = hit.rule?.category ?? Object.keys(hit.categories).find((c) => hit.categories[c]) ?? '';
  return { moderation: { category, ...(hit.rule ? { rule: hit.rule.rule } : {}) } };
}

// 6. Store and answer -------------------------------------------------------------------------

function usageOf(r: GenResult): Usage {
  return {
    prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens,
    completion_tokens_details: { reasoning_tokens: r.reasoningTokens },
  };
}

function finish(ctx: ChatContext, creq: ChatRequest, a: Answer, hit: ModerationResult | null, reply: ChatReply, exchange: StoredExchange | null): void {
  const result = hit ? { ...a.result, finish: 'content_filter' as const } : a.result;
  // A think block that was opened but held no text still reports reasoning_content "" (not null).
  const reasoning = a.sawReasoning || result.reasoningTokens > 0 ? a.reasoning : null;
  if (exchange) {
    if (hit) exchange.recordModeration(hit, 'output');
    exchange.finish({
      status: hit ? 'filtered' : 'complete', content: a.content, reasoningContent: reasoning,
      promptTokens: result.promptTokens, completionTokens: result.completionTokens, reasoningTokens: result.reasoningTokens,
      ...(result.queueMs !== undefined ? { queueMs: result.queueMs } : {}),
      ...(a.firstTokenMs !== null ? { firstTokenMs: a.firstTokenMs } : {}), totalMs: performance.now() - ctx.t0,
    });
  } else if (hit) {
    recordModeration(ctx.db, ctx.log, ctx.owner, hit, 'output');
  }
  reply.end({ finish: result.finish, content: a.content, reasoning, logprobs: a.logprobs, filtered: hit !== null, usage: usageOf(result), more: moderationField(hit) });
}
