// Checkpoints: one folder holding everything needed to use or resume a model.
//   model.safetensors      weights, HuggingFace Llama names
//   config.json            the model config
//   tokenizer.json         the tokenizer (HuggingFace format): ponder's own, or an imported model's
//   tokenizer_config.json, generation_config.json   an imported model's, kept as they came
//   source_config.json     an imported model's own config.json (its special ids go back into an export)
//   optimizer.safetensors  AdamW moments (m.<name>, v.<name>) and step, when training
//   state.json             trainer state: step, RNG state, data position, anything the loop needs
// A checkpoint is written into a temporary folder beside its destination and renamed into place,
// so a crash mid-write leaves the previous checkpoint untouched.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { PonderError } from '../errors.ts';
import { readSafetensors, writeSafetensors, type TensorToWrite } from './safetensors.ts';
import { validateConfig, type ModelConfig } from '../model/config.ts';
import { Transformer } from '../model/transformer.ts';
import type { AdamW } from '../optim/adamw.ts';
import { fromTokenizerJson, saveTokenizer, type Tokenizer } from '../tokenizer/index.ts';
import { isPonderTokenizerJson } from '../tokenizer/hf.ts';
import { swapFolderIntoPlace } from './folder.ts';

/** An imported model's tokenizer files, carried through a checkpoint unchanged. */
export interface TokenizerFiles {
  tokenizerJson?: unknown;
  tokenizerConfig?: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
  /** The imported model's config.json as it came (an export writes its bos/eos/pad ids back). */
  sourceConfig?: Record<string, unknown>;
}

export interface SaveOptions {
  tokenizer?: Tokenizer;
  /** Written when there is no ponder `tokenizer` (a model imported with its own tokenizer). */
  tokenizerFiles?: TokenizerFiles;
  optimizer?: AdamW;
  state?: Record<string, unknown>;
}

export interface Loaded {
  model: Transformer;
  config: ModelConfig;
  /** Ponder's tokenizer; null when the checkpoint has none or carries an imported model's (see files). */
  tokenizer: Tokenizer | null;
  /** tokenizer.json, tokenizer_config.json and generation_config.json as stored, when present. */
  files: TokenizerFiles;
  state: Record<string, unknown>;
  dir: string;
}

function writeJsonFile(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
  const fd = openSync(path, 'r');
  fsyncSync(fd);
  closeSync(fd);
}

