// The response of a chat completion, streamed or not. Streamed (SSE): a role chunk carrying
// ponder's extra fields (where the exchange is stored, citations, search errors), delta chunks of
// reasoning_content and content, a chunk with finish_reason, the usage chunk when asked, then
// `data: [DONE]`; `: keep-alive` comments while nothing else goes out. Not streamed: one JSON
// object at the end. The stream always ends with [DONE], also on an error or a shutdown.
import type { ServerResponse } from 'node:http';
import { newId } from '../store/ids.ts';
import type { GenEvent, LogprobEntry } from './backend.ts';
import type { ApiError } from './errors.ts';
import type { ChatRequest } from './validate.ts';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details: { reasoning_tokens: number };
}

/** What the reply ends with. A filtered answer is withheld from a non-streamed reply. */
export interface FinalAnswer {
  finish: string;
  content: string;
  reasoning: string | null;
  logprobs: LogprobEntry[];
  filtered: boolean;
  usage: Usage;
  /** Fields beside choices on the last chunk or the response (`moderation`). */
  more: Record<string, unknown>;
}

export class ChatReply {
  readonly id = `chatcmpl-${newId('c').slice(2)}`;
  private readonly created = Math.floor(Date.now() / 1000);
  private extra: Record<string, unknown> = {};
  private lastWrite = performance.now();
  private keepAlive: NodeJS.Timeout | null = null;
  private streaming = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly creq: ChatRequest,
    private readonly keepAliveMs: number,
    private readonly onStreamOpen: (open: boolean) => void,
  ) {}

  /** Starts the reply: headers, and for a stream the role chunk with the extra fields. */
  open(headers: Record<string, string>, extra: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(headers)) this.res.setHeader(k, v);
    this.extra = extra;
    if (!this.creq.stream) return;
    this.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    this.streaming = true;
    this.onStreamOpen(true);
    this.send(this.chunk({ role: 'assistant', content: '' }, null, undefined, extra));
    this.keepAlive = setInterval(() => {
      if (performance.now() - this.lastWrite >= this.keepAliveMs * 0.9 && this.writable()) { this.res.write(': keep-alive\n\n'); this.lastWrite = performance.now(); }
    }, this.keepAliveMs);
  }

  /** A piece of reasoning or answer (streams only; a JSON reply is written at the end). */
  delta(ev: GenEvent): void {
    if (!this.streaming) return;
    if (ev.kind === 'reasoning') this.send(this.chunk({ reasoning_content: ev.text }, null));
    else this.send(this.chunk({ content: ev.text }, null, ev.logprobs));
  }

  end(a: FinalAnswer): void {
    this.stopKeepAlive();
    if (this.streaming) {
      this.send(this.chunk({}, a.finish, undefined, a.more));
      if (this.creq.includeUsage) this.send({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.creq.model, system_fingerprint: null, choices: [], usage: a.usage });
      this.close();
      return;
    }
    const body = {
      id: this.id, object: 'chat.completion', created: this.created, model: this.creq.model, system_fingerprint: null,
      choices: [{
        index: 0,
        // A filtered answer is withheld (it is kept in the store, status 'filtered', for review).
        message: { role: 'assistant', content: a.filtered ? '' : a.content, reasoning_content: a.filtered ? null : a.reasoning, refusal: null },
        logprobs: this.creq.logprobs && !a.filtered ? { content: a.logprobs, refusal: null } : null,
        finish_reason: a.finish,
      }],
      usage: a.usage,
      ...this.extra,
      ...a.more,
    };
    const text = JSON.stringify(body);
    this.res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    this.res.end(text);
  }

  /** Whether the error can still go out as an HTTP status (nothing has been written yet). */
  get started(): boolean {
    return this.res.headersSent;
  }

  /** An error after the stream started: an error event, then [DONE]. */
  failMidStream(err: ApiError): void {
    this.stopKeepAlive();
    this.send(err.body());
    this.close();
  }

  /** The client went away: nothing more can be said. */
  drop(): void {
    this.stopKeepAlive();
    if (this.streaming) { this.streaming = false; this.onStreamOpen(false); }
    if (this.writable()) this.res.destroy();
  }

  private writable(): boolean {
    return !this.res.writableEnded && !this.res.destroyed;
  }

  private close(): void {
    if (this.writable()) this.res.end('data: [DONE]\n\n');
    if (this.streaming) { this.streaming = false; this.onStreamOpen(false); }
  }

  private stopKeepAlive(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }

  private send(obj: unknown): void {
    if (!this.writable()) return;
    this.res.write(`data: ${JSON.stringify(obj)}\n\n`);
    this.lastWrite = performance.now();
  }

  private chunk(delta: Record<string, unknown>, finish: string | null, lp?: LogprobEntry[], more: Record<string, unknown> = {}) {
    return {
      id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.creq.model, system_fingerprint: null,
      choices: [{ index: 0, delta, logprobs: this.creq.logprobs && lp ? { content: lp, refusal: null } : null, finish_reason: finish }],
      ...(this.creq.includeUsage ? { usage: null } : {}),
      ...more,
    };
  }
}
