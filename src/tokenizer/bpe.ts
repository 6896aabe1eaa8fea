// Applying learned merges to one piece. The rule (HF tokenizers', GPT-2's): repeatedly merge the
// adjacent pair of lowest merge rank, the leftmost one when it occurs more than once, until no
// adjacent pair has a merge.
import { PonderError } from '../errors.ts';

export class MergeTable {
  /** rank -> the pair it merges, and the id of the merged token */
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  readonly result: Int32Array;
  /**
   * pair -> rank, open addressing in a typed array (rank + 1; 0 is empty): a 151k-merge table is
   * ~1 MiB here (plus the three id arrays, 1.7 MiB), where a Map of numeric keys above 2^31 (heap numbers) took several.
   */
  private readonly slots: Int32Array;
  private readonly mask: number;

  /** merges[r] = [a, b, merged]: the rank-r merge joins ids a and b into id merged. */
  constructor(merges: ReadonlyArray<readonly [number, number, number]>);
  /** The same from three arrays: the rank-r merge joins left[r] and right[r] into result[r]. */
  constructor(left: Int32Array, right: Int32Array, result: Int32Array);
  constructor(a: ReadonlyArray<readonly [number, number, number]> | Int32Array, right?: Int32Array, result?: Int32Array) {
    if (a instanceof Int32Array) {
      this.left = a; this.right = right!; this.result = result!;
    } else {
      const n = a.length;
      this.left = new Int32Array(n); this.right = new Int32Array(n); this.result = new Int32Array(n);
      for (let r = 0; r < n; r++) [this.left[r], this.right[r], this.result[r]] = a[r];
    }
    let cap = 16;
    while (cap < 1.5 * this.result.length) cap *= 2; // load at most 2/3: short probe runs
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    for (let r = 0; r < this.result.length; r++) {
      const x = this.left[r], y = this.right[r];
      let h = pairHash(x, y) & this.mask;
      for (; this.slots[h] !== 0; h = (h + 1) & this.mask) {
        const q = this.slots[h] - 1;
        if (this.left[q] === x && this.right[q] === y) throw new PonderError(`merge ${r} repeats the pair (${x}, ${y})`);
      }
      this.slots[h] = r + 1;
    }
  }

  get size(): number { return this.result.length; }

  /** The rank of merging ids a then b, or -1 when they do not merge. */
  rankOf(a: number, b: number): number {
    for (let h = pairHash(a, b) & this.mask; ; h = (h + 1) & this.mask) {
      const s = this.slots[h];
      if (s === 0) return -1;
      if (this.left[s - 1] === a && this.right[s - 1] === b) return s - 1;
    }
  }

  /** Merges ids[0..n) in place; returns the new length. */
  apply(ids: Int32Array, n: number): number {
    if (n < 2) return n;
    return n <= 64 ? this.applyScan(ids, n) : this.applyHeap(ids, n);
  }

  /** Short pieces: a rank per adjacent pair, a linear scan for the lowest (like tiktoken). */
  applyScan(ids: Int32Array, n: number): number {
    const NONE = 0x7fffffff;
    const ranks = new Int32Array(n); // ranks[i]: rank of (ids[i], ids[i+1]); NONE when no merge
    for (let i = 0; i + 1 < n; i++) {
      const r = this.rankOf(ids[i], ids[i + 1]);
      ranks[i] = r < 0 ? NONE : r;
    }
    ranks[n - 1] = NONE;
    for (;;) {
      let best = NONE, at = -1;
      for (let i = 0; i + 1 < n; i++) if (ranks[i] < best) { best = ranks[i]; at = i; }
      if (at < 0) return n;
      ids[at] = this.result[best];
      ids.copyWithin(at + 1, at + 2, n);
      ranks.copyWithin(at + 1, at + 2, n);
      n--;
      ranks[n - 1] = NONE;
      if (at + 1 < n) { const r = this.rankOf(ids[at], ids[at + 1]); ranks[at] = r < 0 ? NONE : r; }
      else ranks[at] = NONE;
      if (at > 0) { const r = this.rankOf(ids[at - 1], ids[at]); ranks[at - 1] = r < 0 ? NONE : r; }
    }
  }

  /** Long pieces (whitespace runs, long symbol runs): a linked list and a heap of (rank, position). */
  applyHeap(ids: Int32Array, n: number): number {
    const next = new Int32Array(n), prev = new Int32Array(n);
    for (let i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
    const alive = new Uint8Array(n).fill(1);
    // Entries are rank * 2^32 + position: popping the least gives the lowest rank, then leftmost
    // (positions are original indices, so they keep their order as nodes merge).
    const heap: number[] = [];
    const push = (v: number) => {
      let i = heap.length;
      heap.push(v);
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p] <= v) break;
        heap[i] = heap[p]; i = p;
      }
      heap[i] = v;
    };
    const pop = (): number => {
      const top = heap[0], last = heap.pop()!;
      if (heap.length > 0) {
        let i = 0;
        for (;;) {
          let c = 2 * i + 1;
          if (c >= heap.length) break;
          if (c + 1 < heap.length && heap[c + 1] < heap[c]) c++;
          if (heap[c] >= last) break;
          heap[i] = heap[c]; i = c;
        }
        heap[i] = last;
      }
      return top;
    };
    const offer = (i: number) => {
      const j = next[i];
      if (j < 0) return;
      const r = this.rankOf(ids[i], ids[j]);
      if (r >= 0) push(r * 4294967296 + i);
    };
    for (let i = 0; i + 1 < n; i++) offer(i);
    while (heap.length > 0) {
      const v = pop();
      const r = Math.floor(v / 4294967296), i = v - r * 4294967296;
      const j = next[i];
      // Stale entries: the node died, or its pair changed since the entry was pushed.
      if (!alive[i] || j < 0 || this.rankOf(ids[i], ids[j]) !== r) continue;
      ids[i] = this.result[r];
      alive[j] = 0;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      if (prev[i] >= 0) offer(prev[i]);
      offer(i);
    }
    let m = 0;
    for (let i = 0; i >= 0; i = next[i]) ids[m++] = ids[i];
    return m;
  }
}

/** A 32-bit hash of a pair of ids (multiplicative mixing of both, then the high bits folded down). */
function pairHash(a: number, b: number): number {
  const h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
  return h ^ (h >>> 15);
}
