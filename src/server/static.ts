// The web page's static files (web/dist), served without a key: the page sends the key with its
// API calls. No path leaves the folder; a page that is not built says how to build it.
import type { ServerResponse } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notFound } from './errors.ts';

/** Where `npm run build` of web/ puts the page. */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** A file of the web page, or null when the path is not one (no traversal out of the folder). */
export function webFile(dir: string, path: string): { body: Buffer; type: string } | null {
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

/** What `/` says when the page is not built: how to build it (not a bare 404). */
const PAGE_NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>ponder: the chat page is not built</title>
<p>The chat page is not built. Run <code>npm run build:web</code> (or start the server with <code>npm start</code>, which builds it), then reload.
<p>The API is at <a href="/v1/models">/v1</a>.`;

/** Answers a request for the page: its file, the not-built page at /, or a 404 naming the route. */
export function serveWeb(res: ServerResponse, method: string, path: string, webDir: string | null): void {
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
}
