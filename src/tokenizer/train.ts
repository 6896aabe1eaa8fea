// Training byte-level BPE: count pieces, then repeatedly merge the most frequent adjacent pair.
//
// Fast because each merge touches only the words that hold its pair: per pair we keep a count
// and the list of words where it occurs, and a max-heap of (count, pair) with lazy deletion
// (a popped entry whose count is out of date goes back in with the current count).
import { readFileSync } from 'node:fs';
import { PonderError } from '../errors.ts';
import { bytesToLatin1, decodeForSplit, wtf8Encode } from './bytes.ts';
import { splitRegex } from './pretokenize.ts';
import { BYTE_BASE, SPECIAL_TOKENS } from './special.ts';
import { Tokenizer } from './tokenizer.ts';

export interface TrainOptions {
  /** Pairs seen fewer times than this are never merged (default 2); training may stop early. */
  minFrequency?: number;
  /** Called every 256 merges with (merges done, merges wanted). */
  onProgress?: (done: number, total: number) => void;
}

export type Corpus = readonly string[] | { files: readonly string[] };

/** The smallest vocabulary: the special tokens and the 256 bytes. */
export const MIN_VOCAB = BYTE_BASE + 256;

/** Piece -> count over a corpus; keys are the pieces' bytes as Latin-1 strings (one char per byte). */
function countPieces(corpus: Corpus): Map<string, number> {
  const byText = new Map<string, number>();
  const byBytes = new Map<string, number>();
  const re = splitRegex();
  const addText = (text: string) => {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      byText.set(m[0], (byText.get(m[0]) ?? 0) + 1);
    }
  };
  if (Array.isArray(corpus)) {
    corpus.forEach((t, i) => {
      if (typeof t !== 'string') throw new PonderError(`corpus text ${i} is not a string`);
      addText(t);
    });
  } else {
    const files = (corpus as { files: readonly string[] }).files;
    for (const f of files) {
      let bytes: Uint8Array;
      try { bytes = readFileSync(f); } catch (e) {
        throw new PonderError(`cannot read training file ${f}: ${(e as Error).message}`);
      }
      const { text, offsets } = decodeForSplit(bytes);
      if (offsets === null) { addText(text); continue; }
      // Ill-formed UTF-8: pieces from the text, their bytes from the file.
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        const key = bytesToLatin1(bytes.subarray(offsets[m.index], offsets[m.index + m[0].length]));
        byBytes.set(key, (byBytes.get(key) ?? 0) + 1);
      }
    }
  }
  for (const [piece, c] of byText) {
    const key = bytesToLatin1(wtf8Encode(piece));
    byBytes.set(key, (byBytes.get(key) ?? 0) + c);
  }
  return byBytes;
}

/** A max-heap of pairs by count, ties to the smaller pair key (deterministic). */
class PairHeap {
  private c: number[] = [];
  private k: number[] = [];
  get size(): number { return this.c.length; }
  private above(i: number, j: number): boolean {
    return this.c[i] > this.c[j] || (this.c[i] === this.c[j] && this.k[i] < this.k[j]);
  }
  private swap(i: number, j: number): void {
    const c = this.c[i]; this.c[i] = this.c[j]; this.c[j] = c;
    const k = this.k[i]; this.k[i] = this.k[j]; this.k[j] = k;
  }
  push(count: number, key: number): void {
    this.c.push(count); this.k.push(key);
    for (let i = this.c.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p); i = p;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.c[0], this.k[0]];
    const c = this.c.pop()!, k = this.k.pop()!;
    if (this.c.length > 0) {
      this.c[0] = c; this.k[0] = k;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < this.c.length && this.above(l, m)) m = l;
        if (r < this.c.length && this.above(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m); i = m;
      }
    }
    return top;
  }
}

/**
 * Learns merges until the vocabulary (specials + 256 bytes + merges) has vocabSize tokens, or no
 * pair occurs minFrequency times. Returns the tokenizer; its vocabSize may be smaller than asked
 * when the corpus runs out of pairs.
 */
