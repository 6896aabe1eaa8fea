// The HTTP server: its settings, the life of each request (an id; errors answered in OpenAI's
// shape; one log line, request-log row and metrics sample), listening and a graceful close.
// node:http only. Routing, keys, rate limits and CORS are in routes.ts, bodies in http.ts, the
// web page's files in static.ts.
//
// Routes: POST /v1/chat/completions, GET /v1/models, GET /v1/models/{id}, POST /v1/moderations
// (src/moderation's handler), the product endpoints of docs/product-api.md (conversations,
// feedback, my data: product.ts's handlers), GET /healthz (no key), GET /metrics, and the web
// page's static files (web/dist, no key: the page sends the key with its API calls).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DB } from '../store/db.ts';
import { listKeys } from '../store/keys.ts';
import { logRequest } from '../store/requests.ts';
import { PonderError } from '../errors.ts';
import type { ChatBackend } from './backend.ts';
import type { ChatModeration } from './chat.ts';
import { ApiError, internalError } from './errors.ts';
import { createLogger, logRequestLine, newRequestId, requestLogger, type Logger } from './log.ts';
import { Metrics } from './metrics.ts';
import { RateLimiter } from './ratelimit.ts';
import type { SearchProvider } from '../search/index.ts';
import { ClientGone, sendJson } from './http.ts';
import { route, routeOf, type RequestCtx, type RouteEnv } from './routes.ts';
import { WEB_DIST } from './static.ts';

export { WEB_DIST };

export interface ServerOptions {
  backend: ChatBackend;
  db: DB;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  log?: Logger;
  /** Require a bearer key on every request. Default: when the host is not loopback (then it cannot be turned off). */
  requireKey?: boolean;
  /** Allowed CORS origin ('*' or one origin); CORS is off without it. */
  corsOrigin?: string;
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Largest prompt in characters over all messages (default 200,000). */
  maxPromptChars?: number;
  /** Requests per minute per key (or per address without a key); 0 turns limits off. Default 600. */
  rateLimitPerMinute?: number;
  rateBurst?: number;
  /** Milliseconds between `: keep-alive` comments on a quiet stream (default 10,000). */
  keepAliveMs?: number;
  /** Milliseconds between writes of a streamed message to the database (default 100). */
  flushMs?: number;
  /** Filter chat input and output (finish_reason content_filter); off without it. */
  moderation?: ChatModeration;
  /** The local search index for chat requests with `search: true`. */
  searchDb?: string;
  /** The web search provider for chat requests with `web_search: true` (`--web-search URL`). */
  webSearch?: SearchProvider;
  /** The built web page to serve at / (default web/dist when it exists; null: none). */
  webDir?: string | null;
  /** Milliseconds a client has to send its request headers (default 10,000). */
  headersTimeoutMs?: number;
  /** Milliseconds a client has to send its whole request, body included (default 30,000); the answer may take longer. */
  requestTimeoutMs?: number;
}

/** How `close` treats requests still running. */
export interface CloseOptions {
  /** Milliseconds the requests in flight get to finish before they are stopped (default 0). */
  graceMs?: number;
}

