// Web search behind a provider interface, off by default: only when PONDER_WEB_SEARCH_URL names a
// SearXNG-compatible instance (GET {base}/search?q=...&format=json -> {"results": [{title, url, content}]}).
import { PonderError } from '../errors.ts';

export interface WebResult {
  title: string;
  url: string;
  content: string;
}

export interface SearchProvider {
  readonly name: string;
  search(query: string, k: number): Promise<WebResult[]>;
}

export class SearxngProvider implements SearchProvider {
  readonly name = 'searxng';
  private readonly base: URL;

  constructor(baseUrl: string, private readonly timeoutMs = 5000) {
    try {
      this.base = new URL(baseUrl);
    } catch {
      throw new PonderError(`web search URL '${baseUrl}' is not a valid URL`);
    }
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new PonderError(`web search URL '${baseUrl}' must be http or https`);
  }

  async search(query: string, k: number): Promise<WebResult[]> {
    const url = new URL('search', this.base.href.endsWith('/') ? this.base : new URL(this.base.href + '/'));
    url.searchParams.set('q', query);
    url.searchParams.set('format', 'json');
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
    } catch (e) {
      throw new PonderError(`web search at ${this.base.origin} failed: ${(e as Error).message}`);
    }
    if (!res.ok) throw new PonderError(`web search at ${this.base.origin} answered HTTP ${res.status}`);
    let body: unknown;
    try { body = await res.json(); } catch { throw new PonderError(`web search at ${this.base.origin} did not answer JSON`); }
    const results = (body as { results?: unknown }).results;
    if (!Array.isArray(results)) throw new PonderError(`web search at ${this.base.origin} answered without a "results" list`);
    return results
      .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && typeof (r as { url?: unknown }).url === 'string')
      .slice(0, k)
      .map((r) => ({ url: r.url as string, title: typeof r.title === 'string' ? r.title : (r.url as string), content: typeof r.content === 'string' ? r.content : '' }));
  }
}

/** The configured web provider, or null (the default: no web search). */
export function webProviderFromEnv(env: NodeJS.ProcessEnv = process.env): SearchProvider | null {
  const url = env.PONDER_WEB_SEARCH_URL;
  return url ? new SearxngProvider(url) : null;
}
