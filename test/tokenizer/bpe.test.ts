import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MergeTable } from '../../src/tokenizer/bpe.ts';
import { rng } from './helpers.ts';

// The textbook rule, one merge at a time: lowest rank, leftmost on ties.
function naiveBpe(word: number[], merges: [number, number, number][]): number[] {
  const w = word.slice();
  for (;;) {
    let best = -1, at = -1;
    for (let i = 0; i + 1 < w.length; i++) {
      const r = merges.findIndex(([a, b]) => a === w[i] && b === w[i + 1]);
      if (r >= 0 && (best < 0 || r < best)) { best = r; at = i; }
    }
    if (at < 0) return w;
    w.splice(at, 2, merges[best][2]);
  }
}

test('scan and heap BPE agree with the one-merge-at-a-time rule', () => {
  const r = rng(11);
  for (let trial = 0; trial < 20; trial++) {
    // A random merge table over a 4-symbol alphabet (small, so merges fire often).
    const merges: [number, number, number][] = [];
    const seen = new Set<string>();
    let next = 4;
    while (merges.length < 30) {
      const a = Math.floor(r() * next), b = Math.floor(r() * next);
      if (seen.has(`${a},${b}`)) continue;
      seen.add(`${a},${b}`);
      merges.push([a, b, next++]);
    }
    const table = new MergeTable(merges);
    for (let k = 0; k < 30; k++) {
      const n = 1 + Math.floor(r() * 150);
      const word = Array.from({ length: n }, () => Math.floor(r() * 4));
      const want = naiveBpe(word, merges);
      const a = Int32Array.from(word), b = Int32Array.from(word);
      assert.deepEqual([...a.subarray(0, table.applyScan(a, n))], want);
      assert.deepEqual([...b.subarray(0, table.applyHeap(b, n))], want);
    }
  }
});

test('overlapping pairs merge leftmost first', () => {
  const table = new MergeTable([[0, 0, 1]]);
  const w = Int32Array.of(0, 0, 0);
  assert.deepEqual([...w.subarray(0, table.apply(w, 3))], [1, 0]);
});

test('a repeated pair in the table is an error', () => {
  assert.throws(() => new MergeTable([[0, 1, 2], [0, 1, 3]]), { name: 'PonderError' });
});