export function trainBpe(corpus: Corpus, vocabSize: number, opts: TrainOptions = {}): Tokenizer {
  if (!Number.isInteger(vocabSize) || vocabSize < MIN_VOCAB || vocabSize > 1 << 20) {
    throw new PonderError(`vocab size ${vocabSize} must be an integer from ${MIN_VOCAB} (specials + bytes) to ${1 << 20}`);
  }
  const minFrequency = opts.minFrequency ?? 2;
  if (!Number.isInteger(minFrequency) || minFrequency < 1) {
    throw new PonderError(`minFrequency ${minFrequency} must be a positive integer`);
  }

  // Words: each distinct piece of 2+ bytes, as ids in one flat array; wlen shrinks as merges apply.
  const counts = countPieces(corpus);
  const wstart: number[] = [], wlen: number[] = [], wcount: number[] = [];
  let total = 0;
  for (const key of counts.keys()) if (key.length > 1) total += key.length;
  const sym = new Int32Array(total);
  let at = 0;
  for (const [key, c] of counts) {
    if (key.length < 2) continue;
    wstart.push(at); wlen.push(key.length); wcount.push(c);
    for (let i = 0; i < key.length; i++) sym[at++] = BYTE_BASE + key.charCodeAt(i);
  }
  const nWords = wstart.length;

  const V = vocabSize; // pair key = a * V + b
  const pairCount = new Map<number, number>();
  const where = new Map<number, number[]>();
  const addPairs = (w: number, sign: number, recordWhere: (key: number) => boolean) => {
    const s = wstart[w], n = wlen[w], c = wcount[w] * sign;
    for (let i = s; i + 1 < s + n; i++) {
      const key = sym[i] * V + sym[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + c);
      if (sign > 0 && recordWhere(key)) {
        const list = where.get(key);
        if (list === undefined) where.set(key, [w]);
        else if (list[list.length - 1] !== w) list.push(w);
      }
    }
  };
  for (let w = 0; w < nWords; w++) addPairs(w, 1, () => true);
  const heap = new PairHeap();
  for (const [key, c] of pairCount) heap.push(c, key);

  // Byte strings of tokens, to find when a merge spells an existing token (HF reuses the id).
  const tokenKey: string[] = SPECIAL_TOKENS.map((s) => `\u0000special:${s}`);
  const idOf = new Map<string, number>();
  for (let b = 0; b < 256; b++) { tokenKey.push(String.fromCharCode(b)); idOf.set(String.fromCharCode(b), BYTE_BASE + b); }
  const specialKeys = new Set<string>(SPECIAL_TOKENS.map((s) => s));

  const merges: [number, number][] = [];
  const wanted = vocabSize - MIN_VOCAB;
  let vocab = MIN_VOCAB;
  const seen = new Int32Array(nWords).fill(-1); // last merge that visited each word
  while (vocab < vocabSize && heap.size > 0) {
    const [c, key] = heap.pop();
    const now = pairCount.get(key) ?? 0;
    if (c !== now) { if (now > 0) heap.push(now, key); continue; }
    if (c < minFrequency) break;
    const a = Math.floor(key / V), b = key - a * V;
    const spelled = tokenKey[a] + tokenKey[b];
    if (specialKeys.has(spelled)) { pairCount.set(key, 0); continue; } // never spell a special
    let m = idOf.get(spelled);
    if (m === undefined) { m = tokenKey.length; tokenKey.push(spelled); idOf.set(spelled, m); vocab++; }
    const r = merges.length;
    merges.push([a, b]);

    // Re-count the words that hold (a, b): remove their pairs, merge, add their pairs back.
    const touched = new Set<number>();
    for (const w of where.get(key) ?? []) {
      if (seen[w] === r) continue;
      seen[w] = r;
      const s = wstart[w], n = wlen[w];
      let has = false;
      for (let i = s; i + 1 < s + n; i++) if (sym[i] === a && sym[i + 1] === b) { has = true; break; }
      if (!has) continue; // stale entry: an earlier merge took the pair away
      addPairs(w, -1, () => false);
      let j = s;
      for (let i = s; i < s + n; i++) {
        if (i + 1 < s + n && sym[i] === a && sym[i + 1] === b) { sym[j++] = m; i++; }
        else sym[j++] = sym[i];
      }
      wlen[w] = j - s;
      addPairs(w, 1, (k) => {
        const x = Math.floor(k / V), y = k - x * V;
        if (x !== m && y !== m) return false; // other pairs already list this word
        touched.add(k);
        return true;
      });
    }
    where.delete(key);
    pairCount.delete(key);
    for (const k of touched) { const n = pairCount.get(k)!; if (n > 0) heap.push(n, k); }
    if (opts.onProgress && merges.length % 256 === 0) opts.onProgress(vocab - MIN_VOCAB, wanted);
  }
  return new Tokenizer(merges);
}
