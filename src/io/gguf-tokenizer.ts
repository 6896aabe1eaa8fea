// The tokenizer inside a GGUF file, to and from Hugging Face's tokenizer.json shape.
//   tokenizer.ggml.model   "gpt2" (byte-level BPE) or "llama" (SentencePiece: tokens with scores)
//   tokenizer.ggml.pre     which pre-tokenizer regex llama.cpp applies (llama-vocab.cpp's list)
//   tokenizer.ggml.tokens, .token_type, .merges, .scores; .bos/.eos/.padding_token_id; .add_bos_token
//   tokenizer.chat_template
// Ponder's own pre-tokenizer is Qwen2's pattern (single digits), which llama.cpp calls "qwen2".
import { isUtf8 } from 'node:buffer';
import { PonderError } from '../errors.ts';
import { SPLIT_PATTERN_ONIG } from '../tokenizer/pretokenize.ts';
import { PretrainedTokenizer, tokenizerFromJson } from '../tokenizer/pretrained.ts';
import { isPonderTokenizerJson } from '../tokenizer/hf.ts';
import { PackedVocab } from '../tokenizer/vocab.ts';
import type { TextTokenizer } from '../tokenizer/types.ts';
import { GGUF_TYPE, kv, packedItems, type GgufKV, type GgufMetadata } from './gguf-values.ts';

type Json = Record<string, unknown>;

/** llama.cpp's token types (llama_token_type). */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

const LLAMA3_PATTERN = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const DEEPSEEK_V3_PRE = {
  type: 'Sequence',
  pretokenizers: [
    { type: 'Split', pattern: { Regex: String.raw`\p{N}{1,3}` }, behavior: 'Isolated', invert: false },
    { type: 'Split', pattern: { Regex: '[一-龥぀-ゟ゠-ヿ]+' }, behavior: 'Isolated', invert: false },
    { type: 'Split', pattern: { Regex: '[!"#$%&\'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+' }, behavior: 'Isolated', invert: false },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
  ],
};

function splitThenByteLevel(pattern: string, trimOffsets: boolean): Json {
  return {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: trimOffsets, use_regex: false },
    ],
  };
}

/** tokenizer.json pre_tokenizer for each llama.cpp pre-type ponder can state exactly. */
function preTokenizerFor(pre: string): Json | null {
  switch (pre) {
    case 'qwen2': case 'deepseek-r1-qwen': return splitThenByteLevel(SPLIT_PATTERN_ONIG, false);
    case 'llama-bpe': return splitThenByteLevel(LLAMA3_PATTERN, true);
    case 'deepseek-v3': return DEEPSEEK_V3_PRE;
    case 'gpt2': case 'default': return { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  }
  return null;
}

/** The llama.cpp pre-type of a tokenizer.json pre_tokenizer, or an error saying it has none. */
function preTypeOf(pre: unknown, where: string): string {
  const regexes: string[] = [];
  const walk = (p: unknown) => {
    if (!p || typeof p !== 'object') return;
    const o = p as Json;
    if (o.type === 'Sequence' && Array.isArray(o.pretokenizers)) o.pretokenizers.forEach(walk);
    if (o.type === 'Split') regexes.push(String((o.pattern as Json | undefined)?.Regex));
    if (o.type === 'ByteLevel' && o.use_regex === true) regexes.push('<gpt2>');
  };
  walk(pre);
  const key = regexes.join('\n');
  if (key === SPLIT_PATTERN_ONIG) return 'qwen2';
  if (key === LLAMA3_PATTERN) return 'llama-bpe';
  if (key === '<gpt2>') return 'gpt2';
  if (key === DEEPSEEK_V3_PRE.pretokenizers.slice(0, 3).map((p) => (p.pattern as Json).Regex).join('\n')) return 'deepseek-v3';
  throw new PonderError(`${where}: the tokenizer's pre-tokenizer matches none that llama.cpp knows by name (qwen2, llama-bpe, deepseek-v3, gpt2)`);
}

function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return undefined;
}

