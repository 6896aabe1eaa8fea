// Search as a tool: the local FTS5 index, a web provider (off by default), and the prompt context.
export { buildIndex, search, LocalIndex, SEARCH_DB_FILE, ftsQuery, INDEXED_EXTENSIONS, type IndexStats, type SearchHit } from './local.ts';
export { splitPassages, documentTitle, type Passage } from './passages.ts';
export { formatContext, type Citation, type Source } from './context.ts';
export { SearxngProvider, webProviderFromEnv, type SearchProvider, type WebResult } from './web.ts';
