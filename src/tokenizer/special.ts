// Special tokens for documents, chat and reasoning. They hold the first ids of every ponder
// vocabulary, in this order, so their ids never depend on the vocabulary size:
//
//   0 <|pad|>            padding (never trained on; attention/loss masks skip it)
//   1 <|begin_of_text|>  starts every document and every chat
//   2 <|end_of_text|>    ends a document and each chat turn; the generation stop token
//   3 <|system|>  4 <|user|>  5 <|assistant|>   open a turn of that role
//   6 <think>  7 </think>                         enclose the assistant's reasoning
//
// Ordinary text never yields them: encode() reads "<think>" typed by a user as the bytes
// '<', 'think', '>'. Only encode(text, { allowSpecial: true }), encodeChat or specialId put them in.
import { PonderError } from '../errors.ts';

export const SPECIAL_TOKENS = [
  '<|pad|>',
  '<|begin_of_text|>',
  '<|end_of_text|>',
  '<|system|>',
  '<|user|>',
  '<|assistant|>',
  '<think>',
  '</think>',
] as const;

export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

export const PAD_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const SYSTEM_ID = 3;
export const USER_ID = 4;
export const ASSISTANT_ID = 5;
export const THINK_ID = 6;
export const END_THINK_ID = 7;

/** Ordinary ids start here: byte b is token BYTE_BASE + b, merges follow. */
export const BYTE_BASE = SPECIAL_TOKENS.length;

/** The id of a special token by its exact string. */
export function specialId(name: string): number {
  const i = (SPECIAL_TOKENS as readonly string[]).indexOf(name);
  if (i < 0) throw new PonderError(`unknown special token '${name}' (known: ${SPECIAL_TOKENS.join(' ')})`);
  return i;
}

/** The string of a special token id. */
export function specialName(id: number): SpecialToken {
  if (!Number.isInteger(id) || id < 0 || id >= SPECIAL_TOKENS.length) {
    throw new PonderError(`id ${id} is not a special token id (0..${SPECIAL_TOKENS.length - 1})`);
  }
  return SPECIAL_TOKENS[id];
}

/** Matches any special token string, for encode(text, { allowSpecial: true }). */
export function specialRegex(): RegExp {
  return new RegExp(SPECIAL_TOKENS.map((s) => s.replace(/[|]/g, '\\|')).join('|'), 'g');
}
