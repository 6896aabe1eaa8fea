// Digits that carry their place value. Every digit of a number is one token that names both the
// digit and its place (units 1, tens 2, ...), plus a per-document offset: "347" at offset 2 is
// 3@5 4@4 7@3. This is the place information of Abacus embeddings (McLeish et al. 2024) written
// into the vocabulary instead of the model, so the transformer, its kernels and its files stay
// as they are.
//
// Why: a model that copies or adds numbers by counting digits learns the longest count it was
// shown and stops there (docs/reasoning/report.md, sections 4 and 9). With places in the tokens
// every copy starts at the place its source starts at and stops after the units digit, whatever
// the length; a random offset in training makes the places of longer numbers familiar tokens.
// At inference the offset is 0.
import { PonderError } from '../errors.ts';
import { Tokenizer } from './tokenizer.ts';
import { BYTE_BASE } from './special.ts';
import type { DecodeOptions, EncodeOptions } from './types.ts';

const ZERO = BYTE_BASE + 0x30; // the byte token of '0'

export class PlaceDigitTokenizer extends Tokenizer {
  /** Places 1..places have tokens; longer numbers (with the offset) keep plain digit tokens. */
  readonly places: number;
  /** Added to every place by encode; training draws one per document, inference keeps 0. */
  offset = 0;
  /** The id of 0@1; d@p is placeBase + (p - 1)·10 + d. */
  readonly placeBase: number;

  constructor(merges: ReadonlyArray<readonly [number, number]>, places: number) {
    super(merges);
    if (!Number.isInteger(places) || places < 1 || places > 64) throw new PonderError(`places must be an integer in 1..64, got ${places}`);
    this.places = places;
    this.placeBase = this.tokens.length;
  }

  override get vocabSize(): number { return this.tokens.length + 10 * this.places; }

  /** The token of digit d at place p (1 = units). */
  placeId(d: number, p: number): number { return this.placeBase + (p - 1) * 10 + d; }

  /** Whether an id is a place digit, and which. */
  placeOf(id: number): { digit: number; place: number } | null {
    if (id < this.placeBase || id >= this.vocabSize) return null;
    const k = id - this.placeBase;
    return { digit: k % 10, place: Math.floor(k / 10) + 1 };
  }

  override encode(input: string | Uint8Array, opts: EncodeOptions = {}): number[] {
    const ids = super.encode(input, opts);
    // The pre-tokenizer splits every digit into its own piece, so a number is a run of byte tokens.
    for (let i = 0; i < ids.length;) {
      if (!isDigitByte(ids[i])) { i++; continue; }
      let j = i;
      while (j < ids.length && isDigitByte(ids[j])) j++;
      const n = j - i;
      if (n + this.offset <= this.places) {
        for (let k = i; k < j; k++) ids[k] = this.placeId(ids[k] - ZERO, this.offset + j - k);
      }
      i = j;
    }
    return ids;
  }

  override decodeBytes(ids: ArrayLike<number>, opts: DecodeOptions = {}): Uint8Array {
    return super.decodeBytes(Array.from(ids, (id) => this.plain(id)), opts);
  }

  override piece(id: number): string {
    const p = this.placeOf(this.inVocabulary(id));
    return p ? `${p.digit}@${p.place}` : super.piece(id);
  }

  /** A place digit's plain byte token; every other id as it is. */
  private plain(id: number): number {
    const p = this.placeOf(this.inVocabulary(id));
    return p ? ZERO + p.digit : id;
  }

  /** The id, or a clear error naming this vocabulary's range (the base class knows only its own part). */
  private inVocabulary(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new PonderError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    return id;
  }
}

function isDigitByte(id: number): boolean {
  return id >= ZERO && id <= ZERO + 9;
}

/** The longest run of digits in a text (what bounds a document's offset). */
export function longestNumber(text: string): number {
  let longest = 0;
  for (const m of text.matchAll(/\d+/g)) longest = Math.max(longest, m[0].length);
  return longest;
}

/**
 * Starts every place digit's embedding row as its plain digit's row plus one row per place, so
 * what a digit means is shared across places from the first step (Abacus adds a place embedding
 * to the digit's in the same way; here the sum is only the start, each row then trains on its own).
 */
export function initPlaceRows(embed: Float32Array, dModel: number, tok: PlaceDigitTokenizer, rng: { normal(): number }, scale = 0.02): void {
  if (embed.length < tok.vocabSize * dModel) throw new PonderError(`initPlaceRows: ${embed.length / dModel} embedding rows for ${tok.vocabSize} tokens`);
  for (let p = 1; p <= tok.places; p++) {
    const placeRow = Array.from({ length: dModel }, () => rng.normal() * scale);
    for (let d = 0; d < 10; d++) {
      const to = tok.placeId(d, p) * dModel, from = (ZERO + d) * dModel;
      for (let c = 0; c < dModel; c++) embed[to + c] = embed[from + c] + placeRow[c];
    }
  }
}
