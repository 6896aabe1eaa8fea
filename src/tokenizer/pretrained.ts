// The tokenizer of a pretrained model, read from its tokenizer.json (Hugging Face's format):
// byte-level BPE as DeepSeek (V3, R1), Qwen (2, 2.5, 3, the R1 distills) and Llama 3 use it.
// Encoding follows HF's tokenizers step by step: added tokens are found first, the rest is
// normalized, pre-tokenized (regex splits), turned into UTF-8 bytes in GPT-2's byte alphabet and
// merged by rank. The ids are those of @huggingface/tokenizers (test/tokenizer/pretrained.test.ts).
// SentencePiece-style BPE (Llama 2, Mistral, and GGUF `llama` vocabularies as src/io reads them)
// is the other kind: no byte-level stage, merges over characters, unknown characters as their
// <0xXX> byte tokens, and a decoder that turns '▁' back into spaces.
//
// Text is UTF-8 here as in HF: a lone surrogate (which UTF-8 cannot hold) is encoded as U+FFFD,
// as HF's JavaScript library does (its Rust library refuses such strings). Ponder's own
// tokenizer (tokenizer.ts) keeps them through WTF-8, since it trains on whatever it is given.
import { PonderError } from '../errors.ts';
import { AddedVocabulary, type AddedToken } from './added.ts';
import { MergeTable } from './bpe.ts';
import { PackedVocab } from './vocab.ts';
import { BYTE_TO_CHAR, CHAR_TO_BYTE, bytesToLevel } from './bytes.ts';
import { normalizerFrom, pieceDecoderFrom, preTokenizerFrom, type Normalize, type PieceDecoder, type PreTokenize } from './pipeline.ts';
import type { DecodeOptions, EncodeOptions, TextTokenizer } from './types.ts';
import { fromTokenizerJson, isPonderTokenizerJson } from './hf.ts';

type Json = Record<string, unknown>;

const CACHE_LIMIT = 1 << 17;
const utf8 = new TextEncoder();
const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * The model part of tokenizer.json, checked and turned into ids. Two kinds: byte-level BPE (GPT-2's
 * byte alphabet; DeepSeek, Qwen, Llama 3) and SentencePiece-style BPE over characters with byte
 * fallback (Llama 2, Mistral: what HF's converter and GGUF's `llama` vocabulary give).
 */
interface BpeModel {
  kind: 'byte-level' | 'sentencepiece';
  /** spelling <-> id (ids the model does not hold have no spelling) */
  vocab: PackedVocab;
  /** byte -> id of its single-byte token (byte-level), or of its <0xXX> token (sentencepiece; -1 when absent) */
  byteIds: Int32Array;
  /** sentencepiece: the id of unk_token (-1: none), and whether runs of unknown characters become one */
  unk: number;
  fuseUnk: boolean;
  /** ignore_merges: a whole piece that is in the vocabulary skips BPE */
  wholePieces: boolean;
  table: MergeTable;
}

/**
 * A vocabulary and merges given packed (a GGUF file's, src/io/gguf-tokenizer.ts) instead of as
 * tokenizer.json's model.vocab object and model.merges strings; everything else is read from the json.
 */
export interface PackedModel {
  vocab: PackedVocab;
  /** The merges "a b", packed end to end: merge r is bytes[offsets[r], offsets[r + 1]). */
  merges: { bytes: Uint8Array; offsets: Uint32Array };
}

function readModel(model: Json, kind: BpeModel['kind'], fail: (why: string) => never, packed?: PackedModel): BpeModel {
  if (model.type !== 'BPE') fail(`model.type is ${JSON.stringify(model.type)}; only "BPE" is supported`);
  if (kind === 'byte-level' && model.byte_fallback === true) fail('model.byte_fallback is true with a ByteLevel pre-tokenizer (byte fallback belongs to SentencePiece-style tokenizers)');
  if (model.continuing_subword_prefix || model.end_of_word_suffix) fail('model.continuing_subword_prefix/end_of_word_suffix are not supported');
  let vocab: PackedVocab;
  if (packed) vocab = packed.vocab;
  else {
    const v = model.vocab;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail('model.vocab is missing or not an object');
    vocab = PackedVocab.fromObject(v as Json, (piece) => fail(`model.vocab[${JSON.stringify(piece)}] is not a non-negative integer id`));
  }
  const byteIds = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    if (kind === 'sentencepiece') { byteIds[b] = model.byte_fallback === true ? vocab.idOf(byteToken(b)) ?? -1 : -1; continue; }
    const id = vocab.idOf(BYTE_TO_CHAR[b]);
    if (id === undefined) fail(`model.vocab has no token for byte 0x${b.toString(16).padStart(2, '0')} (${JSON.stringify(BYTE_TO_CHAR[b])})`);
    byteIds[b] = id!;
  }
  let unk = -1;
  if (typeof model.unk_token === 'string') unk = vocab.idOf(model.unk_token) ?? fail(`model.unk_token ${JSON.stringify(model.unk_token)} is not in model.vocab`);
  const [left, right, result] = packed ? packedMerges(packed, fail) : jsonMerges(model.merges, vocab, fail);
  let table: MergeTable;
  try { table = new MergeTable(left, right, result); } catch (e) { return fail((e as Error).message); }
  return { kind, vocab, byteIds, unk, fuseUnk: model.fuse_unk === true, wholePieces: model.ignore_merges === true, table };
}

