// Helpers the commands share: the embedded model's location, the one --model flag, number flags.
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { keepYoungGenerationSmall } from './young-generation.ts';
import { collectLoadGarbage } from './load-garbage.ts';
import { openGguf, type GgufFile } from '../io/gguf.ts';
import { PonderError } from '../errors.ts';
import { describeGguf, describeHf, loadAnyModel, loadTrainable, type LoadedModel } from '../model/load.ts';
import { chatFormatFor, type ChatFormat, type TextTokenizer, type Tokenizer } from '../tokenizer/index.ts';
import { createRunner, type Runner } from '../infer/runner/index.ts';
import { Engine, type EngineFinish, type EngineHandle, type EngineOptions } from '../infer/engine.ts';
import { Transformer } from '../model/transformer.ts';
import { generate } from '../infer/generate.ts';

/** The model that ships with ponder: the assistant of a tiny world (made by `npm run speedrun`, committed). */
export const EMBEDDED_MODEL = fileURLToPath(new URL('../../models/ponder-assistant', import.meta.url));

/**
 * The R1-Zero multiplier (`ponder speedrun --preset r1-zero --install`, committed): the earlier
 * embedded model, kept as a trained model whose greedy output is peaked (products), which the
 * GGUF/Hugging Face export tests compare against llama.cpp.
 */
export const R1_ZERO_MODEL = fileURLToPath(new URL('../../models/ponder-r1-zero', import.meta.url));

/** A model in any format ponder reads, with ponder's tokenizer (default the embedded model); sft, align and rl load through trainable.ts. */
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
  return { ...loaded, tokenizer: loaded.tokenizer, chat, name: modelName(path) };
}

/** The generation engine on a served model (either kind). */
export function engineFor(model: Transformer | Runner, opts: EngineOptions = {}): EngineHandle {
  return model instanceof Transformer ? new Engine(model, opts) : new Engine(model, opts);
}

/** A model to run (not train): a .gguf or Hugging Face folder on the quantised runner, anything else (or a GGUF it refuses) as float32. */
export interface ServedModel extends Omit<ChatModel, 'model'> {
  /** The quantised runner for a .gguf or Hugging Face folder it can run, else the float32 Transformer. */
  model: Transformer | Runner;
  /** Set when the quantised runner serves the model: what it holds in memory. */
  runner: { fileBytes: number; kvBytesPerToken: number; bytesPerToken: number } | null;
}

/**
 * Loads a model for generate, chat and serve. A .gguf file or a Hugging Face folder runs on the
 * quantised runner (weights memory-mapped and multiplied in place: a bf16 folder stays bf16); a
 * GGUF type the runner refuses (Q4_1, Q5_1) falls back to float32 with one line on stderr saying
 * so. PONDER_RUNTIME=f32 loads either as the float32 Transformer instead (the training path's
 * model, e.g. to compare the two).
 */
export function loadServedModel(path: string, log: (line: string) => void = (l) => console.error(l)): ServedModel {
  if (runtimeChoice() === 'runner' && runnerReads(path)) {
    keepYoungGenerationSmall(); // (main.ts does it before the command loads; here for other callers)
    // A GGUF file is opened and its header read once, for the runner and for the tokenizer both.
    const gguf = statSync(path).isFile() ? openGguf(path) : null;
    let served: ServedModel | null;
    try {
      served = onRunner(path, gguf, log);
    } finally {
      gguf?.close();
    }
    if (served) {
      collectLoadGarbage(); // the header's and the tokenizer build's garbage (load-garbage.ts)
      return served;
    }
  }
  return { ...loadChatModel(path), runner: null };
}

/** The model on the quantised runner, or null for a GGUF type the runner refuses (said on `log`). */
function onRunner(path: string, gguf: GgufFile | null, log: (line: string) => void): ServedModel | null {
  let loaded: ReturnType<typeof createRunner>;
  try {
    loaded = createRunner(gguf ?? path);
  } catch (e) {
    if (!(e instanceof PonderError && /not supported by the quantised runner/.test(e.message))) throw e;
    log(`ponder: ${e.message.replace(/\.$/, '')}; loading it as float32 instead`);
    return null;
  }
  const d = 'parts' in loaded.model ? describeHf(loaded.model.parts) : describeGguf(gguf!);
  if (!d.tokenizer) throw new PonderError(`${path}: the model has no tokenizer (${'parts' in loaded.model ? 'tokenizer.json' : "the GGUF's vocabulary"})`);
  const chat = chatFormatFor(d.tokenizer, { tokenizerConfig: d.tokenizerConfig, generationConfig: d.generationConfig, eosIds: d.eosIds, source: path });
  return {
    ...d, tokenizer: d.tokenizer, chat, name: modelName(path), model: loaded.runner,
    runner: { fileBytes: loaded.model.fileBytes, kvBytesPerToken: loaded.kvBytesPerToken, bytesPerToken: loaded.bytesPerToken },
  };
}


/** PONDER_RUNTIME: 'runner' (the default) or 'f32'. */
function runtimeChoice(): 'runner' | 'f32' {
  const v = process.env.PONDER_RUNTIME || 'runner';
  if (v !== 'runner' && v !== 'f32') throw new PonderError(`PONDER_RUNTIME must be runner or f32, not '${v}'`);
  return v;
}

/**
 * A .gguf file, or a Hugging Face folder (config.json naming its architectures, as loadAnyModel
 * tells them from ponder checkpoints). Anything else, or a config.json that does not parse, goes
 * to loadAnyModel, whose errors name the problem.
 */
function runnerReads(path: string): boolean {
  if (!existsSync(path)) return false;
  const st = statSync(path);
  if (st.isFile()) return path.toLowerCase().endsWith('.gguf');
  const cfg = join(path, 'config.json');
  if (!st.isDirectory() || !existsSync(cfg)) return false;
  try {
    const c: unknown = JSON.parse(readFileSync(cfg, 'utf8'));
    return c !== null && typeof c === 'object' && 'architectures' in c;
  } catch {
    return false;
  }
}

function modelName(path: string): string {
  return basename(resolve(path)).replace(/\.gguf$/i, '');
}

export interface CompleteOptions {
  maxNewTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
  stopTokens: number[];
  vocabLimit?: number;
  onToken?: (token: number) => void;
}

/**
 * One completion for the terminal commands: the float32 Transformer through generate(), the
 * quantised runner through the engine, with the same sampling options.
 */
export async function complete(model: Transformer | Runner, ids: number[], o: CompleteOptions): Promise<{ tokens: number[]; finish: EngineFinish }> {
  if (model instanceof Transformer) {
    const [g] = generate(model, [ids], { ...o, onToken: o.onToken && ((_r, t) => o.onToken!(t)) });
    return g;
  }
  const r = await new Engine(model, { maxActive: 1 }).submit({
    prompt: ids, maxTokens: o.maxNewTokens, temperature: o.temperature, topK: o.topK, topP: o.topP, seed: o.seed,
    stopTokens: o.stopTokens, vocabLimit: o.vocabLimit, thinkIds: null, onToken: o.onToken && ((ev) => o.onToken!(ev.token)),
  });
  return r;
}

/** The chat format, or a clear error for a model that has none. */
export function needChat(m: Pick<ChatModel, 'chat' | 'source'>): ChatFormat {
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
