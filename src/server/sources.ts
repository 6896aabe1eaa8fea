// The context a chat request is answered from: its messages, and when asked, search results put
// in front of them as a system turn with numbered sources (the local index for `search: true`,
// the web provider for `web_search: true`). The citations are exactly the sources that went in.
// A local search without an index is the client's error (422); a web search that fails or times
// out is reported beside the answer (`search_errors`), and the question is answered without it.
import { existsSync } from 'node:fs';
import type { ChatMessage } from '../tokenizer/index.ts';
import { PonderError } from '../errors.ts';
import { formatContext, search as searchIndex, type Citation, type SearchProvider, type Source } from '../search/index.ts';
import type { ChatBackend } from './backend.ts';
import { unprocessable } from './errors.ts';
import { fitSources } from './searchfit.ts';
import type { ChatRequest } from './validate.ts';

export interface SearchTools {
  /** The local index (PONDER_DATA_DIR/search.db) for `search: true`. */
  localDb?: string;
  /** The web provider for `web_search: true` (`ponder serve --web-search URL`). */
  web?: SearchProvider;
}

export interface SearchFailure { source: 'web'; message: string }

export interface ModelContext {
  messages: ChatMessage[];
  citations?: Citation[];
  searchErrors?: SearchFailure[];
}

const LOCAL_HITS = 3;
const WEB_HITS = 3;
/** A web query is the question's start: search engines take short queries. */
const WEB_QUERY_CHARS = 300;

function lastUserTurn(creq: ChatRequest): string {
  return [...creq.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}

function localSources(db: string | undefined, query: string): Source[] {
  if (!db || !existsSync(db)) {
    throw unprocessable(`'search' is on, but this server has no search index (build one with \`ponder index <folder>\`)`, 'search', 'search_unavailable');
  }
  try {
    return query ? searchIndex(db, query, LOCAL_HITS).map((h) => ({ title: h.title, source: h.path, text: h.text, snippet: h.snippet })) : [];
  } catch (e) {
    if (e instanceof PonderError) throw unprocessable(e.message, 'search', 'search_unavailable');
    throw e;
  }
}

async function webSources(web: SearchProvider, query: string, signal: AbortSignal): Promise<Source[]> {
  if (!query.trim()) return [];
  const results = await web.search(query.slice(0, WEB_QUERY_CHARS), WEB_HITS, signal);
  return results.map((r) => ({ title: r.title, source: r.url, text: r.content, snippet: r.content.slice(0, 200) }));
}

/** Search results for the last user turn as a system turn before the messages, sized to the model. */
export async function buildContext(creq: ChatRequest, tools: SearchTools, backend: ChatBackend, signal: AbortSignal): Promise<ModelContext> {
  if (!creq.search && !creq.webSearch) return { messages: creq.messages };
  if (creq.webSearch && !tools.web) {
    throw unprocessable(`'web_search' is on, but this server has no web search (start it with \`ponder serve --web-search URL\`)`, 'web_search', 'search_unavailable');
  }
  const query = lastUserTurn(creq);
  const sources = creq.search ? localSources(tools.localDb, query) : [];
  const searchErrors: SearchFailure[] = [];
  if (creq.webSearch && tools.web) {
    try {
      sources.push(...await webSources(tools.web, query, signal));
    } catch (e) {
      if (!(e instanceof PonderError)) throw e;
      searchErrors.push({ source: 'web', message: e.message });
    }
  }
  const withContext = (context: string): ChatMessage[] => context ? [{ role: 'system', content: context }, ...creq.messages] : creq.messages;
  const { context, citations } = backend.fitsContext
    ? fitSources(sources, (c) => backend.fitsContext!({ ...creq, messages: withContext(c) }))
    : formatContext(sources);
  return { messages: withContext(context), citations, ...(searchErrors.length ? { searchErrors } : {}) };
}
