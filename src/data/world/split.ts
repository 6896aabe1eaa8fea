// Train/held-out split of generated questions by a hash of their text: a question is held out or
// not forever (whatever the seed or the generator's order), so no held-out question can reach
// training data. FNV-1a over UTF-16 code units.
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h >>> 0;
}

/** One question in three is held out. */
export const isHeldOut = (question: string): boolean => fnv1a(question) % 3 === 0;

export type Split = 'train' | 'heldout';

/** Draws from gen until the question falls on the wanted side of the split. */
export function drawOn<T extends { question: string }>(split: Split, gen: () => T): T {
  for (let i = 0; i < 10000; i++) {
    const x = gen();
    if (isHeldOut(x.question) === (split === 'heldout')) return x;
  }
  throw new Error('split: no question on the wanted side after 10000 draws');
}
