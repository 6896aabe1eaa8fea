// POST /v1/moderations in OpenAI's shape, as a plain function the server mounts:
//   request  { "input": string | string[] | [{ "type": "text", "text": string }], "model"? }
//   response { "id", "model", "results": [{ "flagged", "categories", "category_scores",
//              "category_applied_input_types", "ponder_rule"? }] }
// The endpoint always classifies with every category on (it answers "what would be flagged"), so
// PONDER_MODERATION=off, which turns off filtering of chats, does not change it.
import { randomBytes } from 'node:crypto';
import { PonderError } from '../errors.ts';
import { defaultModerator, type Moderator } from './moderate.ts';
import { DEFAULT_POLICY } from './policy.ts';
import { moderateSliced } from './slices.ts';

export const MODERATION_MODEL = 'ponder-moderation-1';
const MAX_INPUTS = 32;
const MAX_CHARS = 32_000;

export interface HttpResult {
  status: number;
  json: unknown;
}

function badRequest(message: string, param: string | null = 'input'): HttpResult {
  return { status: 400, json: { error: { message, type: 'invalid_request_error', param, code: null } } };
}

function inputs(body: unknown): string[] | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the request body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (b.model !== undefined && typeof b.model !== 'string') return "'model' must be a string";
  const input = b.input;
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) return "'input' is required: a string, an array of strings, or an array of {\"type\": \"text\", \"text\"} parts";
  if (input.length === 0) return "'input' must not be empty";
  if (input.length > MAX_INPUTS) return `'input' holds ${input.length} items; at most ${MAX_INPUTS}`;
  const out: string[] = [];
  for (const [i, x] of input.entries()) {
    if (typeof x === 'string') out.push(x);
    else if (typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'text' && typeof (x as { text?: unknown }).text === 'string') out.push((x as { text: string }).text);
    else return `'input[${i}]' must be a string or {"type": "text", "text": string} (only text is moderated here)`;
  }
  return out;
}

/** Long inputs are judged in slices with the event loop free in between (slices.ts). */
export async function handleModerations(body: unknown, moderator?: Moderator): Promise<HttpResult> {
  const texts = inputs(body);
  if (typeof texts === 'string') return badRequest(texts, typeof body === 'object' && body !== null && 'model' in body && typeof (body as { model: unknown }).model !== 'string' ? 'model' : 'input');
  const long = texts.findIndex((t) => t.length > MAX_CHARS);
  if (long >= 0) return badRequest(`'input[${long}]' has ${texts[long].length} characters; at most ${MAX_CHARS}`);
  let m: Moderator;
  try {
    m = moderator ?? defaultModerator();
  } catch (e) {
    if (e instanceof PonderError) return { status: 500, json: { error: { message: e.message, type: 'server_error', param: null, code: null } } };
    throw e;
  }
  const results = (await moderateSliced(m, texts, DEFAULT_POLICY)).map((r) => ({
    flagged: r.flagged,
    categories: r.categories,
    category_scores: r.scores,
    category_applied_input_types: Object.fromEntries(Object.keys(r.categories).map((c) => [c, ['text']])),
    ...(r.rule ? { ponder_rule: { category: r.rule.category, rule: r.rule.rule } } : {}),
  }));
  return { status: 200, json: { id: `modr-${randomBytes(12).toString('hex')}`, model: MODERATION_MODEL, results } };
}
