// One way in for every model file: a ponder checkpoint folder, a Hugging Face folder or a GGUF file
// becomes a Transformer (float32 weights in memory, trainable), its tokenizer and what the
// generation settings say (EOS ids, chat template), plus a summary for `ponder info`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { totalmem } from 'node:os';
import { PonderError } from '../errors.ts';
import { Transformer } from './transformer.ts';
import { countParams, headDim, type Architecture, type ModelConfig } from './config.ts';
import { expectedTensors, modelConfigFromHf } from './hf-config.ts';
import type { ModelParts } from './parts.ts';
import { readHfFolder } from '../io/hf.ts';
import { ggufPartsWithTokenizer, readGgufParts } from '../io/gguf-model.ts';
import type { GgufFile } from '../io/gguf.ts';
import { loadCheckpoint } from '../io/checkpoint.ts';
import { EOS_ID, Tokenizer, tokenizerFromJson, type TextTokenizer } from '../tokenizer/index.ts';

/** What `ponder info --model X` prints. */
export interface ModelInfo {
  /** Where the model came from. */
  format: 'ponder' | 'hf' | 'gguf';
  architecture: Architecture;
  parameters: number;
  /** How the weights are stored on disk (`f32`, `bf16`, `q4_k_m`, ...); in memory they are f32. */
  dtype: string;
  /** Positions the model was built for (max_position_embeddings). */
  contextLength: number;
  /** Float32 weights in memory. */
  weightBytes: number;
  /** KV cache per position of one sequence (keys and values of every layer, float32). */
  kvBytesPerToken: number;
  /** Weights plus the KV cache of one sequence filling the whole context. */
  memoryBytes: number;
}

export interface LoadedModel {
  model: Transformer;
  config: ModelConfig;
  /** Built from tokenizer.json (or the GGUF's vocabulary) by src/tokenizer; null when the source has none. */
  tokenizer: TextTokenizer | null;
  /** config.json's object (Hugging Face keys) for a Hugging Face or GGUF source: its bos/eos ids and other extras. */
  hfConfig?: Record<string, unknown>;
  /** tokenizer.json's object as read (for tokenizers other code builds itself). */
  tokenizerJson?: unknown;
  /** tokenizer_config.json (chat_template, bos/eos tokens, added tokens). */
  tokenizerConfig?: Record<string, unknown>;
  /** generation_config.json (eos_token_id, sampling defaults). */
  generationConfig?: Record<string, unknown>;
  /** Token ids that end generation (generation_config's eos_token_id, else config.json's). */
  eosIds: number[];
  info: ModelInfo;
  /** The path given. */
  source: string;
  /** A ponder checkpoint's trainer state (state.json); {} for other formats. */
  state: Record<string, unknown>;
}

/** The transformer the parts describe, with their weights; any disagreement names the source. */
export function modelFromParts(parts: ModelParts): { model: Transformer; config: ModelConfig } {
  const config = modelConfigFromHf(parts.hfConfig, configName(parts));
  refuseIfTooLarge(config, parts.source);
  checkTensors(parts, config);
  const model = new Transformer(config, 0, { randomInit: false });
  for (const [name, p] of model.namedParameters()) {
    if (parts.readInto) { parts.readInto(name, p.data); continue; }
    const data = parts.tensor(name);
    if (data.length !== p.size) throw new PonderError(`${parts.source}: tensor "${name}" gave ${data.length} values for shape [${p.shape.join(', ')}]`);
    p.data.set(data);
  }
  return { model, config };
}

