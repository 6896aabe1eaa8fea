// Features for the classifier: hashed ids of the normalised text's words, word pairs and character
// 3- and 4-grams (fastText's subword idea): misspellings and unseen inflections still share most
// of their n-grams with the words the model learnt, and hashing keeps the table a fixed size.
// Numbers are one word shape without n-grams.
import { normalize } from './normalize.ts';

/** FNV-1a over the UTF-16 code units of s, as an unsigned 32-bit number. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const NUMBER = /^\d+$/;

/** The text's feature ids in [0, buckets); never empty (an empty text gives one id). */
export function featureIds(text: string, buckets: number): Int32Array {
  // A number is one shape, '#': its digits say nothing about harm (card numbers are the rules'
  // job), and their hashed n-grams would land on arbitrary buckets ("1385487912" read as weapons).
  const words = normalize(text).variants[0].map((w) => (NUMBER.test(w) ? '#' : w));
  const ids: number[] = [];
  const add = (f: string) => ids.push(fnv1a(f) % buckets);
  add('§bias');
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    add(`w:${w}`);
    if (i + 1 < words.length) add(`b:${w} ${words[i + 1]}`);
    if (w === '#') continue;
    const padded = `<${w}>`;
    for (const n of [3, 4]) for (let k = 0; k + n <= padded.length; k++) add(`c:${padded.slice(k, k + n)}`);
  }
  return Int32Array.from(ids);
}
