// A loaded model as the files of a Hugging Face folder. Ponder's own models export as
// LlamaForCausalLM (or the architecture they were imported as) with ponder's tokenizer in
// tokenizer.json and ponder's chat format as a Jinja chat_template, so transformers, TRL or veRL
// continue where ponder stopped; imported models keep the tokenizer files they came with.
import { PonderError } from '../errors.ts';
import { PlaceDigitTokenizer, Tokenizer, toTokenizerJson, PONDER_CHAT_TEMPLATE, SPECIAL_TOKENS, BOS_ID, EOS_ID, PAD_ID } from '../tokenizer/index.ts';
import type { HfFolderContents } from '../io/hf.ts';
import { hfConfigFromModel, type HfConfigExtras } from './hf-config.ts';
import type { LoadedModel } from './load.ts';

type Json = Record<string, unknown>;

/** config.json, weights, tokenizer and generation files for `loaded`. */
export function hfFolderOf(loaded: LoadedModel): HfFolderContents {
  const ponderTokens = loaded.tokenizer instanceof Tokenizer;
  if (loaded.tokenizer instanceof PlaceDigitTokenizer) {
    // HF's tokenizers would read every digit as its plain byte token, which this model never saw.
    throw new PonderError('this model reads digits with their places (a place-digit tokenizer), which Hugging Face and GGUF tokenizers cannot express: it runs in ponder only');
  }
  const tensors = loaded.model.namedParameters().map(([n, t]): [string, { shape: number[]; data: Float32Array }] => [n, { shape: [...t.shape], data: t.data }]);
  if (ponderTokens) {
    const ids: HfConfigExtras = { bos_token_id: BOS_ID, eos_token_id: EOS_ID, pad_token_id: PAD_ID };
    return {
      hfConfig: hfConfigFromModel(loaded.config, ids),
      tensors,
      tokenizerJson: toTokenizerJson(loaded.tokenizer as Tokenizer),
      tokenizerConfig: ponderTokenizerConfig(loaded.config.max_seq_len),
      generationConfig: { ...ids, transformers_version: '4.46.0' },
    };
  }
  // An imported model: its own special ids and tokenizer files, as they came.
  const src = loaded.hfConfig ?? loaded.generationConfig ?? {};
  const extras: HfConfigExtras = {};
  for (const k of ['bos_token_id', 'eos_token_id', 'pad_token_id'] as const) if (src[k] !== undefined && src[k] !== null) (extras as Json)[k] = src[k];
  return {
    hfConfig: hfConfigFromModel(loaded.config, extras),
    tensors,
    tokenizerJson: loaded.tokenizerJson,
    tokenizerConfig: loaded.tokenizerConfig,
    generationConfig: loaded.generationConfig ?? (loaded.eosIds.length ? { eos_token_id: loaded.eosIds.length === 1 ? loaded.eosIds[0] : loaded.eosIds } : undefined),
  };
}

/** tokenizer_config.json for ponder's tokenizer: its special tokens and chat template, as transformers reads them. */
export function ponderTokenizerConfig(maxLen: number): Json {
  const decoder: Record<string, Json> = {};
  SPECIAL_TOKENS.forEach((content, id) => {
    decoder[String(id)] = { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  });
  return {
    added_tokens_decoder: decoder,
    bos_token: SPECIAL_TOKENS[BOS_ID],
    eos_token: SPECIAL_TOKENS[EOS_ID],
    pad_token: SPECIAL_TOKENS[PAD_ID],
    chat_template: PONDER_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    model_max_length: maxLen,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
}
