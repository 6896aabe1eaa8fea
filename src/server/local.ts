// The local backend: a local model (ponder's own or a pretrained one) through the continuous-batching
// engine. Turns a chat request into prompt ids (the model's chat format, with <think> forced on or
// off as asked), decodes
// tokens into text as they come (a UTF-8 character may span tokens: a streaming TextDecoder
// holds its bytes), splits reasoning from the answer with the one think parser, and applies
// stop strings to the answer.
import { EngineOverloadedError, type EngineHandle, type TokenEvent } from '../infer/engine.ts';
import { ThinkStreamParser, THINK_CLOSE, THINK_OPEN } from '../infer/think.ts';
import { chatFormatFor, opensThink, type ChatFormat, type TextTokenizer } from '../tokenizer/index.ts';
import { PonderError } from '../errors.ts';
import type { ChatBackend, GenEvent, GenResult, Generation, LogprobEntry, ModelCard } from './backend.ts';
import { notFound, overloaded, unprocessable } from './errors.ts';
import { StopMatcher } from './stop.ts';
import type { ChatRequest } from './validate.ts';

export interface LocalBackendOptions {
  /** The name clients use in `model` (default 'ponder'). */
  modelId?: string;
  /** max_tokens when the request gives none (default 1024, cut to the context). */
  defaultMaxTokens?: number;
  /** How conversations become prompts and which ids end a reply (default: ponder's format). */
  chat?: ChatFormat;
  /** Listed in /v1/models as the model's `runtime` (default 'f32'). */
  runtime?: 'quantised-runner' | 'f32';
}

export class LocalBackend implements ChatBackend {
  readonly kind = 'local' as const;
  readonly modelId: string;
  private readonly defaultMaxTokens: number;
  private readonly created = Math.floor(Date.now() / 1000);
  /** The longest token in bytes: a prompt of B bytes is at least B / this many tokens. */
  private readonly maxTokenBytes: number;

  private readonly chat: ChatFormat;
  private readonly runtime: 'quantised-runner' | 'f32';

  constructor(readonly engine: EngineHandle, readonly tokenizer: TextTokenizer, opts: LocalBackendOptions = {}) {
    this.modelId = opts.modelId ?? 'ponder';
    this.runtime = opts.runtime ?? 'f32';
    this.defaultMaxTokens = opts.defaultMaxTokens ?? 1024;
    this.maxTokenBytes = tokenizer.maxTokenBytes;
    const chat = opts.chat ?? chatFormatFor(tokenizer);
    if (!chat) throw new PonderError('the model has no chat template: it cannot be served as a chat model');
    this.chat = chat;
  }

  async listModels(): Promise<ModelCard[]> {
    return [{ id: this.modelId, object: 'model', created: this.created, owned_by: 'ponder', runtime: this.runtime }];
  }

  stats() {
    return { queueDepth: this.engine.queueDepth, active: this.engine.activeCount };
  }

  /**
   * The prompt ids for a request: the chat template, then <think> (forced on) or <think></think>
   * (off); or, with an assistant prefix, the prefix's text with its think tags as the special
   * tokens the model writes (so a prefix that was generated reads back as it was generated).
   */
  promptIds(req: ChatRequest): number[] {
    const think = this.chat.think;
    if (req.prefix !== undefined) {
      const ids = this.chat.promptIds(req.messages);
      for (const part of req.prefix.split(/(<\/?think>)/)) {
        if (part === THINK_OPEN && think) ids.push(think.open);
        else if (part === THINK_CLOSE && think) ids.push(think.close);
        else if (part) ids.push(...this.tokenizer.encode(part));
      }
      return ids;
    }
    // A model without think tokens is left to itself (as DeepSeek's API ignores thinking for a non-reasoner).
    const thinking = req.thinking === 'auto' || !think ? 'free' : req.thinking;
    return this.chat.promptIds(req.messages, thinking);
  }

  /** The prompt fits with room for the answer: max_tokens (or the default), at most half the context. */
  fitsContext(req: ChatRequest): boolean {
    const ctx = this.engine.contextLength;
    const reserve = Math.min(req.maxTokens ?? this.defaultMaxTokens, Math.floor(ctx / 2));
    return this.fewestTokens(req) + reserve <= ctx && this.promptIds(req).length + reserve <= ctx;
  }

  /**
   * A lower bound on the prompt's tokens without tokenising (bytes over the longest token): a
   * prompt far beyond the context is refused before it costs the event loop a tokenisation.
   */
  private fewestTokens(req: ChatRequest): number {
    let bytes = req.prefix !== undefined ? Buffer.byteLength(req.prefix) : 0;
    for (const m of req.messages) bytes += Buffer.byteLength(m.content);
    return Math.ceil(bytes / this.maxTokenBytes);
  }

