// Continuous batching around one model. Requests wait in a FIFO queue; each loop tick admits
// waiting requests while slots are free (prefill: one forward over the prompt into the
// request's own single-row KV cache), then runs one decodeStep for every active sequence
// together. Between ticks the loop yields to the event loop (setImmediate), so HTTP keeps
// flowing while generation runs. A cancelled request leaves the batch at once.
//
// Each request has its own RNG, so a request's tokens do not depend on what it was batched with
// (beyond float noise in the batched matmuls).
import { noGrad, withScope } from '../tensor/index.ts';
import { Rng } from '../tensor/random.ts';
import type { StepModel } from './runner/index.ts';
import { PonderError } from '../errors.ts';
import { END_THINK_ID, THINK_ID } from '../tokenizer/special.ts';
import { sampleToken, tokenLogprob, topLogprobs } from './sampling.ts';
import { backend } from '../backend/index.ts';

const PONDER_THINK = { open: THINK_ID, close: END_THINK_ID };

export type EngineFinish = 'stop' | 'length' | 'cancelled';

export interface TokenEvent {
  token: number;
  /** log p(token) at temperature 1 (what OpenAI's logprobs report). */
  logprob: number;
  /** The k most likely alternatives, when the request asked for topLogprobs. */
  top?: { token: number; logprob: number }[];
  /** The token was generated inside a think block (or is one of its tags). */
  reasoning: boolean;
  /** The token was forced (</think> at the thinking budget), not sampled. */
  forced: boolean;
}

export interface EngineRequest {
  /** Prompt ids (at least one). */
  prompt: number[];
  /** Most tokens to generate; capped by the model's context. */
  maxTokens: number;
  /** 0 = greedy. Default 1. */
  temperature?: number;
  topP?: number;
  /** Keep only the k most likely tokens (0 or absent = all). */
  topK?: number;
  /** RNG seed for sampling; default a random one. */
  seed?: number;
  /** Token ids that end the sequence (kept in tokens, finish 'stop'). */
  stopTokens?: number[];
  /** Alternatives per token to report (0..20). */
  topLogprobs?: number;
  /** Sample only ids below this (a tokenizer smaller than the model's vocabulary: other ids have no text). */
  vocabLimit?: number;
  /** The prompt ends inside an open <think> (forced thinking). */
  startsInThink?: boolean;
  /** The model's <think> and </think> ids (default ponder's 6 and 7; null: the vocabulary has none). */
  thinkIds?: { open: number; close: number } | null;
  /** Ids the first generated token may not be (forced thinking bans </think>, so some reasoning comes first). */
  banFirst?: number[];
  /** Most tokens inside a think block; when reached, </think> is forced as the next token. */
  thinkingBudget?: number;
  /** Called for every token; return false to end the sequence now (finish 'stop': a stop string matched). */
  onToken?: (ev: TokenEvent) => boolean | void;
  signal?: AbortSignal;
}

export interface EngineResult {
  tokens: number[];
  finish: EngineFinish;
  promptTokens: number;
  /** Tokens generated inside the think block, its tags included. */
  reasoningTokens: number;
  /** Milliseconds from submit: to admission (prefill start), to the first token, to the end. */
  queueMs: number;
  firstTokenMs: number | null;
  totalMs: number;
}

/** The queue is full: the caller should answer 503 (overloaded) and let the client retry. */
export class EngineOverloadedError extends PonderError {
  override name = 'PonderError';
  readonly overloaded = true;
}

export interface EngineOptions {
  /** Sequences decoded together (default 16). */
  maxActive?: number;
  /** Requests waiting beyond the active ones (default 64); more are refused. */
  maxQueue?: number;
  /**
   * Prompt tokens prefilled per tick before the running sequences get their next token
   * (default 1024; at least one request is admitted per tick). Bounds how long a burst of
   * long prompts stalls the streams already running.
   */
  prefillTokensPerTick?: number;
}

interface Sequence<C> {
  req: EngineRequest;
  rng: Rng;
  stop: Set<number>;
  maxNew: number;
  tokens: number[];
  cache: C | null;
  inThink: boolean;
  thinkTokens: number;    // tokens strictly inside the current think block
  reasoningTokens: number;
  t0: number;
  queueMs: number;
  firstTokenMs: number | null;
  done: boolean;
  resolve: (r: EngineResult) => void;
  reject: (e: unknown) => void;
  onAbort: () => void;
}

/** What the server needs of an engine, whatever its model's cache type. */
export type EngineHandle = Pick<Engine, 'submit' | 'queueDepth' | 'activeCount' | 'contextLength' | 'totals' | 'maxActive' | 'maxQueue'>;

/** The greedy pick's outputs (one row at a time; generation is single-threaded JavaScript). */
const greedy = { token: new Int32Array(1), logprob: new Float32Array(1) };