export interface PonderServer {
  server: Server;
  url: string;
  host: string;
  port: number;
  metrics: Metrics;
  /**
   * Stops accepting connections, lets requests in flight finish for graceMs, then stops their
   * generations: open streams end with an error event and [DONE], their messages stay partial.
   */
  close(opts?: CloseOptions): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startServer(opts: ServerOptions): Promise<PonderServer> {
  const host = opts.host ?? '127.0.0.1';
  const env = routeEnv(opts, host);
  const log = opts.log ?? createLogger();
  const inflight = new Set<AbortController>();
  const headersTimeout = opts.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(headersTimeout, opts.requestTimeoutMs ?? 30_000);
  // Slow clients cannot hold a connection forever: headers and body have deadlines (Node checks
  // them every connectionsCheckingInterval). requestTimeout ends when the request is received;
  // the answer (a long generation) may take as long as it takes.
  const server = createServer({ headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1000, Math.max(50, headersTimeout / 4)) },
    (req, res) => serveRequest(req, res, env, log, inflight));
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new PonderError(`cannot listen on ${host}:${opts.port ?? 8000}: ${e.code ?? e.message}`)));
    server.listen(opts.port ?? 8000, host, () => resolve());
  });
  /** Waits until no request is in flight, or ms have passed. */
  async function drained(ms: number): Promise<void> {
    const until = performance.now() + ms;
    while (inflight.size > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  log.info({ host, port, backend: env.backend.kind, require_key: env.requireKey, cors: opts.corsOrigin ?? null }, 'serving');
  return {
    server, host, port, url: `http://${urlHost}:${port}`, metrics: env.metrics,
    close: async (co: CloseOptions = {}) => {
      env.state.stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await drained(co.graceMs ?? 0);
      for (const c of inflight) c.abort(); // open streams end with an error event and [DONE]
      await drained(2000); // their last writes go out
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The settings every request reads, with their defaults; refuses a public host without keys. */
function routeEnv(opts: ServerOptions, host: string): RouteEnv {
  const loopbackHost = isLoopbackHost(host);
  const { db, backend } = opts;
  if (!loopbackHost && !listKeys(db).some((k) => k.revoked_at === null)) {
    throw new PonderError(`refusing to serve on ${host}, beyond loopback, with no API keys: create one with \`ponder keys create\` first`);
  }
  const state = { openStreams: 0, stopping: false };
  return {
    db, backend, loopbackHost, state,
    requireKey: !loopbackHost || (opts.requireKey ?? false),
    corsOrigin: opts.corsOrigin,
    maxBody: opts.maxBodyBytes ?? 1 << 20,
    maxPromptChars: opts.maxPromptChars ?? 200_000,
    limiter: new RateLimiter(opts.rateLimitPerMinute ?? 600, opts.rateBurst),
    keepAliveMs: opts.keepAliveMs ?? 10_000,
    flushMs: opts.flushMs ?? 100,
    webDir: opts.webDir === undefined ? WEB_DIST : opts.webDir,
    moderation: opts.moderation, searchDb: opts.searchDb, webSearch: opts.webSearch,
    metrics: new Metrics(() => ({ ...backend.stats(), streams: state.openStreams })),
  };
}

/** One request from arrival to its log line: an id, routing, an error answer in OpenAI's shape, and on close the log line, request-log row and metrics sample. */
function serveRequest(req: IncomingMessage, res: ServerResponse, env: RouteEnv, log: Logger, inflight: Set<AbortController>): void {
  const t0 = performance.now();
  const requestId = newRequestId();
  const rlog = requestLogger(log, requestId);
  res.setHeader('x-request-id', requestId);
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const controller = new AbortController();
  inflight.add(controller);
  const ctx: RequestCtx = { requestId, log: rlog, t0, usage: {} as RequestCtx['usage'], route: routeOf(path), owner: null, controller };
  // A client that goes away before the answer is complete cancels its generation at once.
  res.on('close', () => {
    inflight.delete(controller);
    if (!res.writableFinished) controller.abort();
    const latencyMs = performance.now() - t0;
    const status = res.writableFinished ? res.statusCode : 499; // 499: the client closed the request
    env.metrics.request(ctx.route, status, latencyMs / 1000);
    const u = ctx.usage;
    logRequestLine(log, { // the base logger: the line names request_id itself
      requestId, method: req.method ?? '', route: ctx.route, status, latencyMs, keyId: ctx.owner?.keyId, userId: ctx.owner?.userId,
      model: u.model, stream: u.stream, promptTokens: u.promptTokens, completionTokens: u.completionTokens, reasoningTokens: u.reasoningTokens,
      messages: u.messages, content: u.content, reasoningContent: u.reasoningContent,
    });
    try {
      logRequest(env.db, { id: requestId, userId: ctx.owner?.userId ?? null, keyId: ctx.owner?.keyId ?? null, route: ctx.route, status, latencyMs,
        promptTokens: u.promptTokens, completionTokens: u.completionTokens });
    } catch (e) {
      rlog.error({ err: e }, 'writing the request log failed');
    }
  });
  route(req, res, ctx, env).catch((e: unknown) => {
    if (e instanceof ClientGone) {
      rlog.info({ event: 'client_aborted' }, e.message);
      if (!res.destroyed) res.destroy();
      return;
    }
    let err: ApiError;
    if (e instanceof ApiError) err = e;
    else {
      rlog.error({ err: e }, 'request failed');
      err = internalError(requestId);
    }
    if ((e as { closeConnection?: boolean }).closeConnection) res.setHeader('connection', 'close');
    if (res.headersSent) { if (!res.writableEnded) res.end(); return; }
    sendJson(res, err.status, err.body(), err.headers);
    if ((e as { closeConnection?: boolean }).closeConnection) res.on('finish', () => req.destroy());
  });
}
