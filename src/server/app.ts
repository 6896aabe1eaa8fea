// The HTTP server: routing, bearer keys, rate limits, body limits, CORS, errors in OpenAI's
// shape, and one log line, request-log row and metrics sample per request. node:http only.
//
// Routes: POST /v1/chat/completions, GET /v1/models, GET /v1/models/{id}, POST /v1/moderations
// (src/moderation's handler), the product endpoints of docs/product-api.md (conversations,
// feedback, my data: product.ts's handlers), GET /healthz (no key), GET /metrics, and the web
// page's static files (web/dist, no key: the page sends the key with its API calls).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DB } from '../store/db.ts';
import { listKeys, resolveOwner } from '../store/keys.ts';
import { logRequest } from '../store/requests.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  deleteConversationHandler, deleteMeHandler, exportHandler, feedbackHandler, getConversationHandler, listConversationsHandler,
  type HttpResult,
} from './product.ts';
import { PonderError } from '../errors.ts';
import type { ChatBackend } from './backend.ts';
import { chatCompletion, type ChatContext, type ChatModeration } from './chat.ts';
import { handleModerations } from '../moderation/index.ts';
import { ApiError, badRequest, internalError, notFound, rateLimited, tooLarge, unauthorized } from './errors.ts';
import { createLogger, logRequestLine, newRequestId, requestLogger, type Logger } from './log.ts';
import { Metrics } from './metrics.ts';
import { RateLimiter } from './ratelimit.ts';
import { checkHost, checkJsonBody, checkOrigin } from './guard.ts';
import type { SearchProvider } from '../search/index.ts';

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

/** Where `npm run build` of web/ puts the page. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** A file of the web page, or null when the path is not one (no traversal out of the folder). */
function webFile(dir: string, path: string): { body: Buffer; type: string } | null {
  let rel: string;
  try {
    rel = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (rel === '/') rel = '/index.html';
  if (rel.includes('\0')) return null;
  const root = resolve(dir);
  const file = resolve(join(root, rel));
  if (!file.startsWith(root + sep)) return null;
  const type = CONTENT_TYPES[extname(file)];
  if (!type) return null;
  try {
    if (!statSync(file).isFile()) return null;
    return { body: readFileSync(file), type };
  } catch {
    return null;
  }
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

/** What `/` says when the page is not built: how to build it (not a bare 404). */
const PAGE_NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>ponder: the chat page is not built</title>
<p>The chat page is not built. Run <code>npm run build:web</code> (or start the server with <code>npm start</code>, which builds it), then reload.
<p>The API is at <a href="/v1/models">/v1</a>.`;

function isLoopbackAddress(addr: string | undefined): boolean {
  return !!addr && (addr === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(addr));
}

const ROUTES: Record<string, string[]> = {
  '/v1/chat/completions': ['POST'],
  '/v1/models': ['GET'],
  '/v1/moderations': ['POST'],
  '/v1/conversations': ['GET'],
  '/v1/feedback': ['POST'],
  '/v1/me/export': ['GET'],
  '/v1/me': ['DELETE'],
  '/healthz': ['GET'],
  '/metrics': ['GET'],
};

/** The route label for logs and metrics: a known path, /v1/models/{id}, or 'unknown' (bounded cardinality). */
function routeOf(path: string): string {
  if (Object.hasOwn(ROUTES, path)) return path;
  if (path.startsWith('/v1/models/')) return '/v1/models/{id}';
  if (path.startsWith('/v1/conversations/')) return '/v1/conversations/{id}';
  if (!path.startsWith('/v1/')) return 'web';
  return 'unknown';
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) { if (!res.writableEnded) res.end(); return; }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads the body up to max bytes. A larger body is read to its end (so the client sees our answer), then refused. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // A client that hangs up mid-upload is a client event, not a server error.
    const gone = () => reject(new ClientGone());
    req.on('aborted', gone);
    req.on('close', () => { if (!req.complete) gone(); });
    const declared = Number(req.headers['content-length']);
    const tooBig = () => tooLarge(`the request body is larger than this server's limit of ${max} bytes`);
    // Far beyond the limit, stop reading at once and close the connection.
    if (Number.isFinite(declared) && declared > max * 16) { reject(Object.assign(tooBig(), { closeConnection: true })); return; }
    const chunks: Buffer[] = [];
    let n = 0, over = false;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        over = true;
        chunks.length = 0;
        if (n > max * 16) { req.removeAllListeners('data'); reject(Object.assign(tooBig(), { closeConnection: true })); }
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => (over ? reject(tooBig()) : resolve(Buffer.concat(chunks))));
    req.on('error', (e) => (req.complete ? reject(e) : gone()));
  });
}

/** The client closed its connection before its request was complete. */
class ClientGone extends Error {
  override name = 'ClientGone';
  constructor() { super('the client closed the connection before its request was complete'); }
}

