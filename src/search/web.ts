// Web search behind a provider interface, off by default: only when `ponder serve --web-search URL`
// (or PONDER_WEB_SEARCH_URL) names a SearXNG-compatible instance
// (GET {base}/search?q=...&format=json -> {"results": [{title, url, content}]}). The body read
// counts against the timeout too: a provider that sends headers and then stalls is a failure.
import { PonderError } from '../errors.ts';

export interface WebResult {
  title: string;
  url: string;
  content: string;
}

export interface SearchProvider {
  readonly name: string;
  /** The k best results; a PonderError when the provider fails, times out, or signal aborts. */
  search(query: string, k: number, signal?: AbortSignal): Promise<WebResult[]>;
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

  async search(query: string, k: number, signal?: AbortSignal): Promise<WebResult[]> {
    const url = new URL('search', this.base.href.endsWith('/') ? this.base : new URL(this.base.href + '/'));
    url.searchParams.set('q', query);
    url.searchParams.set('format', 'json');
    let res: Response;
    let body: unknown;
    try {
      const timeout = AbortSignal.timeout(this.timeoutMs);
      res = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, headers: { accept: 'application/json' } });
      if (!res.ok) throw new PonderError(`web search at ${this.base.origin} answered HTTP ${res.status}`);
      body = await res.json();
    } catch (e) {
      if (e instanceof PonderError) throw e;
      if (e instanceof SyntaxError) throw new PonderError(`web search at ${this.base.origin} did not answer JSON`);
      const why = (e as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs / 1000} s` : (e as Error).message;
      throw new PonderError(`web search at ${this.base.origin} failed: ${why}`);
    }
    const results = typeof body === 'object' && body !== null ? (body as { results?: unknown }).results : undefined;
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
