// One request's way through the server: the Host check, CORS, the web page, the method, the key
// and the rate limit, then its route's handler. Every refusal is an ApiError (OpenAI's shape),
// thrown for app.ts to answer and log.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import type { DB } from '../store/db.ts';
import { resolveOwner } from '../store/keys.ts';
import {
  deleteConversationHandler, deleteMeHandler, exportHandler, feedbackHandler, getConversationHandler, listConversationsHandler,
  type HttpResult,
} from './product.ts';
import type { ChatBackend } from './backend.ts';
import { chatCompletion, type ChatContext, type ChatModeration } from './chat.ts';
import { handleModerations } from '../moderation/index.ts';
import { ApiError, notFound, rateLimited, unauthorized } from './errors.ts';
import type { Metrics } from './metrics.ts';
import type { RateLimiter } from './ratelimit.ts';
import { checkHost, checkJsonBody, checkOrigin } from './guard.ts';
import type { SearchProvider } from '../search/index.ts';
import { decodeSegment, parseJson, readBody, sendJson } from './http.ts';
import { serveWeb } from './static.ts';

/** What every request's routing reads: the server's settings and its shared state. */
export interface RouteEnv {
  db: DB;
  backend: ChatBackend;
  loopbackHost: boolean;
  requireKey: boolean;
  corsOrigin?: string;
  maxBody: number;
  maxPromptChars: number;
  limiter: RateLimiter;
  keepAliveMs: number;
  flushMs: number;
  webDir: string | null;
  moderation?: ChatModeration;
  searchDb?: string;
  webSearch?: SearchProvider;
  metrics: Metrics;
  /** Streams open now (a metric), and whether the server is shutting down. */
  state: { openStreams: number; stopping: boolean };
}

/** One request as routing sees it: ids and usage for its log line, its route label, owner and cancel switch. */
export type RequestCtx = Pick<ChatContext, 'requestId' | 'log' | 't0' | 'usage'> & {
  route: string;
  owner: ChatContext['owner'] | null;
  controller: AbortController;
};

type Owner = NonNullable<RequestCtx['owner']>;

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
export function routeOf(path: string): string {
  if (Object.hasOwn(ROUTES, path)) return path;
  if (path.startsWith('/v1/models/')) return '/v1/models/{id}';
  if (path.startsWith('/v1/conversations/')) return '/v1/conversations/{id}';
  if (!path.startsWith('/v1/')) return 'web';
  return 'unknown';
}

export async function route(req: IncomingMessage, res: ServerResponse, ctx: RequestCtx, env: RouteEnv): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const method = req.method ?? 'GET';
  checkHost(req, env.loopbackHost);
  if (corsPreflight(res, method, env.corsOrigin)) return;
  if (ctx.route === 'web') return serveWeb(res, method, path, env.webDir);
  if (ctx.route === 'unknown') throw notFound(`no route ${method} ${path}`, null, 'unknown_route');
  checkMethod(ctx.route, method, path);
  checkOrigin(req, env.corsOrigin);
  if (method === 'POST') checkJsonBody(req);
  if (ctx.route === '/healthz') {
    // What the page may offer: the search toggles work only when the server has these.
    const features = { search: !!env.searchDb && existsSync(env.searchDb), web_search: !!env.webSearch };
    sendJson(res, 200, { status: 'ok', backend: env.backend.kind, ...env.backend.stats(), features });
    return;
  }
  ctx.owner = authenticate(req, env);
  const wait = env.limiter.take(ctx.owner.keyId ?? `addr:${req.socket.remoteAddress}`);
  if (wait > 0) throw rateLimited(`rate limit reached for this key; retry in ${Math.max(1, Math.ceil(wait))} s`, wait);
  await dispatch(req, res, ctx, env, path, method, ctx.owner);
}

/** With CORS on, the headers every answer carries; true when this was a preflight, now answered. */
function corsPreflight(res: ServerResponse, method: string, corsOrigin: string | undefined): boolean {
  if (!corsOrigin) return false;
  res.setHeader('access-control-allow-origin', corsOrigin);
  res.setHeader('access-control-expose-headers', 'x-request-id, x-ponder-conversation-id, x-ponder-message-id');
  if (method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-max-age': '600',
  });
  res.end();
  return true;
}