/** Every weight the config implies is present with its shape, and nothing else is (RoPE buffers and a tied head's duplicate aside). */
export function checkTensors(parts: Pick<ModelParts, 'tensorNames' | 'tensorShape' | 'source'>, config: ModelConfig): void {
  const expected = expectedTensors(config);
  const present = new Set(parts.tensorNames());
  for (const name of present) {
    if (expected.has(name) || ignorable(name, config)) continue;
    throw new PonderError(`${parts.source}: tensor "${name}" is not a weight of the ${config.architecture} that the config describes`);
  }
  for (const [name, shape] of expected) {
    if (!present.has(name)) {
      const hint = name === 'lm_head.weight' ? ' (the config says tie_word_embeddings is false)' : '';
      throw new PonderError(`${parts.source}: tensor "${name}" is missing${hint}`);
    }
    const got = parts.tensorShape(name);
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      throw new PonderError(`${parts.source}: tensor "${name}" has shape [${got.join(', ')}], but the config implies [${shape.join(', ')}]`);
    }
  }
}

/** Float32 weights that cannot fit in this machine's memory are refused before anything is allocated. */
function refuseIfTooLarge(c: ModelConfig, source: string): void {
  const need = countParams(c) * 4, have = totalmem();
  if (need > have) {
    const gb = (b: number) => (b / 1e9).toFixed(1);
    throw new PonderError(`${source}: ${(countParams(c) / 1e9).toFixed(2)}B parameters need ${gb(need)} GB as float32, more than this machine's ${gb(have)} GB of memory`);
  }
}

/** Tensors a model file may carry that are not weights: RoPE buffers, a tied head's duplicate. */
function ignorable(name: string, c: ModelConfig): boolean {
  return name.endsWith('.rotary_emb.inv_freq') || (c.tie_embeddings && name === 'lm_head.weight');
}

function configName(parts: ModelParts): string {
  return parts.source.endsWith('.gguf') ? parts.source : join(parts.source, 'config.json');
}

/**
 * Loads a ponder checkpoint folder, a Hugging Face folder (config.json with `architectures`) or a
 * `.gguf` file. Errors name the path and the problem.
 */
export function loadAnyModel(path: string): LoadedModel {
  if (!existsSync(path)) throw new PonderError(`${path}: no such file or folder`);
  const st = statSync(path);
  if (st.isFile()) {
    if (path.toLowerCase().endsWith('.gguf')) return fromParts(readGgufParts(path), 'gguf');
    throw new PonderError(`${path}: not a model (expected a .gguf file, a Hugging Face folder or a ponder checkpoint folder)`);
  }
  const cfgPath = join(path, 'config.json');
  if (!existsSync(cfgPath)) throw new PonderError(`${path}: no config.json (not a Hugging Face folder or a ponder checkpoint)`);
  let cfg: unknown;
  try { cfg = JSON.parse(readFileSync(cfgPath, 'utf8')); } catch (e) { throw new PonderError(`${cfgPath}: not valid JSON (${(e as Error).message})`); }
  if (cfg !== null && typeof cfg === 'object' && 'architectures' in cfg) return fromParts(readHfFolder(path), 'hf');
  return fromPonderCheckpoint(path);
}

function fromParts(parts: ModelParts, format: 'hf' | 'gguf'): LoadedModel {
  const { model, config } = modelFromParts(parts);
  return { model, ...describeParts(parts, format, config) };
}

/** What a model file says besides its weights: tokenizer, generation settings, summary. */
function describeParts(parts: ModelParts, format: 'hf' | 'gguf', config: ModelConfig, built?: TextTokenizer | null): Omit<LoadedModel, 'model'> {
  const tokenizer = built !== undefined ? built : parts.tokenizerJson === undefined ? null : tokenizerFromJson(parts.tokenizerJson, parts.tokenizerConfig, format === 'gguf' ? `${parts.source} (its vocabulary)` : join(parts.source, 'tokenizer.json'));
  return {
    config, tokenizer, hfConfig: parts.hfConfig,
    tokenizerJson: parts.tokenizerJson, tokenizerConfig: parts.tokenizerConfig, generationConfig: parts.generationConfig,
    eosIds: eosIdsOf(parts),
    info: infoOf(config, countParams(config), format, parts.dtype),
    source: parts.source,
    state: {},
  };
}

