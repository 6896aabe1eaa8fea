// The model of sft, align and rl: any format ponder reads (a ponder checkpoint, a Hugging Face
// folder, a .gguf file as float32), with what the loops need to write its conversations: ponder's
// chat format for ponder's tokenizer, or the model's own Jinja chat template and EOS ids for an
// imported one, whose tokenizer files then travel into every checkpoint.
import { existsSync } from 'node:fs';
import { PonderError } from '../errors.ts';
import { loadAnyModel, type LoadedModel } from '../model/load.ts';
import type { TokenizerFiles } from '../io/checkpoint.ts';
import { chatFormatFor, Tokenizer, type ChatFormat, type TextTokenizer } from '../tokenizer/index.ts';
import { EMBEDDED_MODEL } from './shared.ts';

export interface TrainableModel extends LoadedModel {
  tokenizer: TextTokenizer;
  /** How conversations become ids: ponder's format, or the model's template. */
  chat: ChatFormat;
  /** An imported model's tokenizer files (undefined for ponder's tokenizer). */
  tokenizerFiles: TokenizerFiles | undefined;
}

/** --model and its old name --checkpoint (one of them), else the embedded model. */
export function trainablePath(values: { model?: string; checkpoint?: string }): string {
  if (values.model !== undefined && values.checkpoint !== undefined && values.model !== values.checkpoint) throw new PonderError('--model and --checkpoint name the same thing: give one');
  const given = values.model ?? values.checkpoint;
  if (given === undefined && !existsSync(EMBEDDED_MODEL)) throw new PonderError(`no --model given and the embedded model is missing at ${EMBEDDED_MODEL} (run \`npm run speedrun\`)`);
  return given ?? EMBEDDED_MODEL;
}

export function loadTrainableChat(path: string, command: string): TrainableModel {
  const l = loadAnyModel(path);
  if (!l.tokenizer) throw new PonderError(`${path}: the model has no tokenizer.json (for a .gguf: no vocabulary in the file)`);
  const chat = chatFormatFor(l.tokenizer, { tokenizerConfig: l.tokenizerConfig, generationConfig: l.generationConfig, eosIds: l.eosIds, source: path });
  if (!chat) {
    throw new PonderError(`${path}: ${command} writes conversations with the model's chat template, and this model has none (tokenizer_config.json chat_template); continue it with \`ponder pretrain --model\``);
  }
  const imported = !(l.tokenizer instanceof Tokenizer);
  return {
    ...l, tokenizer: l.tokenizer, chat,
    // A GGUF has no generation_config.json: its EOS ids are kept in one, so the checkpoint stops where the model did.
    tokenizerFiles: imported ? {
      tokenizerJson: l.tokenizerJson, tokenizerConfig: l.tokenizerConfig, sourceConfig: l.hfConfig,
      generationConfig: l.generationConfig ?? (l.eosIds.length ? { eos_token_id: l.eosIds.length === 1 ? l.eosIds[0] : l.eosIds } : undefined),
    } : undefined,
  };
}
