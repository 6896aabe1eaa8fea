// Search results sized to the model: a small local model (a context of a hundred-odd tokens)
// cannot take formatContext's full block, and an answer needs room after the prompt. The block is
// shrunk step by step (fewer characters per source, fewer sources, then a compact form without
// the instruction line) until the prompt fits; the citations are exactly the sources kept.
import { formatContext, type Citation, type Source } from '../search/index.ts';

export interface Fitted { context: string; citations: Citation[] }

/** The compact block: "[1] Title: text…" per source, nothing else. */
function compact(sources: Source[], maxChars: number): Fitted {
  const full = formatContext(sources);
  const lines = sources.map((s, i) => {
    const text = s.text.replace(/^#+ .*\n+/, '').replace(/\s+/g, ' ').trim(); // the title line is said already
    return `[${i + 1}] ${s.title}: ${text.length > maxChars ? `${text.slice(0, maxChars)}…` : text}`;
  });
  return { context: lines.join('\n'), citations: full.citations };
}

/** The largest context block for sources (best first) that `fits`; empty when none does. */
export function fitSources(sources: Source[], fits: (context: string) => boolean): Fitted {
  if (sources.length === 0) return { context: '', citations: [] };
  for (const each of [800, 400, 200]) {
    const f = formatContext(sources, each);
    if (fits(f.context)) return f;
  }
  for (let n = sources.length; n >= 1; n--) {
    for (const each of [200, 100, 50, 25, 12]) { // a bare title tells the model nothing
      const f = compact(sources.slice(0, n), each);
      if (fits(f.context)) return f;
    }
  }
  return { context: '', citations: [] };
}