/**
 * C is the model's cache type: the autograd Transformer's KVCache or the quantised runner's
 * RunnerCache (src/infer/runner), both driven through StepModel.
 */
export class Engine<C = unknown> {
  readonly maxActive: number;
  readonly maxQueue: number;
  readonly prefillTokensPerTick: number;
  private readonly queue: Sequence<C>[] = [];
  private active: Sequence<C>[] = [];
  private running = false;
  private readonly V: number;
  /** Sampling's scratch (V each), made when a request first samples: greedy decoding never needs it. */
  private scratch: { probs: Float32Array; order: Int32Array } | null = null;
  /** Totals since start, for metrics. */
  readonly totals = { promptTokens: 0, completionTokens: 0, requests: 0, cancelled: 0, ticks: 0 };

  constructor(readonly model: StepModel<C>, opts: EngineOptions = {}) {
    this.maxActive = opts.maxActive ?? 16;
    this.maxQueue = opts.maxQueue ?? 64;
    this.prefillTokensPerTick = opts.prefillTokensPerTick ?? 1024;
    if (!(Number.isInteger(this.maxActive) && this.maxActive >= 1)) throw new PonderError(`engine maxActive must be a positive integer, got ${this.maxActive}`);
    if (!(Number.isInteger(this.maxQueue) && this.maxQueue >= 0)) throw new PonderError(`engine maxQueue must be a non-negative integer, got ${this.maxQueue}`);
    this.V = model.config.vocab_size;
  }

  get queueDepth(): number { return this.queue.length; }
  get activeCount(): number { return this.active.length; }
  get contextLength(): number { return this.model.config.max_seq_len; }

  /** Queues a request; the promise settles when it ends (never rejects for a cancel). */
  submit(req: EngineRequest): Promise<EngineResult> {
    const ctx = this.model.config.max_seq_len;
    if (!Array.isArray(req.prompt) || req.prompt.length === 0) throw new PonderError('engine: the prompt is empty (it needs at least one token)');
    for (const t of req.prompt) if (!(Number.isInteger(t) && t >= 0 && t < this.V)) throw new PonderError(`engine: prompt token ${t} is outside the vocabulary [0, ${this.V})`);
    if (req.prompt.length >= ctx) throw new PonderError(`the prompt has ${req.prompt.length} tokens, but the model's context is ${ctx}: nothing is left to generate into`);
    const tags = req.thinkIds === undefined ? PONDER_THINK : req.thinkIds;
    if (req.vocabLimit !== undefined && !(Number.isInteger(req.vocabLimit) && req.vocabLimit > (tags?.close ?? 0))) throw new PonderError(`engine: vocabLimit must be an integer above the special tokens, got ${req.vocabLimit}`);
    if (!(Number.isInteger(req.maxTokens) && req.maxTokens >= 1)) throw new PonderError(`engine: maxTokens must be a positive integer, got ${req.maxTokens}`);
    if (this.queue.length >= this.maxQueue + Math.max(0, this.maxActive - this.active.length)) {
      throw new EngineOverloadedError(`the server is busy: ${this.active.length} generations running and ${this.queue.length} waiting; retry later`);
    }
    return new Promise<EngineResult>((resolve, reject) => {
      const seq: Sequence<C> = {
        req, rng: new Rng(req.seed ?? (Math.random() * 2 ** 32) >>> 0), stop: new Set(req.stopTokens ?? []),
        maxNew: Math.min(req.maxTokens, ctx - req.prompt.length), tokens: [], cache: null,
        inThink: req.startsInThink ?? false, thinkTokens: 0, reasoningTokens: 0,
        t0: performance.now(), queueMs: 0, firstTokenMs: null, done: false, resolve, reject,
        onAbort: () => this.cancel(seq),
      };
      if (req.signal?.aborted) { this.totals.cancelled++; resolve(this.result(seq, 'cancelled')); return; }
      req.signal?.addEventListener('abort', seq.onAbort, { once: true });
      this.queue.push(seq);
      this.totals.requests++;
      this.wake();
    });
  }

  private wake(): void {
    if (this.running) return;
    this.running = true;
    setImmediate(() => this.loop());
  }

  private loop(): void {
    if (this.queue.length === 0 && this.active.length === 0) { this.running = false; return; }
    try {
      this.tick();
    } catch (e) {
      // A failure inside the model fails the requests it touched; the engine itself goes on.
      for (const s of [...this.active]) this.end(s, null, e);
    }
    setImmediate(() => this.loop());
  }

