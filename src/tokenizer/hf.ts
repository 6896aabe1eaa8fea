// tokenizer.json in HuggingFace's format, so that HF tokenizers (Rust, Python, JS) load ours and
// give the same ids. The layout follows Qwen2's: no normalizer; pre-tokenizer Sequence[Split on
// our pattern (Isolated), ByteLevel without its own regex]; BPE model; ByteLevel decoder.
// Special tokens sit in model.vocab at ids 0..7 and again in added_tokens with special: true.
import { readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { PonderError } from '../errors.ts';
import { levelToBytes } from './bytes.ts';
import { SPLIT_PATTERN_ONIG } from './pretokenize.ts';
import { BYTE_BASE, SPECIAL_TOKENS } from './special.ts';
import { Tokenizer } from './tokenizer.ts';
import { PlaceDigitTokenizer } from './place-digits.ts';

const PRE_TOKENIZER = {
  type: 'Sequence',
  pretokenizers: [
    { type: 'Split', pattern: { Regex: SPLIT_PATTERN_ONIG }, behavior: 'Isolated', invert: false },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
  ],
};
const DECODER = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

/**
 * The tokenizer as a tokenizer.json object. A place-digit tokenizer adds its digit tokens ("7@3")
 * to model.vocab and `ponder_place_digits` (its places) at the top: only ponder reads it as one;
 * HF's libraries would load the BPE and never produce those ids.
 */
export function toTokenizerJson(tok: Tokenizer): Record<string, unknown> {
  // No prototype: a token may be spelled "__proto__".
  const vocab: Record<string, number> = Object.create(null);
  for (let id = 0; id < tok.vocabSize; id++) vocab[tok.piece(id)] = id;
  return {
    ...(tok instanceof PlaceDigitTokenizer ? { ponder_place_digits: tok.places } : {}),
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: PRE_TOKENIZER,
    post_processor: null,
    decoder: DECODER,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      // "a b" strings: byte-level pieces never hold a space, and every HF version reads this form.
      merges: tok.merges.map(([a, b]) => `${tok.piece(a)} ${tok.piece(b)}`),
    },
  };
}

/** Writes tokenizer.json atomically (temp file, then rename). */
export function saveTokenizer(tok: Tokenizer, path: string): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, JSON.stringify(toTokenizerJson(tok)) + '\n');
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* nothing was written */ }
    throw new PonderError(`cannot write tokenizer ${path}: ${(e as Error).message}`);
  }
}

/** Reads a tokenizer.json written by saveTokenizer. Anything else is a PonderError naming the file. */
export function loadTokenizer(path: string): Tokenizer {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new PonderError(`cannot read tokenizer ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try { json = JSON.parse(text); } catch (e) {
    throw new PonderError(`tokenizer ${path} is not valid JSON (corrupt or truncated?): ${(e as Error).message}`);
  }
  return fromTokenizerJson(json, path);
}

/** Whether a tokenizer.json object is in ponder's own layout (its split, its special tokens at their ids). */
export function isPonderTokenizerJson(json: unknown): boolean {
  if (json === null || typeof json !== 'object') return false;
  const root = json as Record<string, unknown>;
  if (JSON.stringify(root.pre_tokenizer) !== JSON.stringify(PRE_TOKENIZER) || !Array.isArray(root.added_tokens)) return false;
  const added = root.added_tokens as { id?: unknown; content?: unknown }[];
  return SPECIAL_TOKENS.every((s, id) => added.some((t) => t?.content === s && t.id === id));
}

/** Rebuilds a tokenizer from a tokenizer.json object; `source` names it in errors. */
export function fromTokenizerJson(json: unknown, source = 'tokenizer.json'): Tokenizer {
  const fail = (why: string): never => { throw new PonderError(`tokenizer ${source}: ${why}`); };
  const obj = (v: unknown, what: string) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(`${what} is missing or not an object`);
  const root = obj(json, 'the top level');
  const model = obj(root.model, 'model');
  if (model.type !== 'BPE') fail(`model.type is ${JSON.stringify(model.type)}, expected "BPE"`);
  if (JSON.stringify(root.pre_tokenizer) !== JSON.stringify(PRE_TOKENIZER)) {
    fail('pre_tokenizer is not ponder\'s (Split on the Qwen2-style pattern, then ByteLevel); other pre-tokenizers are not supported');
  }
  if (root.normalizer != null) fail('a normalizer is not supported (ponder encodes text as it is)');
  const vocab = obj(model.vocab, 'model.vocab');
  if (!Array.isArray(model.merges)) fail('model.merges is missing or not an array');
  const added = Array.isArray(root.added_tokens) ? root.added_tokens : fail('added_tokens is missing or not an array');
  SPECIAL_TOKENS.forEach((s, id) => {
    const t = added.find((x) => x && (x as { content?: unknown }).content === s) as { id?: unknown; special?: unknown } | undefined;
    if (!t || t.id !== id || t.special !== true) fail(`special token ${s} must be an added special token with id ${id}`);
    if (vocab[s] !== id) fail(`model.vocab must map ${s} to ${id}`);
  });

  // Ids of ordinary tokens by their byte-level spelling, for reading the merges.
  const idOf = new Map<string, number>();
  for (const [piece, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id)) fail(`model.vocab[${JSON.stringify(piece)}] is not an integer id`);
    if ((id as number) >= BYTE_BASE) {
      if (levelToBytes(piece) === null) fail(`model.vocab has ${JSON.stringify(piece)}, which is not in the byte-level alphabet`);
      idOf.set(piece, id as number);
    }
  }
  const merges: [number, number][] = (model.merges as unknown[]).map((m, r) => {
    let pair: unknown[] | undefined;
    if (typeof m === 'string') pair = m.split(' ');
    else if (Array.isArray(m)) pair = m;
    if (!pair || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      return fail(`merge ${r} (${JSON.stringify(m)}) is not a pair of tokens`);
    }
    const a = idOf.get(pair[0]), b = idOf.get(pair[1]);
    if (a === undefined || b === undefined) fail(`merge ${r} (${JSON.stringify(m)}) names a token not in model.vocab`);
    return [a!, b!];
  });
  const places = root.ponder_place_digits;
  if (places !== undefined && (!Number.isInteger(places) || (places as number) < 1 || (places as number) > 64)) {
    fail(`ponder_place_digits is ${JSON.stringify(places)}, expected an integer in 1..64`);
  }
  let tok: Tokenizer;
  try { tok = places === undefined ? new Tokenizer(merges) : new PlaceDigitTokenizer(merges, places as number); } catch (e) { return fail((e as Error).message); }
  // The vocabulary the merges (and places) imply must be the file's, id for id.
  if (Object.keys(vocab).length !== tok.vocabSize) {
    fail(`model.vocab has ${Object.keys(vocab).length} tokens but the bytes and merges${places === undefined ? '' : ' and places'} make ${tok.vocabSize}`);
  }
  for (let id = BYTE_BASE; id < tok.vocabSize; id++) {
    const piece = tok.piece(id);
    if (vocab[piece] !== id) fail(`model.vocab gives ${JSON.stringify(piece)} id ${vocab[piece]}, but bytes and merges put it at ${id}`);
  }
  return tok;
}
