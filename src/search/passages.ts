// Splitting documents into passages: paragraphs (blank-line separated) packed up to a size, so a
// search hit is a readable piece that fits a prompt, with its position in the file.
export interface Passage {
  /** 0-based index of the passage within its file. */
  position: number;
  text: string;
}

/** The title of a document: its first markdown heading, else its first non-empty line, else fallback. */
export function documentTitle(text: string, fallback: string): string {
  const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/m.exec(text);
  if (heading) return heading[1];
  const first = text.split('\n').find((l) => l.trim() !== '');
  return first && first.trim().length <= 120 ? first.trim() : fallback;
}

/** Paragraphs packed into passages of at most maxChars (a longer paragraph is cut at word gaps). */
export function splitPassages(text: string, maxChars = 800): Passage[] {
  const paras = text.replace(/\r\n?/g, '\n').split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p !== '');
  const pieces: string[] = [];
  for (const p of paras) {
    if (p.length <= maxChars) { pieces.push(p); continue; }
    let rest = p;
    while (rest.length > maxChars) {
      let cut = rest.lastIndexOf(' ', maxChars);
      if (cut < maxChars / 2) cut = maxChars;
      pieces.push(rest.slice(0, cut).trim());
      rest = rest.slice(cut).trim();
    }
    if (rest) pieces.push(rest);
  }
  const out: Passage[] = [];
  let cur = '';
  for (const piece of pieces) {
    if (cur && cur.length + 2 + piece.length > maxChars) { out.push({ position: out.length, text: cur }); cur = ''; }
    cur = cur ? `${cur}\n\n${piece}` : piece;
  }
  if (cur) out.push({ position: out.length, text: cur });
  return out;
}