/** A 405 naming the methods the route accepts. HEAD is GET without the body (node:http drops it). */
function checkMethod(route: string, method: string, path: string): void {
  const known = ROUTES[route] ?? (route === '/v1/models/{id}' ? ['GET'] : ['GET', 'DELETE']);
  const allowed = known.includes('GET') ? [...known, 'HEAD'] : known;
  if (!allowed.includes(method)) {
    throw new ApiError(405, `${path} accepts ${allowed.join(', ')}, not ${method}`, 'invalid_request_error', null, 'method_not_allowed', { Allow: allowed.join(', ') });
  }
}

/** The request's owner: a live key, or loopback without one when keys are optional. */
function authenticate(req: IncomingMessage, env: RouteEnv): Owner {
  const auth = req.headers.authorization;
  let bearer: string | undefined;
  if (auth !== undefined && auth.trim() !== '') { // an empty header is no key at all
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) throw unauthorized('the Authorization header must be "Bearer <key>"');
    bearer = m[1];
  }
  const keyless = !env.requireKey && isLoopbackAddress(req.socket.remoteAddress);
  const owner = resolveOwner(env.db, bearer, keyless);
  if (!owner) throw unauthorized(bearer === undefined ? 'an API key is required: send "Authorization: Bearer <key>"' : keyless ? 'the API key was revoked' : 'the API key is not valid (unknown or revoked)');
  return owner;
}

function isLoopbackAddress(addr: string | undefined): boolean {
  return !!addr && (addr === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(addr));
}

/** The handler of an authenticated request's route. */
async function dispatch(req: IncomingMessage, res: ServerResponse, ctx: RequestCtx, env: RouteEnv, path: string, method: string, owner: Owner): Promise<void> {
  const { db, backend } = env;
  const product = (r: HttpResult) => sendJson(res, r.status, r.json);
  const body = async () => parseJson(await readBody(req, env.maxBody));
  switch (ctx.route) {
    case '/metrics':
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(env.metrics.render());
      return;
    case '/v1/models':
      sendJson(res, 200, { object: 'list', data: await backend.listModels() });
      return;
    case '/v1/models/{id}': {
      const id = decodeSegment(path, '/v1/models/', 'model id');
      const m = (await backend.listModels()).find((x) => x.id === id);
      if (!m) throw notFound(`the model '${id}' does not exist`, 'model', 'model_not_found');
      sendJson(res, 200, m);
      return;
    }
    case '/v1/conversations': return product(listConversationsHandler(db, owner.userId));
    case '/v1/conversations/{id}': {
      const id = decodeSegment(path, '/v1/conversations/', 'conversation id');
      return product(method === 'DELETE' ? deleteConversationHandler(db, owner.userId, id) : getConversationHandler(db, owner.userId, id));
    }
    case '/v1/feedback': return product(feedbackHandler(db, owner.userId, await body()));
    case '/v1/me/export': return product(exportHandler(db, owner.userId));
    case '/v1/me': {
      const r = deleteMeHandler(db, owner.userId);
      ctx.owner = null; // the user (and key) are gone: the request log row cannot name them
      return product(r);
    }
    case '/v1/moderations': return product(await handleModerations(await body(), env.moderation?.moderator));
  }
  // POST /v1/chat/completions
  await chatCompletion({
    req, res, body: await body(), owner, requestId: ctx.requestId, log: ctx.log, db, backend, metrics: env.metrics,
    maxPromptChars: env.maxPromptChars, keepAliveMs: env.keepAliveMs, flushMs: env.flushMs, moderation: env.moderation,
    search: { localDb: env.searchDb, web: env.webSearch },
    signal: ctx.controller.signal, shuttingDown: () => env.state.stopping, t0: ctx.t0, usage: ctx.usage,
    onStreamOpen: (open) => { env.state.openStreams += open ? 1 : -1; },
  });
}
