// createRunner(path): a GGUF file or a Hugging Face folder ready to serve with the quantised runner. The runner is shaped
// like the generation engine's model (config.vocab_size/max_seq_len, newCache(1, n), forward(ids,
// 1, T, {cache, lastOnly}).data, decodeStep(tokens, caches).data), so the continuous-batching
// engine can drive it (see StepModel).
import { existsSync, statSync } from 'node:fs';
import { PonderError } from '../../errors.ts';
import { loadGgufModel, type GgufModel } from './gguf.ts';
import { loadHfModel, type HfModel } from './safetensors.ts';
import { Runner, type RunnerOptions, type Logits } from './runner.ts';
import { kvCacheBytes, type RunnerCache } from './cache.ts';
import { weightBytes } from './weights.ts';
import type { GgufFile } from '../../io/gguf.ts';

export { Runner } from './runner.ts';
export type { RunnerConfig } from './config.ts';
export { RunnerCache, kvCacheBytes } from './cache.ts';
export type { HfModel } from './safetensors.ts';
export type { GgufModel } from './gguf.ts';

/** What the engine calls on its model: the runner and the autograd Transformer both have it. */
export interface StepModel<C> {
  readonly config: { vocab_size: number; max_seq_len: number };
  newCache(B: number, maxLen?: number): C;
  forward(ids: Int32Array, B: number, T: number, opts: { cache?: C; lastOnly?: boolean }): { data: Float32Array };
  decodeStep(tokens: Int32Array, caches: C[]): { data: Float32Array };
}

export interface LoadedRunner {
  runner: Runner;
  /** The file's model: its config, weights, size and whether it is mapped. */
  model: GgufModel | HfModel;
  /** Bytes read from the weights per generated token (every matrix once, one embedding row). */
  bytesPerToken: number;
  /** f16 KV cache bytes per position of one sequence. */
  kvBytesPerToken: number;
}

/**
 * A runner for a .gguf file (a path, or the file already open) or a Hugging Face folder
 * (bf16/f16/f32 safetensors): the weights are memory-mapped and used in place.
 */
export function createRunner(source: string | GgufFile, opts: RunnerOptions = {}): LoadedRunner {
  const path = typeof source === 'string' ? source : source.path;
  const folder = typeof source === 'string' && existsSync(path) && statSync(path).isDirectory();
  if (!folder && !path.toLowerCase().endsWith('.gguf')) throw new PonderError(`${path}: the quantised runner reads .gguf files and Hugging Face folders`);
  const model = folder ? loadHfModel(path) : loadGgufModel(source);
  const runner = new Runner(model.config, model.weights, opts);
  return { runner, model, bytesPerToken: weightBytes(model.weights).perToken, kvBytesPerToken: kvCacheBytes(model.config, 1) };
}

// The runner satisfies the engine's interface (checked here, at compile time).
const _check: (r: Runner) => StepModel<RunnerCache> = (r) => r;
void _check;
export type { Logits };
