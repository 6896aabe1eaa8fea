// What generation, chat and the server need of a tokenizer, whoever made it: ponder's own
// (tokenizer.ts, fixed special ids) or a pretrained model's (pretrained.ts, ids from its
// tokenizer.json).

export interface EncodeOptions {
  /** Read special token strings in the text as special tokens (default false: plain bytes). */
  allowSpecial?: boolean;
}

export interface DecodeOptions {
  /** Leave special tokens out of the output (default false). */
  skipSpecial?: boolean;
}

export interface TextTokenizer {
  /** One more than the largest id: the ids a model may sample. */
  readonly vocabSize: number;
  /** The longest token in bytes (a text of B bytes is at least B / this many tokens). */
  readonly maxTokenBytes: number;
  encode(input: string, opts?: EncodeOptions): number[];
  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string;
  /** The bytes of ids, for streaming (a character may span tokens). */
  decodeBytes(ids: ArrayLike<number>, opts?: DecodeOptions): Uint8Array;
  /** A token's spelling in the vocabulary (byte-level, e.g. "Ġthe"; specials as their strings). */
  piece(id: number): string;
  /** A control token (turn markers, end of text): no text of the answer. */
  isSpecial(id: number): boolean;
  /** The id of a token the vocabulary holds as one whole string (e.g. "<think>"), else undefined. */
  tokenId(text: string): number | undefined;
}