/** Metadata for a byte-level BPE tokenizer.json (+ tokenizer_config.json), padded to vocabSize tokens. */
export function tokenizerToGguf(tokJson: unknown, tokConfig: Json | undefined, hfConfig: Json, vocabSize: number, where: string): [string, GgufKV][] {
  const fail = (why: string): never => { throw new PonderError(`${where}: ${why}`); };
  if (!tokJson || typeof tokJson !== 'object') return fail('tokenizer.json is not an object');
  const root = tokJson as Json, model = root.model as Json | undefined;
  if (!model || model.type !== 'BPE' || model.byte_fallback === true) fail('only byte-level BPE tokenizers can be written to GGUF');
  if (root.ponder_place_digits !== undefined) fail('a place-digit tokenizer (digits with their places) has no GGUF form: llama.cpp would read plain digits');
  const tokens: (string | undefined)[] = new Array(vocabSize);
  const types = new Array<number>(vocabSize).fill(TOKEN_TYPE.UNUSED);
  for (const [piece, id] of Object.entries(model!.vocab as Json)) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= vocabSize) fail(`token ${JSON.stringify(piece)} has id ${id}, outside the model's ${vocabSize} embeddings`);
    tokens[id as number] = piece; types[id as number] = TOKEN_TYPE.NORMAL;
  }
  for (const t of (Array.isArray(root.added_tokens) ? root.added_tokens : []) as Json[]) {
    const id = t.id as number;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) fail(`added token ${JSON.stringify(t.content)} has id ${id}, outside the model's ${vocabSize} embeddings`);
    tokens[id] = String(t.content);
    types[id] = t.special === true ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED;
  }
  // Embedding rows without a token (vocabularies padded to a round size) get placeholders, as convert_hf_to_gguf.py writes.
  for (let i = 0; i < vocabSize; i++) if (tokens[i] === undefined) tokens[i] = `[PAD${i}]`;
  const merges = (model!.merges as unknown[]).map((m) => (Array.isArray(m) ? m.join(' ') : String(m)));
  const special = (hfKey: string, cfgKey: string): number | undefined => {
    const byId = hfConfig[hfKey];
    const id = Array.isArray(byId) ? byId[0] : byId;
    if (Number.isInteger(id)) return id as number;
    const s = tokenString(tokConfig?.[cfgKey]);
    const at = s === undefined ? -1 : tokens.indexOf(s);
    return at < 0 ? undefined : at;
  };
  const out: [string, GgufKV][] = [
    ['tokenizer.ggml.model', kv.str('gpt2')],
    ['tokenizer.ggml.pre', kv.str(preTypeOf(root.pre_tokenizer, where))],
    ['tokenizer.ggml.tokens', kv.strArray(tokens as string[])],
    ['tokenizer.ggml.token_type', kv.i32Array(types)],
    ['tokenizer.ggml.merges', kv.strArray(merges)],
  ];
  const bos = special('bos_token_id', 'bos_token'), eos = special('eos_token_id', 'eos_token'), pad = special('pad_token_id', 'pad_token');
  if (bos !== undefined) out.push(['tokenizer.ggml.bos_token_id', kv.u32(bos)]);
  if (eos !== undefined) out.push(['tokenizer.ggml.eos_token_id', kv.u32(eos)]);
  if (pad !== undefined) out.push(['tokenizer.ggml.padding_token_id', kv.u32(pad)]);
  // Prompts carry their own BOS (chat templates put it in); llama.cpp must not add a second.
  out.push(['tokenizer.ggml.add_bos_token', kv.bool(tokConfig?.add_bos_token === true)]);
  const template = chatTemplateOf(tokConfig);
  if (template !== undefined) out.push(['tokenizer.chat_template', kv.str(template)]);
  return out;
}

function chatTemplateOf(cfg: Json | undefined): string | undefined {
  const t = cfg?.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const d = (t as Json[]).find((x) => x.name === 'default') ?? t[0];
    if (d && typeof (d as Json).template === 'string') return (d as Json).template as string;
  }
  return undefined;
}

export interface GgufTokenizer {
  tokenizerJson: Json;
  tokenizerConfig: Json;
  bosId?: number;
  eosIds: number[];
}

