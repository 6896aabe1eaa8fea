// Helpers the commands share: the embedded model's location, the one --model flag, number flags.
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { PonderError } from '../errors.ts';
import { loadAnyModel, loadTrainable, type LoadedModel } from '../model/load.ts';
import { chatFormatFor, type ChatFormat, type TextTokenizer, type Tokenizer } from '../tokenizer/index.ts';

/** The model that ships with ponder (made by `npm run speedrun`, committed). */
export const EMBEDDED_MODEL = fileURLToPath(new URL('../../models/ponder-r1-zero', import.meta.url));

/** A model for ponder's training and evaluation loops: any format ponder reads, with ponder's tokenizer. */
export function loadModel(path: string | undefined): LoadedModel & { tokenizer: Tokenizer } {
  const dir = path ?? EMBEDDED_MODEL;
  if (!path && !existsSync(dir)) throw new PonderError(`no --checkpoint given and the embedded model is missing at ${dir} (run \`npm run speedrun\`)`);
  return loadTrainable(dir);
}

/** The flags every model-running command takes: --model (HF folder, .gguf, ponder checkpoint) and its old name --checkpoint. */
export const MODEL_FLAGS = { model: { type: 'string' }, checkpoint: { type: 'string' } } as const;

/** The model path of a command: --model, --checkpoint, PONDER_MODEL, else the embedded model. */
export function modelPath(values: { model?: string; checkpoint?: string }): string {
  if (values.model !== undefined && values.checkpoint !== undefined) throw new PonderError('--model and --checkpoint name the same thing: give one');
  const given = values.model ?? values.checkpoint ?? (process.env.PONDER_MODEL || undefined);
  if (given === undefined && !existsSync(EMBEDDED_MODEL)) throw new PonderError(`no --model given and the embedded model is missing at ${EMBEDDED_MODEL} (run \`npm run speedrun\`)`);
  return given ?? EMBEDDED_MODEL;
}

export interface ChatModel extends LoadedModel {
  tokenizer: TextTokenizer;
  /** How conversations become prompts; null for a pretrained model without a chat template (raw text only). */
  chat: ChatFormat | null;
  /** The name the server lists: the folder or file name (without .gguf). */
  name: string;
}

/** Loads any model a command can run, with its tokenizer and chat format. */
export function loadChatModel(path: string): ChatModel {
  const loaded = loadAnyModel(path);
  if (!loaded.tokenizer) throw new PonderError(`${path}: the model has no tokenizer (tokenizer.json, or the GGUF's vocabulary)`);
  const chat = chatFormatFor(loaded.tokenizer, {
    tokenizerConfig: loaded.tokenizerConfig, generationConfig: loaded.generationConfig, eosIds: loaded.eosIds, source: path,
  });
  return { ...loaded, tokenizer: loaded.tokenizer, chat, name: basename(resolve(path)).replace(/\.gguf$/i, '') };
}

/** The chat format, or a clear error for a model that has none. */
export function needChat(m: ChatModel): ChatFormat {
  if (!m.chat) throw new PonderError(`${m.source}: no chat template (tokenizer_config.json chat_template): use --raw for plain text`);
  return m.chat;
}

export function num(name: string, v: string | undefined, fallback: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x) || (opts.int && !Number.isInteger(x)) || (opts.min !== undefined && x < opts.min) || (opts.max !== undefined && x > opts.max)) {
    const range = opts.min !== undefined || opts.max !== undefined ? ` in [${opts.min ?? '-∞'}, ${opts.max ?? '∞'}]` : '';
    throw new PonderError(`--${name} must be ${opts.int ? 'an integer' : 'a number'}${range}, got '${v}'`);
  }
  return x;
}