/** Merge r joins left[r] and right[r] into result[r]. */
type Merges = [left: Int32Array, right: Int32Array, result: Int32Array];

/** tokenizer.json's merges ("a b" strings or [a, b] pairs) as ids. */
function jsonMerges(merges: unknown, vocab: PackedVocab, fail: (why: string) => never): Merges {
  if (!Array.isArray(merges)) return fail('model.merges is missing or not an array');
  const n = merges.length, left = new Int32Array(n), right = new Int32Array(n), result = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const m: unknown = merges[r];
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      return fail(`merge ${r} (${JSON.stringify(m)}) is not a pair of tokens`);
    }
    const a = vocab.idOf(pair[0]), b = vocab.idOf(pair[1]), c = vocab.idOf(pair[0] + pair[1]);
    if (a === undefined || b === undefined || c === undefined) return fail(`merge ${r} (${JSON.stringify(m)}) names a token not in model.vocab`);
    left[r] = a; right[r] = b; result[r] = c;
  }
  return [left, right, result];
}

/** Packed "a b" merges as ids, read from their bytes (a, b and ab are looked up without making strings). */
function packedMerges(packed: PackedModel, fail: (why: string) => never): Merges {
  const { vocab, merges: { bytes, offsets } } = packed;
  const n = offsets.length - 1, left = new Int32Array(n), right = new Int32Array(n), result = new Int32Array(n);
  let joined = new Uint8Array(256);
  const text = (r: number) => JSON.stringify(new TextDecoder().decode(bytes.subarray(offsets[r], offsets[r + 1])));
  for (let r = 0; r < n; r++) {
    const from = offsets[r], to = offsets[r + 1];
    let space = -1, spaces = 0;
    for (let i = from; i < to; i++) if (bytes[i] === 0x20) { spaces++; space = i; }
    if (spaces !== 1) return fail(`merge ${r} (${text(r)}) is not a pair of tokens`);
    if (joined.length < to - from) joined = new Uint8Array(2 * (to - from));
    joined.set(bytes.subarray(from, space), 0);
    joined.set(bytes.subarray(space + 1, to), space - from);
    const a = vocab.idOfBytes(bytes, from, space), b = vocab.idOfBytes(bytes, space + 1, to), c = vocab.idOfBytes(joined, 0, to - from - 1);
    if (a < 0 || b < 0 || c < 0) return fail(`merge ${r} (${text(r)}) names a token not in model.vocab`);
    left[r] = a; right[r] = b; result[r] = c;
  }
  return [left, right, result];
}

/** SentencePiece's name for a byte token: <0x0A>. */
const byteToken = (b: number) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
const BYTE_TOKEN = /^<0x([0-9A-F]{2})>$/;

/** The bytes of a SentencePiece-style token: <0xXX> is that byte, other spellings their UTF-8 after the decoder's replacements ('▁' to ' '). */
function pieceBytes(piece: string, d: PieceDecoder): Uint8Array {
  const byte = d.byteFallback ? BYTE_TOKEN.exec(piece) : null;
  if (byte) return Uint8Array.of(parseInt(byte[1], 16));
  for (const [from, to] of d.replace) piece = piece.split(from).join(to);
  return utf8.encode(piece);
}

/**
 * The bytes a vocabulary spelling stands for. A spelling outside the byte alphabet (an added
 * token listed in the vocab too) stands for its own UTF-8, as HF's ByteLevel decoder reads it.
 */
function spellingBytes(piece: string): Uint8Array {
  const b = new Uint8Array(piece.length);
  for (let i = 0; i < piece.length; i++) {
    const v = CHAR_TO_BYTE.get(piece[i]);
    if (v === undefined) return utf8.encode(piece);
    b[i] = v;
  }
  return b;
}