/** tokenizer.json and tokenizer_config.json objects for the tokenizer a GGUF file holds (undefined when it has none). */
export function tokenizerFromGguf(meta: GgufMetadata): GgufTokenizer | undefined {
  const model = meta.string('tokenizer.ggml.model');
  if (model === undefined || model === 'none') return undefined;
  const fail = (why: string): never => { throw new PonderError(`${meta.source}: ${why}`); };
  const tokens = (meta.array('tokenizer.ggml.tokens', [GGUF_TYPE.STRING]) ?? fail('tokenizer.ggml.tokens is missing')) as string[];
  const types = (meta.array('tokenizer.ggml.token_type', [GGUF_TYPE.INT32, GGUF_TYPE.UINT32]) ?? tokens.map(() => TOKEN_TYPE.NORMAL)) as number[];
  if (types.length !== tokens.length) fail(`tokenizer.ggml.token_type has ${types.length} entries for ${tokens.length} tokens`);
  let tokenizerJson: Json;
  if (model === 'gpt2') tokenizerJson = bpeJson(meta, tokens, types, fail);
  else if (model === 'llama') tokenizerJson = sentencePieceJson(meta, tokens, types, fail);
  else return fail(`tokenizer.ggml.model "${model}" is not supported (ponder reads "gpt2" byte-level BPE and "llama" SentencePiece vocabularies)`);
  return { tokenizerJson, ...settingsOf(meta, model, tokens.length, (i) => tokens[i], fail) };
}

/** tokenizer_config.json's settings and the bos/eos ids, from the metadata; tokenAt(i) spells token i. */
function settingsOf(meta: GgufMetadata, model: string, count: number, tokenAt: (i: number) => string, fail: (why: string) => never): Omit<GgufTokenizer, 'tokenizerJson'> {
  const id = (key: string): number | undefined => {
    const v = meta.number(key);
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v >= count)) fail(`${key} ${v} is not a token id (0..${count - 1})`);
    return v;
  };
  const bos = id('tokenizer.ggml.bos_token_id'), eos = id('tokenizer.ggml.eos_token_id'), pad = id('tokenizer.ggml.padding_token_id');
  const eot = id('tokenizer.ggml.eot_token_id');
  const tokenizerConfig: Json = {
    add_bos_token: meta.bool('tokenizer.ggml.add_bos_token') ?? model === 'llama',
    add_eos_token: meta.bool('tokenizer.ggml.add_eos_token') ?? false,
  };
  if (bos !== undefined) tokenizerConfig.bos_token = tokenAt(bos);
  if (eos !== undefined) tokenizerConfig.eos_token = tokenAt(eos);
  if (pad !== undefined) tokenizerConfig.pad_token = tokenAt(pad);
  const template = meta.string('tokenizer.chat_template');
  if (template !== undefined) tokenizerConfig.chat_template = template;
  const eosIds = [...new Set([eos, eot].filter((x): x is number => x !== undefined))];
  return { tokenizerConfig, bosId: bos, eosIds };
}

export interface GgufTextTokenizer extends Omit<GgufTokenizer, 'tokenizerJson'> {
  tokenizer: TextTokenizer;
}

/**
 * The tokenizer a GGUF file holds, ready to encode (undefined when it has none). A byte-level BPE
 * vocabulary the reader kept packed (gguf.ts: a real model's 151,936 tokens and ~151k merges) is
 * built straight from its bytes (tokenizer/vocab.ts), never as 300k strings and a tokenizer.json
 * object: the same tokenizer as tokenizerFromJson(tokenizerFromGguf(meta)) gives, id for id, in a
 * fraction of the memory and time. Other vocabularies (SentencePiece, ponder's own, short ones) go
 * through tokenizer.json.
 */
