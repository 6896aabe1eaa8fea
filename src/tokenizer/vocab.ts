// A vocabulary held as bytes: every spelling's UTF-8 end to end in one buffer (id i's spelling is
// bytes[offsets[i], offsets[i + 1])) and an open-addressing index from spelling to id in a typed
// array. A 151,936-token vocabulary is ~3 MiB this way, against ~15 MiB for a Map of 151,936 strings
// plus an array of them, and building it makes no per-token garbage: a GGUF file's vocabulary
// (src/io/gguf-tokenizer.ts) goes from the file's bytes to this without a JavaScript string per token.
// Lookups follow a JavaScript object's keys exactly (what tokenizer.json's vocab is): a spelling
// given twice keeps its last id, and the earlier id then has no spelling.

const utf8 = new TextEncoder();
const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
/** A lone surrogate: such a string has no UTF-8 of its own (encoding would make it U+FFFD). */
const LONE_SURROGATE = /\p{Cs}/u;

export class PackedVocab {
  /** One more than the largest id. */
  readonly size: number;
  private readonly bytes: Uint8Array;
  private readonly offsets: Uint32Array;
  /** 1 where the id has a spelling in the vocabulary. */
  private readonly present: Uint8Array;
  /** id + 1 by hash of the spelling's bytes; 0 is empty */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Spellings the bytes cannot stand for (lone surrogates; a second spelling of one id): a tokenizer.json oddity, usually empty. */
  private readonly extra = new Map<string, number>();
  /** The spellings of ids whose (last) spelling has a lone surrogate. */
  private readonly oddSpelling = new Map<number, string>();
  private scratch = new Uint8Array(256);

  /**
   * Ids 0..offsets.length - 2 spelled by the packed bytes; `include(id)` says which are in the
   * vocabulary (the others have no spelling and are never found).
   */
  constructor(bytes: Uint8Array, offsets: Uint32Array, include: (id: number) => boolean = () => true) {
    this.bytes = bytes;
    this.offsets = offsets;
    const n = offsets.length - 1;
    this.present = new Uint8Array(n);
    let cap = 16;
    while (cap < 1.5 * n) cap *= 2; // load at most 2/3: short probe runs
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    let size = 0;
    for (let id = 0; id < n; id++) {
      if (!include(id)) continue;
      this.present[id] = 1;
      size = id + 1;
      const at = this.find(bytes, offsets[id], offsets[id + 1]);
      if (this.slots[at] !== 0) this.present[this.slots[at] - 1] = 0; // the spelling again: the last id wins
      this.slots[at] = id + 1;
    }
    this.size = size;
  }

  /** tokenizer.json's model.vocab (spelling -> id); `bad(piece)` reports an id that is not a non-negative integer. */
  static fromObject(vocab: Record<string, unknown>, bad: (piece: string) => never): PackedVocab {
    const byId: string[] = [];
    const later: [string, number][] = [];
    for (const piece in vocab) {
      const id = vocab[piece];
      if (!Number.isInteger(id) || (id as number) < 0) bad(piece);
      const i = id as number;
      if (byId[i] !== undefined) later.push([byId[i], i]); // an id spelled twice: the later spelling is the id's
      byId[i] = piece;
    }
    const odd = (p: string | undefined) => p !== undefined && LONE_SURROGATE.test(p);
    const parts: Uint8Array[] = [];
    const offsets = new Uint32Array(byId.length + 1);
    for (let i = 0; i < byId.length; i++) {
      const p = byId[i];
      const b = p === undefined || odd(p) ? new Uint8Array(0) : utf8.encode(p);
      parts.push(b);
      offsets[i + 1] = offsets[i] + b.length;
    }
    const bytes = new Uint8Array(offsets[byId.length]);
    parts.forEach((b, i) => bytes.set(b, offsets[i]));
    const v = new PackedVocab(bytes, offsets, (i) => byId[i] !== undefined && !odd(byId[i]));
    for (const [p, i] of later) v.extra.set(p, i);
    for (let i = 0; i < byId.length; i++) {
      if (odd(byId[i])) { v.extra.set(byId[i], i); v.oddSpelling.set(i, byId[i]); v.present[i] = 1; }
    }
    (v as { size: number }).size = byId.length;
    return v;
  }

  /** The slot of the spelling b[from, to): where it is, or the empty slot where it would go. */
  private find(b: Uint8Array, from: number, to: number): number {
    let h = 0x811c9dc5; // FNV-1a
    for (let i = from; i < to; i++) h = Math.imul(h ^ b[i], 0x01000193);
    const len = to - from, bytes = this.bytes, offsets = this.offsets;
    for (h &= this.mask; ; h = (h + 1) & this.mask) {
      const s = this.slots[h];
      if (s === 0) return h;
      const at = offsets[s - 1];
      if (offsets[s] - at !== len) continue;
      let k = 0;
      while (k < len && bytes[at + k] === b[from + k]) k++;
      if (k === len) return h;
    }
  }

  /** The id of the spelling b[from, to), or -1. */
  idOfBytes(b: Uint8Array, from = 0, to = b.length): number {
    return this.slots[this.find(b, from, to)] - 1;
  }

  /** The id of a spelling, or undefined. */
  idOf(piece: string): number | undefined {
    if (this.extra.size > 0) {
      const e = this.extra.get(piece);
      if (e !== undefined) return e;
    }
    if (this.scratch.length < 3 * piece.length) this.scratch = new Uint8Array(3 * piece.length);
    const b = this.scratch, n = utf8.encodeInto(piece, b).written;
    // A lone surrogate encodes as U+FFFD's bytes (EF BF BD): such a piece is no spelling in the bytes.
    for (let i = 2; i < n; i++) if (b[i] === 0xbd && b[i - 1] === 0xbf && b[i - 2] === 0xef && LONE_SURROGATE.test(piece)) return undefined;
    const id = this.idOfBytes(b, 0, n);
    return id < 0 ? undefined : id;
  }

  /** Whether the id has a spelling. */
  has(id: number): boolean {
    return id >= 0 && id < this.present.length && this.present[id] === 1;
  }

  /** The id's spelling (undefined when it has none). */
  spelling(id: number): string | undefined {
    if (!this.has(id)) return undefined;
    const odd = this.oddSpelling.get(id);
    if (odd !== undefined) return odd;
    return text.decode(this.bytes.subarray(this.offsets[id], this.offsets[id + 1]));
  }

  /** The longest spelling in UTF-16 code units (a JavaScript string's length). */
  longestUnits(): number {
    let longest = 0;
    for (let id = 0; id < this.present.length; id++) {
      if (!this.present[id]) continue;
      let units = 0;
      for (let i = this.offsets[id]; i < this.offsets[id + 1]; i++) {
        const c = this.bytes[i];
        if ((c & 0xc0) !== 0x80) units += c >= 0xf0 ? 2 : 1; // a 4-byte character is a surrogate pair
      }
      longest = Math.max(longest, units);
    }
    for (const p of this.oddSpelling.values()) longest = Math.max(longest, p.length);
    return longest;
  }
}