/** A path segment's percent-decoding; bad encoding is the client's error (400), not ours. */
function decodeSegment(path: string, prefix: string, what: string): string {
  try {
    return decodeURIComponent(path.slice(prefix.length));
  } catch {
    throw badRequest(`the ${what} in ${path.slice(0, 200)} is not valid URL encoding`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(buf: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    throw badRequest('the request body is not valid UTF-8');
  }
  if (text.trim() === '') throw badRequest('the request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
}

export async function startServer(opts: ServerOptions): Promise<PonderServer> {
  const host = opts.host ?? '127.0.0.1';
  const loopbackHost = isLoopbackHost(host);
  const requireKey = !loopbackHost || (opts.requireKey ?? false);
  const { db, backend } = opts;
  if (!loopbackHost && !listKeys(db).some((k) => k.revoked_at === null)) {
    throw new PonderError(`refusing to serve on ${host}, beyond loopback, with no API keys: create one with \`ponder keys create\` first`);
  }
  const log = opts.log ?? createLogger();
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const maxPromptChars = opts.maxPromptChars ?? 200_000;
  const limiter = new RateLimiter(opts.rateLimitPerMinute ?? 600, opts.rateBurst);
  const keepAliveMs = opts.keepAliveMs ?? 10_000;
  const flushMs = opts.flushMs ?? 100;
  const webDir = opts.webDir === undefined ? WEB_DIST : opts.webDir;
  const search = { localDb: opts.searchDb, web: opts.webSearch };
  let openStreams = 0;
  const metrics = new Metrics(() => ({ ...backend.stats(), streams: openStreams }));
  const inflight = new Set<AbortController>();
  let stopping = false;

  async function route(req: IncomingMessage, res: ServerResponse, ctx: Pick<ChatContext, 'requestId' | 'log' | 't0' | 'usage'> & { route: string; owner: ChatContext['owner'] | null; controller: AbortController }): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    checkHost(req, loopbackHost);
    if (opts.corsOrigin) {
      res.setHeader('access-control-allow-origin', opts.corsOrigin);
      res.setHeader('access-control-expose-headers', 'x-request-id, x-ponder-conversation-id, x-ponder-message-id');
      if (method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
          'access-control-allow-headers': 'authorization, content-type',
          'access-control-max-age': '600',
        });
        res.end();
        return;
      }
    }
    if (ctx.route === 'web') {
      const f = webDir && (method === 'GET' || method === 'HEAD') ? webFile(webDir, path) : null;
      if (!f && (path === '/' || path === '/index.html') && (method === 'GET' || method === 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
        res.end(method === 'HEAD' ? undefined : PAGE_NOT_BUILT);
        return;
      }
      if (!f) throw notFound(`no route ${method} ${path}`, null, 'unknown_route');
      res.writeHead(200, { 'content-type': f.type, 'content-length': f.body.length, 'x-content-type-options': 'nosniff',
        'cache-control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache' });
      res.end(method === 'HEAD' ? undefined : f.body);
      return;
    }
    if (ctx.route === 'unknown') throw notFound(`no route ${method} ${path}`, null, 'unknown_route');
    // HEAD is GET without the body (node:http drops the body of a HEAD response).
    const known = ROUTES[ctx.route] ?? (ctx.route === '/v1/models/{id}' ? ['GET'] : ['GET', 'DELETE']);
    const allowed = known.includes('GET') ? [...known, 'HEAD'] : known;
    if (!allowed.includes(method)) {
      throw new ApiError(405, `${path} accepts ${allowed.join(', ')}, not ${method}`, 'invalid_request_error', null, 'method_not_allowed', { Allow: allowed.join(', ') });
    }
    checkOrigin(req, opts.corsOrigin);
    if (method === 'POST') checkJsonBody(req);
    if (ctx.route === '/healthz') {
      // What the page may offer: the search toggles work only when the server has these.
      const features = { search: !!opts.searchDb && existsSync(opts.searchDb), web_search: !!opts.webSearch };
      sendJson(res, 200, { status: 'ok', backend: backend.kind, ...backend.stats(), features });
      return;
    }

    // Everything else needs an owner: a live key, or loopback without one when keys are optional.
    const auth = req.headers.authorization;
    let bearer: string | undefined;
    if (auth !== undefined && auth.trim() !== '') { // an empty header is no key at all
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (!m) throw unauthorized('the Authorization header must be "Bearer <key>"');
      bearer = m[1];
    }
    const keyless = !requireKey && isLoopbackAddress(req.socket.remoteAddress);
    const owner = resolveOwner(db, bearer, keyless);
    if (!owner) throw unauthorized(bearer === undefined ? 'an API key is required: send "Authorization: Bearer <key>"' : keyless ? 'the API key was revoked' : 'the API key is not valid (unknown or revoked)');
    ctx.owner = owner;
    const wait = limiter.take(owner.keyId ?? `addr:${req.socket.remoteAddress}`);
    if (wait > 0) throw rateLimited(`rate limit reached for this key; retry in ${Math.max(1, Math.ceil(wait))} s`, wait);

    if (ctx.route === '/metrics') {
      const text = metrics.render();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text);
      return;
    }
    if (ctx.route === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: await backend.listModels() });
      return;
    }
    if (ctx.route === '/v1/models/{id}') {
      const id = decodeSegment(path, '/v1/models/', 'model id');
      const m = (await backend.listModels()).find((x) => x.id === id);
      if (!m) throw notFound(`the model '${id}' does not exist`, 'model', 'model_not_found');
      sendJson(res, 200, m);
      return;
    }
    const product = (r: HttpResult) => sendJson(res, r.status, r.json);
    if (ctx.route === '/v1/conversations') return product(listConversationsHandler(db, owner.userId));
    if (ctx.route === '/v1/conversations/{id}') {
      const id = decodeSegment(path, '/v1/conversations/', 'conversation id');
      return product(method === 'DELETE' ? deleteConversationHandler(db, owner.userId, id) : getConversationHandler(db, owner.userId, id));
    }
    if (ctx.route === '/v1/feedback') return product(feedbackHandler(db, owner.userId, parseJson(await readBody(req, maxBody))));
    if (ctx.route === '/v1/me/export') return product(exportHandler(db, owner.userId));
    if (ctx.route === '/v1/me') {
      const r = deleteMeHandler(db, owner.userId);
      ctx.owner = null; // the user (and key) are gone: the request log row cannot name them
      return product(r);
    }
    if (ctx.route === '/v1/moderations') {
      const r = await handleModerations(parseJson(await readBody(req, maxBody)), opts.moderation?.moderator);
      sendJson(res, r.status, r.json);
      return;
    }
    // POST /v1/chat/completions
    const body = parseJson(await readBody(req, maxBody));
    await chatCompletion({
      req, res, body, owner, requestId: ctx.requestId, log: ctx.log, db, backend, metrics, maxPromptChars,
      keepAliveMs, flushMs, moderation: opts.moderation, search,
      signal: ctx.controller.signal, shuttingDown: () => stopping, t0: ctx.t0, usage: ctx.usage,
      onStreamOpen: (open) => { openStreams += open ? 1 : -1; },
    });
  }

  const headersTimeout = opts.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(headersTimeout, opts.requestTimeoutMs ?? 30_000);
  // Slow clients cannot hold a connection forever: headers and body have deadlines (Node checks
  // them every connectionsCheckingInterval). requestTimeout ends when the request is received;
  // the answer (a long generation) may take as long as it takes.
  const server = createServer({ headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1000, Math.max(50, headersTimeout / 4)) }, (req, res) => {
    const t0 = performance.now();
    const requestId = newRequestId();
    const rlog = requestLogger(log, requestId);
    res.setHeader('x-request-id', requestId);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const controller = new AbortController();
    inflight.add(controller);
    const ctx = { requestId, log: rlog, t0, usage: {} as ChatContext['usage'], route: routeOf(path), owner: null as ChatContext['owner'] | null, controller };
    // A client that goes away before the answer is complete cancels its generation at once.
    res.on('close', () => {
      inflight.delete(controller);
      if (!res.writableFinished) controller.abort();
      const latencyMs = performance.now() - t0;
      const status = res.writableFinished ? res.statusCode : 499; // 499: the client closed the request
      metrics.request(ctx.route, status, latencyMs / 1000);
      const u = ctx.usage;
      logRequestLine(log, { // the base logger: the line names request_id itself
        requestId, method: req.method ?? '', route: ctx.route, status, latencyMs, keyId: ctx.owner?.keyId, userId: ctx.owner?.userId,
        model: u.model, stream: u.stream, promptTokens: u.promptTokens, completionTokens: u.completionTokens, reasoningTokens: u.reasoningTokens,
        messages: u.messages, content: u.content, reasoningContent: u.reasoningContent,
      });
      try {
        logRequest(db, { id: requestId, userId: ctx.owner?.userId ?? null, keyId: ctx.owner?.keyId ?? null, route: ctx.route, status, latencyMs,
          promptTokens: u.promptTokens, completionTokens: u.completionTokens });
      } catch (e) {
        rlog.error({ err: e }, 'writing the request log failed');
      }
    });
    route(req, res, ctx).catch((e: unknown) => {
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
  });
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
  log.info({ host, port, backend: backend.kind, require_key: requireKey, cors: opts.corsOrigin ?? null }, 'serving');
  return {
    server, host, port, url: `http://${urlHost}:${port}`, metrics,
    close: async (co: CloseOptions = {}) => {
      stopping = true;
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
