// The text stages of a tokenizer.json before BPE: the normalizer (Unicode forms, lowercasing)
// and the pre-tokenizer (regex splits, GPT-2's byte-level split). Each is read from its JSON into
// a plain function; a stage ponder does not implement is refused by name, so a model never runs
// with a silently different tokenization.
import { PonderError } from '../errors.ts';
import { onigToJs } from './onig.ts';

type Json = Record<string, unknown>;
export type Normalize = (s: string) => string;
/** Splits each piece further; pieces are never empty. */
export type PreTokenize = (pieces: string[]) => string[];

/** GPT-2's pattern, which ByteLevel with use_regex: true splits on. */
const GPT2_PATTERN = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The normalizer of a tokenizer.json (null: none). */
export function normalizerFrom(spec: unknown, fail: (why: string) => never): Normalize {
  if (spec === null || spec === undefined) return (s) => s;
  if (!isObj(spec)) return fail('normalizer is not an object');
  switch (spec.type) {
    case 'NFC': case 'NFD': case 'NFKC': case 'NFKD': {
      const form = spec.type;
      return (s) => s.normalize(form);
    }
    case 'Lowercase': return (s) => s.toLowerCase();
    // SentencePiece-style (Llama 2's tokenizer.json): '▁' before non-empty text, spaces as '▁'.
    case 'Prepend': {
      const pre = typeof spec.prepend === 'string' ? spec.prepend : fail('normalizer Prepend has no string prepend');
      return (s) => (s === '' ? s : pre + s);
    }
    case 'Replace': {
      const re = regexOf(spec.pattern, fail), content = typeof spec.content === 'string' ? spec.content : fail('normalizer Replace has no string content');
      return (s) => s.replace(re, () => content);
    }
    case 'Sequence': {
      const parts = Array.isArray(spec.normalizers) ? spec.normalizers.map((n) => normalizerFrom(n, fail)) : fail('normalizer Sequence has no normalizers list');
      return parts.length === 0 ? (s) => s : (s) => parts.reduce((t, f) => f(t), s);
    }
    default: return fail(`normalizer ${JSON.stringify(spec.type)} is not supported (NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace and Sequence are)`);
  }
}

/** Splits s by a global regex; Isolated keeps matches and the gaps between them as pieces, Removed only the gaps. */
function splitBy(re: RegExp, removeMatches: boolean, s: string, out: string[]): void {
  let prev = 0;
  re.lastIndex = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    if (m.index > prev) out.push(s.slice(prev, m.index));
    if (!removeMatches) out.push(m[0]);
    prev = m.index + m[0].length;
  }
  if (prev < s.length) out.push(s.slice(prev));
}

function regexOf(pattern: unknown, fail: (why: string) => never): RegExp {
  if (!isObj(pattern)) return fail('a Split pre-tokenizer has no pattern');
  if (typeof pattern.Regex === 'string') {
    try { return new RegExp(onigToJs(pattern.Regex), 'gu'); } catch (e) { return fail((e as Error).message); }
  }
  if (typeof pattern.String === 'string') return new RegExp(pattern.String.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'), 'gu');
  return fail('a Split pattern is neither {Regex} nor {String}');
}

/**
 * The decoder of a SentencePiece-style tokenizer.json (Llama 2's: Replace '▁' by ' ', ByteFallback,
 * Fuse, Strip one leading space) as its parts; byte-level decoders are checked by the tokenizer.
 */
export interface PieceDecoder { replace: [string, string][]; byteFallback: boolean; stripStart: number; stripContent: string }

export function pieceDecoderFrom(spec: unknown, fail: (why: string) => never): PieceDecoder {
  const out: PieceDecoder = { replace: [], byteFallback: false, stripStart: 0, stripContent: ' ' };
  const steps = isObj(spec) && spec.type === 'Sequence' && Array.isArray(spec.decoders) ? spec.decoders : [spec];
  for (const d of steps) {
    if (!isObj(d)) return fail('decoder is missing or not an object');
    if (d.type === 'Replace' && isObj(d.pattern) && typeof d.pattern.String === 'string' && typeof d.content === 'string') out.replace.push([d.pattern.String, d.content]);
    else if (d.type === 'ByteFallback') out.byteFallback = true;
    else if (d.type === 'Fuse') continue;
    else if (d.type === 'Strip' && typeof d.content === 'string' && Number.isInteger(d.start) && d.stop === 0) { out.stripStart = d.start as number; out.stripContent = d.content; }
    else return fail(`decoder ${JSON.stringify(d.type)} is not supported for a SentencePiece-style tokenizer (Replace, ByteFallback, Fuse and Strip are)`);
  }
  return out;
}

/** The pre-tokenizer of a tokenizer.json. Byte-level BPE needs a ByteLevel stage: `byteLevel` says whether one was seen. */
export function preTokenizerFrom(spec: unknown, fail: (why: string) => never): { split: PreTokenize; byteLevel: boolean } {
  if (spec === null || spec === undefined) return { split: (p) => p, byteLevel: false };
  if (!isObj(spec)) return fail('pre_tokenizer is not an object');
  switch (spec.type) {
    case 'Sequence': {
      if (!Array.isArray(spec.pretokenizers)) return fail('pre_tokenizer Sequence has no pretokenizers list');
      const stages = spec.pretokenizers.map((p) => preTokenizerFrom(p, fail));
      return { split: (pieces) => stages.reduce((ps, st) => st.split(ps), pieces), byteLevel: stages.some((s) => s.byteLevel) };
    }
    case 'Split': {
      if (spec.invert === true) fail('a Split pre-tokenizer with invert: true is not supported');
      const behavior = spec.behavior;
      if (behavior !== 'Isolated' && behavior !== 'Removed') fail(`Split behavior ${JSON.stringify(behavior)} is not supported (Isolated and Removed are)`);
      const re = regexOf(spec.pattern, fail);
      return {
        split: (pieces) => { const out: string[] = []; for (const p of pieces) splitBy(re, behavior === 'Removed', p, out); return out; },
        byteLevel: false,
      };
    }
    case 'ByteLevel': {
      const re = spec.use_regex === false ? null : new RegExp(onigToJs(GPT2_PATTERN), 'gu');
      const prefix = spec.add_prefix_space === true;
      return {
        split: (pieces) => {
          const out: string[] = [];
          for (let p of pieces) {
            if (prefix && !p.startsWith(' ')) p = ' ' + p;
            if (re) splitBy(re, false, p, out); else out.push(p);
          }
          return out;
        },
        byteLevel: true,
      };
    }
    default: return fail(`pre_tokenizer ${JSON.stringify(spec.type)} is not supported (Sequence, Split and ByteLevel are)`);
  }
}
