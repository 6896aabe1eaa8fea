// Added tokens (tokenizer.json's `added_tokens`: <think>, <|im_start|>, <｜User｜>, ...): they are
// found in the text before anything else and never go through BPE. As in HF's tokenizers, tokens
// with normalized: false are matched in the raw text, the rest in the normalized remainder; the
// leftmost match wins, the longest of those starting there; lstrip/rstrip swallow the whitespace
// beside a match; single_word matches only between non-word characters.
import { PonderError } from '../errors.ts';

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
  singleWord: boolean;
  normalized: boolean;
}

/** A run of ordinary text, or an added token's id. */
export type Segment = { text: string; id?: undefined } | { id: number; text?: undefined };

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const WORD = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}]/u;

/** Matches a set of tokens, leftmost then longest. */
class TokenMatcher {
  private readonly re: RegExp | null;
  private readonly byContent: Map<string, AddedToken>;

  constructor(tokens: readonly AddedToken[]) {
    this.byContent = new Map(tokens.map((t) => [t.content, t]));
    const contents = [...this.byContent.keys()].sort((a, b) => b.length - a.length);
    this.re = contents.length ? new RegExp(contents.map(escape).join('|'), 'gu') : null;
  }

  /** Splits text into ordinary runs and matched tokens. */
  split(text: string, out: Segment[]): void {
    if (this.re === null || text === '') { if (text) out.push({ text }); return; }
    let from = 0;
    this.re.lastIndex = 0;
    for (let m = this.re.exec(text); m !== null; m = this.re.exec(text)) {
      const t = this.byContent.get(m[0])!;
      let start = m.index, end = m.index + m[0].length;
      if (t.singleWord) {
        const before = text.slice(Math.max(0, start - 2), start), after = text.slice(end, end + 2);
        const wordBefore = before !== '' && WORD.test([...before].at(-1)!);
        const wordAfter = after !== '' && WORD.test([...after][0]);
        if (wordBefore || wordAfter) { this.re.lastIndex = start + 1; continue; }
      }
      if (t.lstrip) while (start > from && /\s/u.test(text[start - 1])) start--;
      if (t.rstrip) while (end < text.length && /\s/u.test(text[end])) end++;
      if (start > from) out.push({ text: text.slice(from, start) });
      out.push({ id: t.id });
      from = end;
      this.re.lastIndex = end;
    }
    if (from < text.length) out.push({ text: text.slice(from) });
  }
}

export class AddedVocabulary {
  readonly tokens: readonly AddedToken[];
  private readonly raw: TokenMatcher;
  private readonly normalized: TokenMatcher;
  private readonly byId = new Map<number, AddedToken>();
  private readonly byContent = new Map<string, AddedToken>();

  constructor(tokens: readonly AddedToken[], source: string) {
    for (const t of tokens) {
      if (t.content === '') throw new PonderError(`tokenizer ${source}: added token ${t.id} is empty`);
      if (this.byId.has(t.id)) throw new PonderError(`tokenizer ${source}: added token id ${t.id} appears twice`);
      this.byId.set(t.id, t);
      this.byContent.set(t.content, t);
    }
    this.tokens = tokens;
    this.raw = new TokenMatcher(tokens.filter((t) => !t.normalized));
    this.normalized = new TokenMatcher(tokens.filter((t) => t.normalized));
  }

  get(id: number): AddedToken | undefined { return this.byId.get(id); }
  find(content: string): AddedToken | undefined { return this.byContent.get(content); }

  /** Text to segments: added tokens found, ordinary runs normalized. */
  split(text: string, normalize: (s: string) => string): Segment[] {
    const first: Segment[] = [];
    this.raw.split(text, first);
    const out: Segment[] = [];
    for (const seg of first) {
      if (seg.id !== undefined) out.push(seg);
      else this.normalized.split(normalize(seg.text), out);
    }
    return out;
  }
}
