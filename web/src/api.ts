// The page's client for ponder's API: OpenAI chat completions (streamed as server-sent events)
// and the product endpoints in docs/product-api.md.
export interface Settings {
  model: string;
  temperature: number;
  thinkingBudget: number;
  search: boolean;
  webSearch: boolean;
  apiKey: string;
}

const SETTINGS_KEY = 'ponder.settings';
export const DEFAULT_SETTINGS: Settings = { model: 'ponder-assistant', temperature: 0.7, thinkingBudget: 512, search: false, webSearch: false, apiKey: '' };

export function loadSettings(): Settings {
  try {
    return { ...DEFAULT_SETTINGS, ...JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function saveSettings(s: Settings): void {
  localStorage.setItem(SETTINGS_KEY, JSON.stringify(s));
}

function headers(s: Settings): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json' };
  if (s.apiKey) h.authorization = `Bearer ${s.apiKey}`;
  return h;
}

export class ApiError extends Error {}

async function check(res: Response): Promise<Response> {
  if (res.ok) return res;
  let msg = `HTTP ${res.status}`;
  try { msg = (await res.json()).error?.message ?? msg; } catch { /* not JSON */ }
  throw new ApiError(msg);
}

export async function api<T>(s: Settings, method: string, path: string, body?: unknown): Promise<T> {
  const res = await check(await fetch(path, { method, headers: headers(s), body: body === undefined ? undefined : JSON.stringify(body) }));
  return res.json() as Promise<T>;
}

/**
 * The model to ask: the saved one when the server serves it, else the first the server lists
 * (so the page follows whatever model `ponder serve --model` loaded).
 */
export async function servedModel(s: Settings): Promise<string> {
  const ids = await servedModels(s);
  return ids.length === 0 || ids.includes(s.model) ? s.model : ids[0];
}

/** The ids /v1/models lists; empty when it cannot be read (the server's own error shows on the first request). */
export async function servedModels(s: Settings): Promise<string[]> {
  try {
    return (await api<{ data: { id: string }[] }>(s, 'GET', '/v1/models')).data.map((m) => m.id);
  } catch {
    return [];
  }
}

/** What this server offers the page (GET /healthz): the search toggles need a server that can. */
export async function serverFeatures(): Promise<{ search: boolean; web_search: boolean }> {
  try {
    const h = await (await fetch('/healthz')).json() as { features?: { search?: boolean; web_search?: boolean } };
    return { search: h.features?.search ?? true, web_search: h.features?.web_search ?? false };
  } catch {
    return { search: true, web_search: false };
  }
}

/** One parsed `data:` event of a chat completion stream. */
export interface Chunk {
  conversation_id?: string;
  message_id?: string;
  user_message_id?: string;
  citations?: Citation[];
  /** Searches that failed or timed out; the answer comes without their results. */
  search_errors?: { source: string; message: string }[];
  moderation?: { category?: string; rule?: string };
  choices?: { delta?: { content?: string | null; reasoning_content?: string | null }; finish_reason?: string | null;
    logprobs?: { content?: { token: string; logprob: number; top_logprobs?: { token: string; logprob: number }[] }[] } | null }[];
  error?: { message: string };
}

export interface Citation { index: number; title: string; source: string; snippet: string }

/** POSTs a streaming chat completion and calls onChunk for each event until [DONE]. */
export async function streamChat(s: Settings, body: Record<string, unknown>, onChunk: (c: Chunk) => void, signal: AbortSignal): Promise<void> {
  const res = await check(await fetch('/v1/chat/completions', { method: 'POST', headers: headers(s), body: JSON.stringify({ ...body, stream: true }), signal }));
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const event = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      if (data === '') continue;
      if (data === '[DONE]') return;
      const chunk = JSON.parse(data) as Chunk;
      if (chunk.error) throw new ApiError(chunk.error.message);
      onChunk(chunk);
    }
  }
}
