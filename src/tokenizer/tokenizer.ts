// The tokenizer: byte-level BPE over pre-tokenized pieces, plus the fixed special tokens.
//
// Ids: 0..7 special tokens (special.ts), 8..263 the 256 bytes, then one id per merge product in
// merge order. Encoding is lossless on every input: strings go through WTF-8 (so even lone
// surrogates survive, see bytes.ts), bytes go through as they are, ill-formed UTF-8 included.
import { PonderError } from '../errors.ts';
import { MergeTable } from './bpe.ts';
import { bytesToLevel, decodeForSplit, wtf8Decode, wtf8EncodeInto } from './bytes.ts';
import { splitRegex } from './pretokenize.ts';
import { BYTE_BASE, SPECIAL_TOKENS, specialId, specialRegex } from './special.ts';

import type { DecodeOptions, EncodeOptions, TextTokenizer } from './types.ts';

export type { DecodeOptions, EncodeOptions } from './types.ts';

const CACHE_LIMIT = 1 << 18;   // pieces remembered; the cache is cleared when it fills
const CACHE_MAX_PIECE = 256;   // longer pieces (rare whitespace runs) are not remembered

export class Tokenizer implements TextTokenizer {
  /** tokens[id]: the bytes of each token (a special token's are its string's). */
  readonly tokens: Uint8Array[];
  /** merges[r] = [a, b]: the rank-r merge, in the order training learned them. */
  readonly merges: ReadonlyArray<readonly [number, number]>;
  private readonly table: MergeTable;
  private readonly cache = new Map<string, Int32Array>();
  private readonly split = splitRegex();
  private buf = new Uint8Array(1024);

