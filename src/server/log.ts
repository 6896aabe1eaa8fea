// Structured logs: one JSON object per line (pino), each request line carrying its request id
// and latency. Message text (prompts, answers, reasoning, feedback) is removed from every line
// unless PONDER_LOG_CONTENT=1, so logs can be kept and shipped without holding users' words.
import { randomBytes } from 'node:crypto';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Keys whose values are user or model text; dropped at any depth unless content logging is on. */
export const CONTENT_KEYS: ReadonlySet<string> = new Set([
  'content', 'reasoning_content', 'messages', 'prompt', 'completion', 'text', 'input',
  'answer', 'answer_reasoning', 'rewrite', 'comment', 'chosen', 'rejected', 'body',
]);

export function contentLoggingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PONDER_LOG_CONTENT === '1';
}

/** A copy of obj without CONTENT_KEYS, at any depth (plain objects and arrays; depth-limited). */
export function stripContent(obj: Record<string, unknown>): Record<string, unknown> {
  return strip(obj, 0) as Record<string, unknown>;
}

function strip(v: unknown, depth: number): unknown {
  if (depth > 8 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => strip(x, depth + 1));
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v; // Errors, Dates, Buffers: pino serialises them
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!CONTENT_KEYS.has(k)) out[k] = strip(x, depth + 1);
  return out;
}

export interface LoggerOptions {
  /** Where lines go; default stdout. Tests pass an object with write(line). */
  destination?: DestinationStream;
  /** Default PONDER_LOG_LEVEL or 'info'. */
  level?: string;
  /** Keep message text in lines; default PONDER_LOG_CONTENT=1. */
  logContent?: boolean;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const logContent = opts.logContent ?? contentLoggingEnabled();
  const options = {
    level: opts.level ?? process.env.PONDER_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label: string) => ({ level: label }),
      ...(logContent ? {} : { log: stripContent, bindings: stripContent }),
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

export function newRequestId(): string {
  return `req_${randomBytes(12).toString('hex')}`;
}

/** A logger whose every line carries request_id. */
export function requestLogger(log: Logger, requestId: string): Logger {
  return log.child({ request_id: requestId });
}

export interface RequestLine {
  requestId: string;
  method: string;
  route: string;
  status: number;
  latencyMs: number;
  keyId?: string | null;
  userId?: string | null;
  model?: string;
  stream?: boolean;
  promptTokens?: number;
  completionTokens?: number;
  reasoningTokens?: number;
  /** The request's messages and the answer: logged only with content logging on. */
  messages?: unknown;
  content?: string;
  reasoningContent?: string;
}

/** The one line logged per finished request. */
export function logRequestLine(log: Logger, r: RequestLine): void {
  log.info({
    request_id: r.requestId,
    method: r.method,
    route: r.route,
    status: r.status,
    latency_ms: Math.round(r.latencyMs * 1000) / 1000,
    key_id: r.keyId ?? null,
    user_id: r.userId ?? null,
    model: r.model,
    stream: r.stream,
    // OpenAI usage names; bare 'prompt'/'completion' are content keys and would be stripped.
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    reasoning_tokens: r.reasoningTokens,
    messages: r.messages,
    content: r.content,
    reasoning_content: r.reasoningContent,
  }, 'request');
}