  /** The prompt's ids; a 422 when it leaves the model no room to answer. */
  checkPrompt(req: ChatRequest): number[] {
    const ctx = this.engine.contextLength;
    const tooLong = (n: string) => unprocessable(`the prompt is ${n} tokens, but the model's context is ${ctx} tokens`, 'messages', 'context_length_exceeded');
    const least = this.fewestTokens(req);
    if (least >= ctx) throw tooLong(`at least ${least}`);
    const prompt = this.promptIds(req);
    if (prompt.length >= ctx) throw tooLong(String(prompt.length));
    return prompt;
  }

  async start(req: ChatRequest, signal: AbortSignal, emit: (ev: GenEvent) => void): Promise<Generation> {
    if (req.model !== this.modelId) throw notFound(`the model '${req.model}' does not exist; this server has '${this.modelId}'`, 'model', 'model_not_found');
    const tok = this.tokenizer;
    const prompt = this.checkPrompt(req);
    const ctx = this.engine.contextLength;
    const maxTokens = Math.min(req.maxTokens ?? this.defaultMaxTokens, ctx - prompt.length);

    // The reply starts inside a think block when the prompt opened one and did not close it:
    // thinking forced on, a prefix inside its reasoning, or a template that opens it (R1's).
    const think = this.chat.think;
    const inThink = opensThink(prompt, think);
    const parser = new ThinkStreamParser({ startsInThink: inThink });
    const decoder = new TextDecoder('utf-8');
    const stop = new StopMatcher(req.stop);
    let pendingLogprobs: LogprobEntry[] = [];
    const emitContent = (text: string) => {
      if (text === '' && pendingLogprobs.length === 0) return;
      const ev: GenEvent = { kind: 'content', text };
      if (req.logprobs) { ev.logprobs = pendingLogprobs; pendingLogprobs = []; }
      emit(ev);
    };
    const feed = (text: string) => {
      for (const ev of parser.feed(text)) {
        if (ev.type === 'reasoning') emit({ kind: 'reasoning', text: ev.text });
        else if (!stop.stopped) emitContent(stop.push(ev.text));
      }
    };
    const entry = (id: number, logprob: number): LogprobEntry['top_logprobs'][number] => {
      // The token's own text from its bytes (decode() of a lone SentencePiece token would drop its leading space).
      const bytes = tok.decodeBytes([id]);
      return { token: Buffer.from(bytes).toString('utf8'), logprob, bytes: Array.from(bytes) };
    };

    const onToken = (ev: TokenEvent): boolean | void => {
      const t = ev.token;
      if (this.chat.stopIds.includes(t)) return;
      // Logprobs are the answer's; with a prefix (the explorer continuing raw text) every token's.
      if (req.logprobs && (!ev.reasoning || req.prefix !== undefined)) {
        pendingLogprobs.push({ ...entry(t, ev.logprob), top_logprobs: (ev.top ?? []).map((x) => entry(x.token, x.logprob)) });
      }
      let text: string;
      if (think && (t === think.open || t === think.close)) text = decoder.decode() + (t === think.open ? THINK_OPEN : THINK_CLOSE);
      else if (tok.isSpecial(t)) text = ''; // other control tokens carry no text
      else text = decoder.decode(tok.decodeBytes([t]), { stream: true });
      feed(text);
      if (stop.stopped) return false;
    };

    let done: Promise<GenResult>;
    try {
      done = this.engine.submit({
        prompt, maxTokens, temperature: req.temperature ?? 1, topP: req.topP, seed: req.seed,
        stopTokens: this.chat.stopIds, thinkIds: think, vocabLimit: tok.vocabSize, topLogprobs: req.logprobs ? req.topLogprobs : 0,
        startsInThink: inThink, thinkingBudget: req.thinkingBudget,
        // Forced thinking must reason: </think> may not come first (as `ponder eval --mode on`).
        // Not for a prefix (the explorer shows the model's true distribution).
        banFirst: req.thinking === 'enabled' && req.prefix === undefined && think ? [think.close] : undefined,
        onToken, signal,
      }).then((r) => {
        if (!stop.stopped) {
          feed(decoder.decode());
          for (const ev of parser.finish()) {
            if (ev.type === 'reasoning') emit({ kind: 'reasoning', text: ev.text });
            else emitContent(stop.push(ev.text));
          }
          emitContent(stop.flush());
        }
        emitContent('');
        return {
          finish: r.finish, promptTokens: r.promptTokens, completionTokens: r.tokens.length,
          reasoningTokens: r.reasoningTokens, queueMs: r.queueMs,
        };
      });
    } catch (e) {
      if (e instanceof EngineOverloadedError) throw overloaded(e.message);
      if (e instanceof PonderError) throw unprocessable(e.message, 'messages');
      throw e;
    }
    return { done };
  }
}