export function textTokenizerFromGguf(meta: GgufMetadata, source: string): GgufTextTokenizer | undefined {
  const model = meta.string('tokenizer.ggml.model');
  if (model === undefined || model === 'none') return undefined;
  const packed = model === 'gpt2' ? packedVocabulary(meta) : undefined;
  const json = packed && bpeJsonWithout(meta, packed);
  if (!packed || !json || isPonderTokenizerJson(json)) {
    const t = tokenizerFromGguf(meta)!;
    return { tokenizer: tokenizerFromJson(t.tokenizerJson, t.tokenizerConfig, source), tokenizerConfig: t.tokenizerConfig, bosId: t.bosId, eosIds: t.eosIds };
  }
  const fail = (why: string): never => { throw new PonderError(`${meta.source}: ${why}`); };
  const { tokens, types, merges } = packed;
  const vocab = new PackedVocab(tokens.bytes, tokens.offsets, (id) => types[id] !== TOKEN_TYPE.UNUSED);
  const tokenizer = new PretrainedTokenizer(json, source, { vocab, merges });
  return { tokenizer, ...settingsOf(meta, model, types.length, (i) => packedString(tokens, i), fail) };
}

type Packed = { bytes: Uint8Array; offsets: Uint32Array };

/**
 * The vocabulary's tokens, types and merges when the reader kept them packed and every string is
 * UTF-8 on its own (a string that is not would be read as U+FFFD by the tokenizer.json path, whose
 * result this must equal); undefined otherwise.
 */
function packedVocabulary(meta: GgufMetadata): { tokens: Packed; types: Int32Array; merges: Packed } | undefined {
  const strings = (key: string, packedOnly: boolean): Packed | undefined => {
    const e = meta.entries.get(key);
    if (e === undefined && !packedOnly) return { bytes: new Uint8Array(0), offsets: new Uint32Array(1) };
    if (e?.type !== GGUF_TYPE.ARRAY || typeof e.value !== 'object' || e.value.itemType !== GGUF_TYPE.STRING) return undefined;
    const p = packedItems(e.value);
    if (p?.kind === 'strings') return wholeUtf8(p) ? p : undefined;
    // A short list the reader kept as strings (a vocabulary without merges has an empty one): pack it here.
    return packedOnly ? undefined : packStrings(e.value.items as string[]);
  };
  const tokens = strings('tokenizer.ggml.tokens', true), merges = strings('tokenizer.ggml.merges', false);
  if (!tokens || !merges) return undefined;
  const count = tokens.offsets.length - 1;
  const t = meta.entries.get('tokenizer.ggml.token_type');
  let types: Int32Array;
  if (t === undefined) types = new Int32Array(count).fill(TOKEN_TYPE.NORMAL);
  else {
    const p = t.type === GGUF_TYPE.ARRAY && typeof t.value === 'object' && (t.value.itemType === GGUF_TYPE.INT32 || t.value.itemType === GGUF_TYPE.UINT32) ? packedItems(t.value) : undefined;
    if (p?.kind !== 'numbers' || p.bytes.length !== 4 * count) return undefined; // tokenizerFromGguf says what is wrong
    types = new Int32Array(count);
    for (let i = 0; i < count; i++) types[i] = p.bytes.readInt32LE(4 * i);
  }
  return { tokens, types, merges };
}

/** Every packed string is valid UTF-8 by itself: the whole is, and no string starts inside a character. */
function wholeUtf8(p: Packed): boolean {
  if (!isUtf8(p.bytes)) return false;
  const n = p.offsets.length - 1, end = p.offsets[n];
  for (let i = 0; i < n; i++) {
    const at = p.offsets[i];
    if (at < end && (p.bytes[at] & 0xc0) === 0x80) return false;
  }
  return true;
}

function packStrings(items: string[]): Packed {
  const parts = items.map((x) => Buffer.from(x, 'utf8'));
  const offsets = new Uint32Array(items.length + 1);
  parts.forEach((b, i) => { offsets[i + 1] = offsets[i] + b.length; });
  return { bytes: Buffer.concat(parts), offsets };
}

const decoder = new TextDecoder();
function packedString(p: Packed, i: number): string {
  return decoder.decode(p.bytes.subarray(p.offsets[i], p.offsets[i + 1]));
}

