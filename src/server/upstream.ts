// The upstream backend: forwards chat completions to any OpenAI-compatible server (llama.cpp's
// server, vLLM, Ollama, DeepSeek's API, another ponder) and normalises its reasoning into ours.
// Servers report reasoning in one of three ways: DeepSeek's `reasoning_content`, vLLM's and
// Ollama's `reasoning`, or `<think>` tags inside `content`. All three become reasoning events;
// content goes through the one think parser. The upstream is always asked to stream, so a
// streaming and a non-streaming client take the same path.
import { ThinkStreamParser } from '../infer/think.ts';
import type { ChatBackend, GenEvent, GenFinish, GenResult, Generation, LogprobEntry, ModelCard } from './backend.ts';
import { ApiError, upstreamError } from './errors.ts';
import type { ChatRequest } from './validate.ts';

export interface UpstreamOptions {
  /** Base URL including the version path, e.g. http://127.0.0.1:8080/v1 */
  url: string;
  apiKey?: string;
}

export class UpstreamBackend implements ChatBackend {
  readonly kind = 'upstream' as const;
  private readonly base: string;
  private active = 0;

  constructor(private readonly opts: UpstreamOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new ApiError(500, `upstream URL '${opts.url}' is not a URL`, 'server_error');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ApiError(500, `upstream URL '${opts.url}' must be http or https`, 'server_error');
    this.base = opts.url.replace(/\/+$/, '');
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (this.opts.apiKey) h.authorization = `Bearer ${this.opts.apiKey}`;
    return h;
  }

  stats() {
    return { queueDepth: 0, active: this.active };
  }