function readAdded(list: unknown, fail: (why: string) => never): AddedToken[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return fail('added_tokens is not an array');
  return list.map((t, i) => {
    if (t === null || typeof t !== 'object') return fail(`added_tokens[${i}] is not an object`);
    const o = t as Json;
    if (!Number.isInteger(o.id) || (o.id as number) < 0 || typeof o.content !== 'string') fail(`added_tokens[${i}] needs an integer id and a string content`);
    return {
      id: o.id as number, content: o.content as string, special: o.special === true, lstrip: o.lstrip === true,
      rstrip: o.rstrip === true, singleWord: o.single_word === true, normalized: o.normalized === true,
    };
  });
}

export class PretrainedTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly maxTokenBytes: number;
  readonly added: AddedVocabulary;
  private readonly model: BpeModel;
  private readonly normalize: Normalize;
  private readonly preTokenize: PreTokenize;
  private readonly cache = new Map<string, Int32Array>();
  private readonly tokenBytes = new Map<number, Uint8Array>();
  private buf = new Uint8Array(1024);
  /** The decoder of a SentencePiece-style tokenizer; null for byte-level ones. */
  private readonly pieceDecoder: PieceDecoder | null;

  /** `packed`: the vocabulary and merges, given packed instead of in json's model (which then needs neither). */
  constructor(json: unknown, readonly source = 'tokenizer.json', packed?: PackedModel) {
    const fail = (why: string): never => { throw new PonderError(`tokenizer ${source}: ${why}`); };
    if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('the top level is not an object');
    const root = json as Json;
    if (root.model === null || typeof root.model !== 'object') fail('model is missing or not an object');
    const model = root.model as Json;
    const added = readAdded(root.added_tokens, fail);
    const pre = preTokenizerFrom(root.pre_tokenizer, fail);
    // No ByteLevel stage: a SentencePiece-style tokenizer (characters, byte fallback, its own decoder).
    const kind = pre.byteLevel ? 'byte-level' : 'sentencepiece';
    this.model = readModel(model, kind, fail, packed);
    let size = this.model.vocab.size;
    for (const t of added) size = Math.max(size, t.id + 1);
    this.vocabSize = size;
    this.added = new AddedVocabulary(added, source);
    // Byte-level spellings are one character per byte; others at most 3 UTF-8 bytes per UTF-16 unit.
    const perUnit = kind === 'byte-level' ? 1 : 3;
    let longest = Math.max(1, this.model.vocab.longestUnits() * perUnit);
    for (const t of added) longest = Math.max(longest, 3 * t.content.length);
    this.maxTokenBytes = longest;
    this.normalize = normalizerFrom(root.normalizer, fail);
    this.preTokenize = pre.split;
    const dec = root.decoder as Json | null | undefined;
    if (kind === 'byte-level') {
      if (!dec || dec.type !== 'ByteLevel') fail(`decoder is ${JSON.stringify(dec?.type ?? null)}; byte-level BPE needs "ByteLevel"`);
      this.pieceDecoder = null;
    } else {
      if (model.byte_fallback !== true && this.model.unk < 0) fail('a BPE without a ByteLevel pre-tokenizer needs byte_fallback or an unk_token (neither is set)');
      this.pieceDecoder = pieceDecoderFrom(dec, fail);
    }
  }

  /**
   * Text to ids. With allowSpecial, added tokens in the text (<think>, <|im_start|>, ...) are read
   * as their ids, as HF's tokenizers always do; without it, the whole text is ordinary text.
   */
  encode(input: string, opts: EncodeOptions = {}): number[] {
    if (typeof input !== 'string') throw new PonderError(`encode expects a string, got ${typeof input}`);
    const out: number[] = [];
    if (!opts.allowSpecial) { this.encodeOrdinary(this.normalize(input), out); return out; }
    for (const seg of this.added.split(input, this.normalize)) {
      if (seg.id !== undefined) out.push(seg.id);
      else this.encodeOrdinary(seg.text, out);
    }
    return out;
  }

  /** Appends the ids of normalized text that holds no added tokens. */
  private encodeOrdinary(text: string, out: number[]): void {
    if (text === '') return;
    for (const p of this.preTokenize([text])) {
      let ids = this.cache.get(p);
      if (ids === undefined) {
        ids = this.encodePiece(p);
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(p, ids);
      }
      for (let k = 0; k < ids.length; k++) out.push(ids[k]);
    }
  }

  private encodePiece(piece: string): Int32Array {
    if (this.model.kind === 'sentencepiece') return this.encodeChars(piece);
    if (this.buf.length < piece.length * 3) this.buf = new Uint8Array(piece.length * 3);
    const n = utf8.encodeInto(piece, this.buf).written; // lone surrogates -> U+FFFD, as HF
    const b = this.buf.subarray(0, n);
    if (this.model.wholePieces) {
      const whole = this.model.vocab.idOf(bytesToLevel(b));
      if (whole !== undefined) return Int32Array.of(whole);
    }
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) ids[i] = this.model.byteIds[b[i]];
    const m = this.model.table.apply(ids, n);
    return m === n ? ids : ids.slice(0, m);
  }

  /**
   * SentencePiece-style BPE: characters of the vocabulary, else their UTF-8 bytes as <0xXX> tokens
   * (byte fallback), else unk (a run of them one unk with fuse_unk); then merges by rank.
   */
  private encodeChars(piece: string): Int32Array {
    const m = this.model, syms: number[] = [];
    let lastUnk = false;
    for (const ch of piece) {
      const id = m.vocab.idOf(ch);
      if (id !== undefined) { syms.push(id); lastUnk = false; continue; }
      const bytes = Array.from(utf8.encode(ch), (b) => m.byteIds[b]);
      if (bytes.length && bytes.every((b) => b >= 0)) { syms.push(...bytes); lastUnk = false; continue; }
      if (m.unk >= 0 && !(m.fuseUnk && lastUnk)) syms.push(m.unk);
      lastUnk = m.unk >= 0;
    }
    const ids = Int32Array.from(syms);
    const n = m.table.apply(ids, ids.length);
    return n === ids.length ? ids : ids.slice(0, n);
  }

  private check(id: number, i: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize || (!this.model.vocab.has(id) && this.added.get(id) === undefined)) {
      throw new PonderError(`token id ${id} at position ${i} is not in the vocabulary of ${this.source}`);
    }
  }

  private bytesOf(id: number): Uint8Array {
    let b = this.tokenBytes.get(id);
    if (b === undefined) {
      b = this.pieceDecoder ? pieceBytes(this.model.vocab.spelling(id)!, this.pieceDecoder) : spellingBytes(this.model.vocab.spelling(id)!);
      this.tokenBytes.set(id, b);
    }
    return b;
  }

  /** The bytes of ids: added tokens as their UTF-8 content, the rest in GPT-2's byte alphabet. */
  decodeBytes(ids: ArrayLike<number>, opts: DecodeOptions = {}): Uint8Array {
    const parts: Uint8Array[] = [];
    let n = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      this.check(id, i);
      const a = this.added.get(id);
      let b: Uint8Array;
      if (a !== undefined) {
        if (opts.skipSpecial && a.special) continue;
        b = utf8.encode(a.content);
      } else b = this.bytesOf(id);
      parts.push(b);
      n += b.length;
    }
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  /** Ids to text; bytes that are not UTF-8 (a token may hold half a character) become U+FFFD. */
  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    const text = lossy.decode(this.decodeBytes(ids, opts));
    const d = this.pieceDecoder;
    if (!d || d.stripStart === 0) return text;
    // SentencePiece's decoder drops the space its normalizer put before the text.
    let k = 0;
    while (k < d.stripStart && text.startsWith(d.stripContent, k * d.stripContent.length)) k++;
    return text.slice(k * d.stripContent.length);
  }

  piece(id: number): string {
    this.check(id, 0);
    const a = this.added.get(id);
    if (a !== undefined) return a.content;
    return this.model.vocab.spelling(id)!;
  }

  isSpecial(id: number): boolean { return this.added.get(id)?.special === true; }

  tokenId(text: string): number | undefined { return this.added.find(text)?.id; }
}

/**
 * A tokenizer from tokenizer.json's contents: ponder's own (tokenizer.ts: lossless on any string,
 * ponder's fixed special ids) when the file is in ponder's layout, else a pretrained model's.
 * tokenizer_config.json's contents name bos/eos and the chat template, which template.ts and
 * format.ts read; the ids come from tokenizer.json alone. `source` names the file in errors.
 */
export function tokenizerFromJson(json: unknown, tokenizerConfig?: Record<string, unknown>, source = 'tokenizer.json'): TextTokenizer {
  void tokenizerConfig;
  return isPonderTokenizerJson(json) ? fromTokenizerJson(json, source) : new PretrainedTokenizer(json, source);
}