  /** One step: admit (prefill) while slots are free, then decode one token for every active sequence. */
  private tick(): void {
    this.totals.ticks++;
    let prefilled = 0;
    while (this.active.length < this.maxActive && this.queue.length > 0 && prefilled < this.prefillTokensPerTick) {
      const s = this.queue.shift()!;
      if (s.done) continue;
      prefilled += s.req.prompt.length;
      s.queueMs = performance.now() - s.t0;
      this.active.push(s);
      try {
        this.prefill(s);
      } catch (e) {
        this.end(s, null, e);
      }
    }
    const batch = this.active.filter((s) => !s.done);
    if (batch.length === 0) return;
    const N = batch.length, V = this.V;
    const last = Int32Array.from(batch, (s) => s.tokens[s.tokens.length - 1]);
    // The model's logits are read where they lie (valid until its next call): no copy per token.
    noGrad(() => withScope(() => {
      const logits = this.model.decodeStep(last, batch.map((s) => s.cache!)).data;
      batch.forEach((s, i) => { if (!s.done) this.advance(s, logits.subarray(i * V, (i + 1) * V)); });
    }));
  }

  private prefill(s: Sequence<C>): void {
    const T = s.req.prompt.length;
    s.cache = this.model.newCache(1, T + s.maxNew);
    this.totals.promptTokens += T;
    noGrad(() => withScope(() => this.advance(s, this.model.forward(Int32Array.from(s.req.prompt), 1, T, { cache: s.cache!, lastOnly: true }).data)));
  }

  /** Picks the next token of s from its logits row (V), reports it, and ends s when it is done. */
  private advance(s: Sequence<C>, full: Float32Array): void {
    const row = s.req.vocabLimit !== undefined && s.req.vocabLimit < full.length ? full.subarray(0, s.req.vocabLimit) : full;
    if (s.tokens.length === 0 && s.req.banFirst) for (const t of s.req.banFirst) if (t < row.length) row[t] = -Infinity;
    const budget = s.req.thinkingBudget;
    const tags = s.req.thinkIds === undefined ? PONDER_THINK : s.req.thinkIds;
    const forced = tags !== null && s.inThink && budget !== undefined && s.thinkTokens >= budget;
    const temperature = s.req.temperature ?? 1;
    let token: number, logprob: number;
    if (!forced && temperature <= 0) {
      // Greedy: the first maximum and its log-probability in one native pass over the row.
      backend().kernels.sampleRows(row, 1, row.length, 0, null, greedy.token, greedy.logprob);
      token = greedy.token[0]; logprob = greedy.logprob[0];
    } else {
      token = forced ? tags.close : sampleToken(row, { temperature, topP: s.req.topP, topK: s.req.topK }, s.rng, ...this.samplingScratch());
      logprob = tokenLogprob(row, token);
    }
    const k = s.req.topLogprobs ?? 0;
    const wasInThink = s.inThink;
    if (token === tags?.open && !s.inThink) s.inThink = true;
    else if (token === tags?.close && s.inThink) s.inThink = false;
    else if (s.inThink) s.thinkTokens++;
    const reasoning = wasInThink || s.inThink;
    if (reasoning) s.reasoningTokens++;
    s.tokens.push(token);
    this.totals.completionTokens++;
    if (s.firstTokenMs === null) s.firstTokenMs = performance.now() - s.t0;
    const ev: TokenEvent = { token, logprob, reasoning, forced, ...(k > 0 ? { top: topLogprobs(row, k) } : {}) };
    let keep: boolean | void = true;
    try {
      keep = s.req.onToken?.(ev);
    } catch (e) {
      this.end(s, null, e);
      return;
    }
    if (s.done) return; // the callback cancelled it
    if (keep === false || s.stop.has(token)) this.end(s, 'stop');
    else if (s.tokens.length >= s.maxNew) this.end(s, 'length');
  }

  private cancel(s: Sequence<C>): void {
    if (s.done) return;
    this.totals.cancelled++;
    const qi = this.queue.indexOf(s);
    if (qi >= 0) this.queue.splice(qi, 1);
    this.end(s, 'cancelled');
  }

  private samplingScratch(): [Float32Array, Int32Array] {
    this.scratch ??= { probs: new Float32Array(this.V), order: new Int32Array(this.V) };
    return [this.scratch.probs, this.scratch.order];
  }

  /** Ends a sequence: frees its slot and cache, settles its promise. */
  private end(s: Sequence<C>, finish: EngineFinish | null, err?: unknown): void {
    if (s.done) return;
    s.done = true;
    s.cache = null;
    this.active = this.active.filter((x) => x !== s);
    s.req.signal?.removeEventListener('abort', s.onAbort);
    if (finish === null) s.reject(err);
    else s.resolve(this.result(s, finish));
  }

  private result(s: Sequence<C>, finish: EngineFinish): EngineResult {
    return {
      tokens: s.tokens, finish, promptTokens: s.req.prompt.length, reasoningTokens: s.reasoningTokens,
      queueMs: s.queueMs, firstTokenMs: s.firstTokenMs, totalMs: performance.now() - s.t0,
    };
  }
}