  async listModels(): Promise<ModelCard[]> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/models`, { headers: this.headers(), signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      throw upstreamError(`cannot reach the upstream server at ${this.base}: ${(e as Error).message}`);
    }
    if (!res.ok) throw await upstreamFailure(res);
    const body = await res.json().catch(() => null) as { data?: unknown } | null;
    if (!body || !Array.isArray(body.data)) throw upstreamError('the upstream /models answer has no data list');
    return body.data.filter((m): m is { id: string } => typeof m?.id === 'string').map((m) => ({
      id: m.id, object: 'model' as const, created: Number((m as { created?: number }).created) || 0,
      owned_by: String((m as { owned_by?: string }).owned_by ?? 'upstream'),
    }));
  }

  async start(req: ChatRequest, signal: AbortSignal, emit: (ev: GenEvent) => void): Promise<Generation> {
    // The upstream sees the context as we would use it: earlier reasoning is not sent back
    // (DeepSeek's API refuses it), and ponder's own extensions travel only when set.
    const body: Record<string, unknown> = {
      model: req.model,
      messages: [...req.messages.map((m) => ({ role: m.role, content: m.content })),
        ...(req.prefix !== undefined ? [{ role: 'assistant', content: req.prefix, prefix: true }] : [])],
      stream: true,
      stream_options: { include_usage: true },
    };
    if (req.maxTokens !== undefined) body.max_tokens = req.maxTokens;
    if (req.temperature !== undefined) body.temperature = req.temperature;
    if (req.topP !== undefined) body.top_p = req.topP;
    if (req.seed !== undefined) body.seed = req.seed;
    if (req.stop.length) body.stop = req.stop;
    if (req.logprobs) { body.logprobs = true; if (req.topLogprobs) body.top_logprobs = req.topLogprobs; }
    if (req.thinking !== 'auto' || req.thinkingBudget !== undefined) {
      body.thinking = { type: req.thinking, ...(req.thinkingBudget !== undefined ? { budget_tokens: req.thinkingBudget } : {}) };
    }
    let res: Response;
    try {
      res = await fetch(`${this.base}/chat/completions`, { method: 'POST', headers: this.headers(), body: JSON.stringify(body), signal });
    } catch (e) {
      if (signal.aborted) throw upstreamError('the request was cancelled');
      throw upstreamError(`cannot reach the upstream server at ${this.base}: ${(e as Error).message}`);
    }
    if (!res.ok) throw await upstreamFailure(res);
    if (!res.body) throw upstreamError('the upstream answered without a body');
    this.active++;
    const done = this.consume(res, signal, emit).finally(() => { this.active--; });
    return { done };
  }

  private async consume(res: Response, signal: AbortSignal, emit: (ev: GenEvent) => void): Promise<GenResult> {
    const norm = new ReasoningNormaliser(emit);
    const isSse = (res.headers.get('content-type') ?? '').includes('text/event-stream');
    let finish: GenFinish | null = null;
    let usage: Record<string, unknown> | null = null;
    let completionChunks = 0;
    const take = (chunk: Record<string, unknown>) => {
      if (chunk.usage && typeof chunk.usage === 'object') usage = chunk.usage as Record<string, unknown>;
      const choice = Array.isArray(chunk.choices) ? chunk.choices[0] as Record<string, unknown> | undefined : undefined;
      if (!choice) return;
      const d = (choice.delta ?? choice.message ?? {}) as Record<string, unknown>;
      const lp = (choice.logprobs as { content?: LogprobEntry[] } | null)?.content ?? undefined;
      if (typeof d.content === 'string' || typeof d.reasoning_content === 'string' || typeof d.reasoning === 'string') completionChunks++;
      norm.take(d, lp);
      if (typeof choice.finish_reason === 'string') finish = normaliseFinish(choice.finish_reason);
    };
    try {
      if (isSse) {
        for await (const data of sseData(res.body!)) {
          if (data === '[DONE]') break;
          let chunk: unknown;
          try { chunk = JSON.parse(data); } catch { throw upstreamError('the upstream sent an event that is not JSON'); }
          if (chunk && typeof chunk === 'object') {
            const err = (chunk as { error?: { message?: string } }).error;
            if (err) throw upstreamError(`the upstream failed mid-stream: ${err.message ?? 'unknown error'}`);
            take(chunk as Record<string, unknown>);
          }
        }
      } else {
        // A server that ignored stream: true answers with one JSON completion.
        take(await res.json() as Record<string, unknown>);
      }
    } catch (e) {
      if (signal.aborted) return { finish: 'cancelled', promptTokens: 0, completionTokens: completionChunks, reasoningTokens: 0 };
      throw e instanceof ApiError ? e : upstreamError(`reading the upstream answer failed: ${(e as Error).message}`);
    }
    norm.finish();
    const u = (usage ?? {}) as { prompt_tokens?: number; completion_tokens?: number; completion_tokens_details?: { reasoning_tokens?: number } };
    return {
      finish: signal.aborted ? 'cancelled' : finish ?? 'stop',
      promptTokens: u.prompt_tokens ?? 0,
      completionTokens: u.completion_tokens ?? completionChunks,
      reasoningTokens: u.completion_tokens_details?.reasoning_tokens ?? 0,
    };
  }
}

/** Turns upstream deltas (reasoning fields or <think> tags in content) into reasoning/content events. */
export class ReasoningNormaliser {
  private readonly parser = new ThinkStreamParser();

  constructor(private readonly emit: (ev: GenEvent) => void) {}

  take(delta: Record<string, unknown>, logprobs?: LogprobEntry[]): void {
    const r = typeof delta.reasoning_content === 'string' ? delta.reasoning_content : typeof delta.reasoning === 'string' ? delta.reasoning : '';
    if (r) this.emit({ kind: 'reasoning', text: r });
    let pending = logprobs;
    if (typeof delta.content === 'string' && delta.content) {
      for (const ev of this.parser.feed(delta.content)) {
        if (ev.type === 'reasoning') this.emit({ kind: 'reasoning', text: ev.text });
        else { this.emit({ kind: 'content', text: ev.text, ...(pending ? { logprobs: pending } : {}) }); pending = undefined; }
      }
    }
    if (pending && pending.length) this.emit({ kind: 'content', text: '', logprobs: pending });
  }

  finish(): void {
    for (const ev of this.parser.finish()) this.emit({ kind: ev.type, text: ev.text });
  }
}

function normaliseFinish(f: string): GenFinish {
  return f === 'length' ? 'length' : f === 'content_filter' ? 'content_filter' : 'stop';
}

/** The data fields of a server-sent event stream, one per event. */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = '';
  let data: string[] = [];
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (line === '') {
        if (data.length) { yield data.join('\n'); data = []; }
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      } // comments (": keep-alive") and other fields are skipped
    }
  }
  if (data.length) yield data.join('\n');
}

/** An upstream error answer as ours: its 4xx passed through with its message, anything else 502. */
async function upstreamFailure(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let msg = text.slice(0, 500);
  let type = 'upstream_error', param: string | null = null, code: string | null = null;
  try {
    const e = (JSON.parse(text) as { error?: { message?: string; type?: string; param?: string; code?: string } }).error;
    if (e?.message) { msg = e.message; type = e.type ?? type; param = e.param ?? null; code = e.code ?? null; }
  } catch { /* not JSON: keep the text */ }
  if (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 403) return new ApiError(res.status, msg, type, param, code);
  // The upstream's key problems are the operator's, not the client's: 502, not 401.
  return upstreamError(`the upstream server answered ${res.status}: ${msg}`);
}