/** Writes a checkpoint folder atomically (replacing an older one at the same path only on success). */
export function saveCheckpoint(dir: string, model: Transformer, opts: SaveOptions = {}): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const weights: Record<string, TensorToWrite> = {};
    for (const [name, t] of model.namedParameters()) weights[name] = { shape: [...t.shape], data: t.data };
    writeSafetensors(join(tmp, 'model.safetensors'), weights, { format: 'pt', producer: 'ponder' });
    writeJsonFile(join(tmp, 'config.json'), model.config);
    if (opts.tokenizer) saveTokenizer(opts.tokenizer, join(tmp, 'tokenizer.json'));
    else writeTokenizerFiles(tmp, opts.tokenizerFiles ?? {});
    if (opts.optimizer) {
      const o = opts.optimizer, named = model.namedParameters();
      const index = new Map([...o.params()].map((p, i) => [p, i]));
      const moments: Record<string, TensorToWrite> = {};
      for (const [name, p] of named) {
        const i = index.get(p);
        if (i === undefined) continue;
        moments[`m.${name}`] = { shape: [...p.shape], data: o.m[i] };
        moments[`v.${name}`] = { shape: [...p.shape], data: o.v[i] };
      }
      writeSafetensors(join(tmp, 'optimizer.safetensors'), moments, { step: String(o.step) });
    }
    writeJsonFile(join(tmp, 'state.json'), opts.state ?? {});
    swapFolderIntoPlace(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

const FILE_NAMES = { tokenizerJson: 'tokenizer.json', tokenizerConfig: 'tokenizer_config.json', generationConfig: 'generation_config.json', sourceConfig: 'source_config.json' } as const;

/** Writes the files given into dir (a folder being built, or a finished checkpoint: each file atomically). */
export function writeTokenizerFiles(dir: string, files: TokenizerFiles): void {
  for (const [key, name] of Object.entries(FILE_NAMES) as [keyof TokenizerFiles, string][]) {
    if (files[key] !== undefined) writeJsonAtomic(join(dir, name), files[key]);
  }
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new PonderError(`${path}: missing (${what})`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new PonderError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Loads a checkpoint folder; every mismatch between config and weights is an error naming both. */
export function loadCheckpoint(dir: string): Loaded {
  if (!existsSync(dir)) throw new PonderError(`checkpoint ${dir}: no such folder`);
  const config = validateConfig(readJson(join(dir, 'config.json'), 'the model config'), join(dir, 'config.json'), { bytesPerParam: 4 });
  const model = new Transformer(config, 0, { randomInit: false }); // every weight is read next
  const file = join(dir, 'model.safetensors');
  if (!existsSync(file)) throw new PonderError(`${file}: missing (the weights)`);
  const st = readSafetensors(file);
  const expected = new Map(model.namedParameters());
  for (const name of Object.keys(st.tensors)) {
    if (!expected.has(name)) throw new PonderError(`${file}: tensor "${name}" is not a parameter of the model described by config.json`);
  }
  for (const [name, p] of expected) {
    const t = st.tensors[name];
    if (!t) throw new PonderError(`${file}: tensor "${name}" is missing (config.json expects it)`);
    if (t.kind !== 'float') throw new PonderError(`${file}: tensor "${name}" holds integers, not weights`);
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      throw new PonderError(`${file}: tensor "${name}" has shape [${t.shape.join(', ')}], but config.json implies [${p.shape.join(', ')}]`);
    }
    p.data.set(t.data);
  }
  const tokPath = join(dir, 'tokenizer.json');
  const files: TokenizerFiles = {};
  for (const [key, name] of Object.entries(FILE_NAMES) as [keyof TokenizerFiles, string][]) {
    if (existsSync(join(dir, name))) (files as Record<string, unknown>)[key] = readJson(join(dir, name), name);
  }
  const tokenizer = files.tokenizerJson !== undefined && isPonderTokenizerJson(files.tokenizerJson) ? fromTokenizerJson(files.tokenizerJson, tokPath) : null;
  if (tokenizer && tokenizer.vocabSize > config.vocab_size) {
    throw new PonderError(`${tokPath}: the tokenizer has ${tokenizer.vocabSize} tokens, more than the model's vocab_size ${config.vocab_size}`);
  }
  const statePath = join(dir, 'state.json');
  const state = existsSync(statePath) ? (readJson(statePath, 'trainer state') as Record<string, unknown>) : {};
  return { model, config, tokenizer, files, state, dir };
}

/** Restores AdamW moments and step from a checkpoint written with an optimizer. */
export function loadOptimizerState(dir: string, model: Transformer, opt: AdamW): void {
  const file = join(dir, 'optimizer.safetensors');
  if (!existsSync(file)) throw new PonderError(`${file}: missing (the optimizer state needed to resume)`);
  const st = readSafetensors(file);
  const index = new Map([...opt.params()].map((p, i) => [p, i]));
  for (const [name, p] of model.namedParameters()) {
    const i = index.get(p);
    if (i === undefined) continue;
    for (const [key, buf] of [[`m.${name}`, opt.m[i]], [`v.${name}`, opt.v[i]]] as const) {
      const t = st.tensors[key];
      if (!t || t.kind !== 'float' || t.data.length !== buf.length) throw new PonderError(`${file}: "${key}" is missing or has the wrong size`);
      buf.set(t.data);
    }
  }
  const step = Number(st.metadata.step);
  if (!Number.isInteger(step) || step < 0) throw new PonderError(`${file}: metadata "step" is missing or invalid`);
  opt.step = step;
}

/** Writes a small JSON file atomically (temp file, fsync, rename). */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeJsonFile(tmp, value);
  renameSync(tmp, path);
}
