// Applying learned merges to one piece. The rule (HF tokenizers', GPT-2's): repeatedly merge the
// adjacent pair of lowest merge rank, the leftmost one when it occurs more than once, until no
// adjacent pair has a merge.
import { PonderError } from '../errors.ts';

export class MergeTable {
  /** pair key (a * keyBase + b) -> merge rank */
  private readonly rank = new Map<number, number>();
  /** merge rank -> id of the merged token */
  readonly result: Int32Array;
  readonly keyBase: number;

  /** merges[r] = [a, b, merged]: the rank-r merge joins ids a and b into id merged. */
  constructor(merges: ReadonlyArray<readonly [number, number, number]>, vocabSize: number) {
    this.keyBase = vocabSize;
    this.result = new Int32Array(merges.length);
    for (let r = 0; r < merges.length; r++) {
      const [a, b, m] = merges[r];
      const key = a * vocabSize + b;
      if (this.rank.has(key)) throw new PonderError(`merge ${r} repeats the pair (${a}, ${b})`);
      this.rank.set(key, r);
      this.result[r] = m;
    }
  }

  get size(): number { return this.result.length; }

  /** The rank of merging ids a then b, or -1 when they do not merge. */
  rankOf(a: number, b: number): number {
    const r = this.rank.get(a * this.keyBase + b);
    return r === undefined ? -1 : r;
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
