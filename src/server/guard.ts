// Checks that keep a browser from being turned against a local server. A web page the user opens
// can make the browser send requests to 127.0.0.1; the same-origin policy stops it reading the
// answers unless (a) it rebinds its own DNS name to 127.0.0.1 (its requests then carry
// `Host: attacker.example`), or (b) it only needs to write (a "simple" cross-site POST with a
// text/plain body). So: a loopback server answers only to loopback host names, requests from
// another origin are refused unless --cors-origin allows them, and request bodies must be
// declared application/json (which a simple cross-site form or fetch cannot send).
import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.ts';

/** The host name of a Host header ("127.0.0.1:8000" -> "127.0.0.1", "[::1]:80" -> "::1"). */
export function hostName(host: string): string {
  const m = /^\[([^\]]*)\](?::\d*)?$/.exec(host);
  if (m) return m[1].toLowerCase();
  return host.replace(/:\d*$/, '').toLowerCase();
}

export function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

const forbidden = (message: string, code: string) => new ApiError(403, message, 'permission_error', null, code);

/** A loopback server answers only requests addressed to a loopback name (DNS rebinding). */
export function checkHost(req: IncomingMessage, loopbackServer: boolean): void {
  if (!loopbackServer) return; // beyond loopback every request needs a key, which a rebinding page does not have
  const host = req.headers.host ?? '';
  if (!isLoopbackName(hostName(host))) {
    throw forbidden(`this server answers on loopback only; the Host header '${host.slice(0, 100)}' is not a loopback name`, 'host_not_allowed');
  }
}

/** Browser requests from another origin are refused unless --cors-origin names it (or is '*'). */
export function checkOrigin(req: IncomingMessage, corsOrigin: string | undefined): void {
  const origin = req.headers.origin;
  if (origin === undefined) return; // not sent by a browser's cross-origin machinery
  if (corsOrigin === '*' || origin === corsOrigin) return;
  let same = false;
  try {
    const o = new URL(origin);
    same = (o.protocol === 'http:' || o.protocol === 'https:') && o.host === (req.headers.host ?? '').toLowerCase();
  } catch { /* "null" and other opaque origins are never the same origin */ }
  if (!same) throw forbidden(`requests from the origin '${origin.slice(0, 100)}' are not allowed (start the server with --cors-origin to allow one)`, 'origin_not_allowed');
}

/** A request body must be declared JSON: a text/plain one is what a cross-site simple request sends. */
export function checkJsonBody(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ApiError(415, `the request body must be sent as 'content-type: application/json'${type ? `, not '${type}'` : ' (the header is missing)'}`, 'invalid_request_error', null, 'unsupported_media_type');
  }
}