/** bpeJson's tokenizer.json without model.vocab and model.merges (the packed vocabulary stands for them); undefined for an unknown pre-type. */
function bpeJsonWithout(meta: GgufMetadata, packed: { tokens: Packed; types: Int32Array }): Json | undefined {
  const pre = meta.string('tokenizer.ggml.pre') ?? 'default';
  const preTokenizer = preTokenizerFor(pre);
  if (!preTokenizer) return undefined; // tokenizerFromGguf says so
  const added: Json[] = [];
  packed.types.forEach((t, id) => {
    if (t === TOKEN_TYPE.CONTROL || t === TOKEN_TYPE.USER_DEFINED) added.push(addedToken(id, packedString(packed.tokens, id), t));
  });
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: null,
    decoder: BYTE_LEVEL_DECODER,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: pre === 'llama-bpe',
    },
  };
}

const BYTE_LEVEL_DECODER = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

function addedToken(id: number, content: string, t: number): Json {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: t !== TOKEN_TYPE.CONTROL, special: t === TOKEN_TYPE.CONTROL };
}

function addedTokens(tokens: string[], types: number[]): Json[] {
  const out: Json[] = [];
  types.forEach((t, id) => {
    if (t === TOKEN_TYPE.CONTROL || t === TOKEN_TYPE.USER_DEFINED) {
      out.push(addedToken(id, tokens[id], t));
    }
  });
  return out;
}

function bpeJson(meta: GgufMetadata, tokens: string[], types: number[], fail: (why: string) => never): Json {
  const pre = meta.string('tokenizer.ggml.pre') ?? 'default';
  const preTokenizer = preTokenizerFor(pre) ?? fail(`tokenizer.ggml.pre "${pre}" is not supported (ponder knows qwen2, deepseek-r1-qwen, llama-bpe, deepseek-v3, gpt2, default)`);
  const merges = (meta.array('tokenizer.ggml.merges', [GGUF_TYPE.STRING]) ?? []) as string[];
  const vocab: Json = Object.create(null);
  tokens.forEach((t, id) => { if (types[id] !== TOKEN_TYPE.UNUSED) vocab[t] = id; });
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: addedTokens(tokens, types),
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: null,
    decoder: BYTE_LEVEL_DECODER,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: pre === 'llama-bpe', vocab, merges,
    },
  };
}

/**
 * A SentencePiece (Llama 2 style) vocabulary as the tokenizer.json HF's converter makes: BPE with
 * byte fallback, merges derived from the pieces' scores (SentencePieceExtractor's rule: every split
 * of a piece into two pieces of the vocabulary, ordered by the piece's score).
 */
function sentencePieceJson(meta: GgufMetadata, tokens: string[], types: number[], fail: (why: string) => never): Json {
  const scores = (meta.array('tokenizer.ggml.scores', [GGUF_TYPE.FLOAT32]) ?? fail('tokenizer.ggml.scores is missing (a SentencePiece vocabulary needs them)')) as number[];
  if (scores.length !== tokens.length) fail(`tokenizer.ggml.scores has ${scores.length} entries for ${tokens.length} tokens`);
  const vocab: Json = Object.create(null);
  const idOf = new Map<string, number>();
  tokens.forEach((t, id) => { vocab[t] = id; if (types[id] === TOKEN_TYPE.NORMAL) idOf.set(t, id); });
  const merges: { pair: string; score: number; l: number; r: number }[] = [];
  for (const [piece, id] of idOf) {
    const chars = [...piece];
    for (let k = 1; k < chars.length; k++) {
      const a = chars.slice(0, k).join(''), b = chars.slice(k).join('');
      const l = idOf.get(a), r = idOf.get(b);
      if (l !== undefined && r !== undefined) merges.push({ pair: `${a} ${b}`, score: scores[id], l, r });
    }
  }
  merges.sort((x, y) => y.score - x.score || x.l - y.l || x.r - y.r);
  const unk = types.indexOf(TOKEN_TYPE.UNKNOWN);
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: addedTokens(tokens, types),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: {
      type: 'BPE', dropout: null, unk_token: unk >= 0 ? tokens[unk] : null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges: merges.map((m) => m.pair),
    },
  };
}