/**
 * Everything loadAnyModel gives for an open .gguf file (the one the runner read) except the float32
 * weights: the quantised runner (src/infer/runner) uses the file's own weights in place. The
 * tokenizer is built from the file's packed vocabulary, so tokenizerJson is left undefined.
 */
export function describeGguf(file: GgufFile): Omit<LoadedModel, 'model'> {
  const { parts, tokenizer } = ggufPartsWithTokenizer(file);
  return describeParts(parts, 'gguf', modelConfigFromHf(parts.hfConfig, configName(parts)), tokenizer);
}

/**
 * Everything loadAnyModel gives for a Hugging Face folder except the float32 weights: the runner
 * maps the safetensors shards and uses their bytes in place.
 */
export function describeHf(parts: ModelParts): Omit<LoadedModel, 'model'> {
  return describeParts(parts, 'hf', modelConfigFromHf(parts.hfConfig, configName(parts)));
}

function fromPonderCheckpoint(dir: string): LoadedModel {
  const l = loadCheckpoint(dir);
  // A checkpoint of an imported model (fine-tuned by ponder) carries that model's tokenizer files.
  const { tokenizerJson, tokenizerConfig, generationConfig, sourceConfig } = l.files;
  const imported = !l.tokenizer && tokenizerJson !== undefined;
  const tokenizer = l.tokenizer ?? (imported ? tokenizerFromJson(tokenizerJson, tokenizerConfig, join(dir, 'tokenizer.json')) : null);
  return {
    model: l.model, config: l.config, tokenizer, hfConfig: imported ? sourceConfig : undefined,
    tokenizerJson: imported ? tokenizerJson : undefined, tokenizerConfig, generationConfig,
    eosIds: imported ? eosIdsOf({ generationConfig, hfConfig: sourceConfig ?? {} }) : [EOS_ID],
    info: infoOf(l.config, l.model.paramCount(), 'ponder', 'f32'),
    source: dir,
    state: l.state,
  };
}

/**
 * A model in any format whose tokenizer is ponder's (its special tokens at fixed ids), for code that
 * builds ponder's chat format id by id. The sft, align and rl commands take imported models too,
 * through their own chat template (src/cli/trainable.ts).
 */
export function loadTrainable(path: string): LoadedModel & { tokenizer: Tokenizer } {
  const l = loadAnyModel(path);
  if (!l.tokenizer) throw new PonderError(`${path}: the model has no tokenizer.json`);
  if (!(l.tokenizer instanceof Tokenizer)) {
    throw new PonderError(`${path}: this needs ponder's chat format, and the model's tokenizer is not ponder's (\`ponder sft\`, \`align\`, \`rl\` and \`pretrain\` take such a model with --model)`);
  }
  return l as LoadedModel & { tokenizer: Tokenizer };
}

/** generation_config.json's eos_token_id (a number or a list), else config.json's. */
function eosIdsOf(parts: Pick<ModelParts, 'generationConfig' | 'hfConfig'>): number[] {
  for (const v of [parts.generationConfig?.eos_token_id, parts.hfConfig.eos_token_id]) {
    const ids = (Array.isArray(v) ? v : [v]).filter((x): x is number => Number.isInteger(x) && (x as number) >= 0);
    if (ids.length) return ids;
  }
  return [];
}

function infoOf(c: ModelConfig, parameters: number, format: ModelInfo['format'], dtype: string): ModelInfo {
  const kvBytesPerToken = 2 * c.n_layers * c.n_kv_heads * headDim(c) * 4;
  return {
    format, architecture: c.architecture ?? 'LlamaForCausalLM', parameters, dtype, contextLength: c.max_seq_len,
    weightBytes: parameters * 4, kvBytesPerToken, memoryBytes: parameters * 4 + kvBytesPerToken * c.max_seq_len,
  };
}
