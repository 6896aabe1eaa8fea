// The tokenizer layer: byte-level BPE (train, encode, decode), special tokens, chat template,
// and tokenizer.json in HuggingFace's format.
export { Tokenizer, type EncodeOptions, type DecodeOptions } from './tokenizer.ts';
export { trainBpe, MIN_VOCAB, type TrainOptions, type Corpus } from './train.ts';
export * from './special.ts';
export { preTokenize, SPLIT_PATTERN_ONIG } from './pretokenize.ts';
export { wtf8Encode, wtf8Decode } from './bytes.ts';
export { toTokenizerJson, fromTokenizerJson, saveTokenizer, loadTokenizer } from './hf.ts';
export { encodeChat, renderChat, type ChatMessage, type ChatOptions } from './chat.ts';
export { type TextTokenizer } from './types.ts';
export { PretrainedTokenizer, tokenizerFromJson } from './pretrained.ts';
export { ChatTemplate, PONDER_CHAT_TEMPLATE, type RenderOptions } from './template.ts';
export { chatFormatFor, decodeReply, opensThink, templateOf, type ChatFormat, type Thinking, type ThinkIds, type FormatSources } from './format.ts';
export { PlaceDigitTokenizer, longestNumber } from './place-digits.ts';
