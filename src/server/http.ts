// HTTP plumbing of the server: JSON replies, request bodies read within a limit, UTF-8 JSON
// parsing and percent-decoded path segments, each failing with the client's error (4xx).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, tooLarge } from './errors.ts';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) { if (!res.writableEnded) res.end(); return; }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads the body up to max bytes. A larger body is read to its end (so the client sees our answer), then refused. */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
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
export class ClientGone extends Error {
  override name = 'ClientGone';
  constructor() { super('the client closed the connection before its request was complete'); }
}

/** A path segment's percent-decoding; bad encoding is the client's error (400), not ours. */
export function decodeSegment(path: string, prefix: string, what: string): string {
  try {
    return decodeURIComponent(path.slice(prefix.length));
  } catch {
    throw badRequest(`the ${what} in ${path.slice(0, 200)} is not valid URL encoding`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A request body as JSON: invalid UTF-8, an empty body and invalid JSON are each a 400 saying which. */
export function parseJson(buf: Buffer): unknown {
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
