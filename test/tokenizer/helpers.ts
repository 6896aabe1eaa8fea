// Shared by the tokenizer tests: a seeded generator of awkward text, and a small trained tokenizer.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { trainBpe } from '../../src/tokenizer/train.ts';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.ts';

export const CORPUS_PATH = fileURLToPath(new URL('../fixtures/tokenizer-corpus.txt', import.meta.url));
export const CORPUS = readFileSync(CORPUS_PATH, 'utf8');

// The seeded PRNG all tests share.
export { rng } from '../helpers.ts';

// Characters that stress the split pattern: letters of several scripts, digits of several
// systems, every kind of whitespace, contractions, combining marks, emoji, CJK.
const POOL = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', ...'0123456789', ...'æøåÆØÅéüß',
  ...' ', ' ', ' ', '\t', '\n', '\r', '\r\n', '\u000b', '\u000c', '\u0085', '\u00a0', '\u2028', '\u3000', '\ufeff',
  "'s", "'S", "'ll", "'T", "'re", "'", '"', '.', ',', '!', '?', '-', '_', '(', ')', '{', '}', '<', '>', '/', '\\', '#', '$', '%',
  '你', '好', '世', '界', 'こ', 'ん', 'カ', '안', 'Ж', 'ж', 'λ', '٣', '١', '३', '²', '½', 'Ⅻ', '①',
  'e\u0301', '\u0301', '😀', '👍🏽', '👨‍👩‍👧', '🇳🇴', '❤️', '\u200d', 'ſ', 'K', 'ǅ',
];

/** A random well-formed string of n pool items. */
export function randomText(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += POOL[Math.floor(r() * POOL.length)];
  return s;
}

/** A random string of UTF-16 code units, lone surrogates included. */
export function randomUnits(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const k = r();
    const u = k < 0.3 ? Math.floor(r() * 128) : k < 0.5 ? 0xd800 + Math.floor(r() * 0x800) : Math.floor(r() * 0x10000);
    s += String.fromCharCode(u);
  }
  return s;
}

export function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r() < 0.5 ? Math.floor(r() * 128) : Math.floor(r() * 256);
  return b;
}

let trained: Tokenizer | undefined;
/** A tokenizer trained once on the fixture corpus (vocab 560: about all its pairs seen twice). */
export function fixtureTokenizer(): Tokenizer {
  trained ??= trainBpe([CORPUS], 560);
  return trained;
}
