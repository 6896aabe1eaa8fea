// Search results into the prompt: a context block with numbered sources the answer can cite as
// [1], [2], and the same sources as `citations` for the page.
export interface Citation {
  /** 1-based number used in the text as [n]. */
  index: number;
  title: string;
  /** A local path or a web URL. */
  source: string;
  snippet: string;
}

export interface Source {
  title: string;
  source: string;
  text: string;
  snippet?: string;
}

/** The context block for the system or user turn, and the citations it numbers. */
export function formatContext(sources: Source[], maxCharsEach = 800): { context: string; citations: Citation[] } {
  if (sources.length === 0) return { context: '', citations: [] };
  const citations = sources.map((s, i) => ({ index: i + 1, title: s.title, source: s.source, snippet: s.snippet ?? s.text.slice(0, 200) }));
  const blocks = sources.map((s, i) => {
    const body = s.text.length > maxCharsEach ? s.text.slice(0, maxCharsEach) + '…' : s.text;
    return `[${i + 1}] ${s.title} (${s.source})\n${body}`;
  });
  const context = 'Use these sources if they help, and cite them by number like [1]:\n\n' + blocks.join('\n\n');
  return { context, citations };
}