  /**
   * Builds the vocabulary from the merges: the product of merge [a, b] is the bytes of a then b,
   * a new id unless an earlier token already has those bytes (then that id, as HF does).
   */
  constructor(merges: ReadonlyArray<readonly [number, number]>) {
    const tokens: Uint8Array[] = SPECIAL_TOKENS.map((s) => new TextEncoder().encode(s));
    for (let b = 0; b < 256; b++) tokens.push(Uint8Array.of(b));
    const idOf = new Map<string, number>();
    for (let b = 0; b < 256; b++) idOf.set(String.fromCharCode(b), BYTE_BASE + b);
    const specials = new Set<string>(SPECIAL_TOKENS.map((s) => s));
    const triples: [number, number, number][] = [];
    for (let r = 0; r < merges.length; r++) {
      const [a, b] = merges[r];
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < BYTE_BASE || b < BYTE_BASE ||
          a >= tokens.length || b >= tokens.length) {
        throw new PonderError(`merge ${r} joins ids (${a}, ${b}), which are not earlier ordinary tokens`);
      }
      const bytes = new Uint8Array(tokens[a].length + tokens[b].length);
      bytes.set(tokens[a]); bytes.set(tokens[b], tokens[a].length);
      const key = String.fromCharCode(...bytes);
      if (specials.has(key)) throw new PonderError(`merge ${r} would spell the special token ${key}`);
      let id = idOf.get(key);
      if (id === undefined) { id = tokens.length; tokens.push(bytes); idOf.set(key, id); }
      triples.push([a, b, id]);
    }
    this.tokens = tokens;
    this.merges = merges.map(([a, b]) => [a, b] as const);
    this.table = new MergeTable(triples);
  }

  get vocabSize(): number { return this.tokens.length; }

  get maxTokenBytes(): number {
    let n = 1;
    for (const t of this.tokens) if (t.length > n) n = t.length;
    return n;
  }

  /** The id of a special token by its string, e.g. specialId('<think>'). */
  specialId(name: string): number { return specialId(name); }

  isSpecial(id: number): boolean { return id >= 0 && id < BYTE_BASE; }

  tokenId(text: string): number | undefined {
    const i = (SPECIAL_TOKENS as readonly string[]).indexOf(text);
    return i < 0 ? undefined : i;
  }

  /** Text or bytes to ids. Specials only with allowSpecial (otherwise "<think>" is plain text). */
  encode(input: string | Uint8Array, opts: EncodeOptions = {}): number[] {
    const out: number[] = [];
    if (typeof input !== 'string') {
      if (!(input instanceof Uint8Array)) throw new PonderError(`encode expects a string or Uint8Array, got ${typeof input}`);
      this.encodeBytesInto(input, opts, out);
      return out;
    }
    if (!opts.allowSpecial) { this.encodeOrdinary(input, 0, input.length, out); return out; }
    const re = specialRegex();
    let from = 0;
    for (let m = re.exec(input); m !== null; m = re.exec(input)) {
      this.encodeOrdinary(input, from, m.index, out);
      out.push(specialId(m[0]));
      from = m.index + m[0].length;
    }
    this.encodeOrdinary(input, from, input.length, out);
    return out;
  }

  /** Appends the ids of text[from..to), which holds no special tokens. */
  private encodeOrdinary(text: string, from: number, to: number, out: number[]): void {
    if (from >= to) return;
    const s = from === 0 && to === text.length ? text : text.slice(from, to);
    const re = this.split;
    re.lastIndex = 0;
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      const piece = m[0];
      let ids = this.cache.get(piece);
      if (ids === undefined) ids = this.encodePiece(piece);
      for (let k = 0; k < ids.length; k++) out.push(ids[k]);
    }
  }

  private encodePiece(piece: string): Int32Array {
    if (this.buf.length < piece.length * 3) this.buf = new Uint8Array(piece.length * 3);
    const n = wtf8EncodeInto(piece, this.buf, 0);
    const ids = this.mergeBytes(this.buf.subarray(0, n));
    if (piece.length <= CACHE_MAX_PIECE) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(piece, ids);
    }
    return ids;
  }

  /** BPE on one piece's bytes. */
  private mergeBytes(bytes: Uint8Array): Int32Array {
    const ids = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) ids[i] = BYTE_BASE + bytes[i];
    const m = this.table.apply(ids, ids.length);
    return m === ids.length ? ids : ids.slice(0, m);
  }

  private encodeBytesInto(bytes: Uint8Array, opts: EncodeOptions, out: number[]): void {
    const { text, offsets } = decodeForSplit(bytes);
    // Bytes that are exactly the WTF-8 of a string encode as that string does.
    if (offsets === null) {
      for (const id of this.encode(text, opts)) out.push(id);
      return;
    }
    // Otherwise pieces come from the text (ill-formed bytes stand as U+FFFD), ids from the bytes.
    const ordinary = (from: number, to: number) => {
      if (from >= to) return;
      const re = splitRegex();
      const seg = text.slice(from, to);
      for (let m = re.exec(seg); m !== null; m = re.exec(seg)) {
        const a = offsets[from + m.index], b = offsets[from + m.index + m[0].length];
        const ids = this.mergeBytes(bytes.subarray(a, b));
        for (let k = 0; k < ids.length; k++) out.push(ids[k]);
      }
    };
    if (!opts.allowSpecial) { ordinary(0, text.length); return; }
    const re = specialRegex();
    let from = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      ordinary(from, m.index);
      out.push(specialId(m[0]));
      from = m.index + m[0].length;
    }
    ordinary(from, text.length);
  }

  /** Ids to bytes, exactly the bytes that were encoded (special tokens as their strings). */
  decodeBytes(ids: ArrayLike<number>, opts: DecodeOptions = {}): Uint8Array {
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
        throw new PonderError(`token id ${id} at position ${i} is outside the vocabulary (0..${this.tokens.length - 1})`);
      }
      if (!(opts.skipSpecial && id < BYTE_BASE)) n += this.tokens[id].length;
    }
    const out = new Uint8Array(n);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (opts.skipSpecial && id < BYTE_BASE) continue;
      out.set(this.tokens[id], at);
      at += this.tokens[id].length;
    }
    return out;
  }

  /**
   * Ids to a string. Exact inverse of encode(string). For ids whose bytes are not WTF-8 (a model
   * may emit anything), ill-formed bytes become U+FFFD: decodeBytes keeps them.
   */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    return wtf8Decode(this.decodeBytes(ids, opts));
  }

  /** A token's display form: its string for specials, else HF's byte-level spelling ("Ġthe"). */
  piece(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
      throw new PonderError(`token id ${id} is outside the vocabulary (0..${this.tokens.length - 1})`);
    }
    return id < BYTE_BASE ? SPECIAL_TOKENS[id] : bytesToLevel(this.tokens[id]);
  }
}
