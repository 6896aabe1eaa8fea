// A Hugging Face folder (Llama, Qwen2, Qwen3; bf16, f16 or f32 safetensors, one file or shards)
// as runner weights: each shard is memory-mapped and every matrix is a view of its bytes, used in
// place by the BF16/F16/F32 kernels (resident memory is the pages read, about the files' size,
// never an f32 copy). Safetensors puts a tensor at any byte offset (2-byte steps after a bf16
// tensor of odd length); the kernels load unaligned, so no offset is refused. Norms and biases,
// which are small, are decoded to f32 once.
//
// The shape and options come from config.json through the same reader as the float32 Transformer
// (modelConfigFromHf), and the tensors are checked against it the same way (checkTensors), so both
// paths run one model. Hugging Face stores q/k rows in rotate-half order: RoPE style 'neox'.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PonderError } from '../../errors.ts';
import { readHfFolder, type HfParts, type Located } from '../../io/hf.ts';
import { decodeFloats, type FloatDtype } from '../../io/safetensors.ts';
import { mmapFile } from '../../backend/native/quant.ts';
import { GGML_TYPE } from '../../quant/blocks.ts';
import type { ModelConfig } from '../../model/config.ts';
import { modelConfigFromHf } from '../../model/hf-config.ts';
import { checkTensors } from '../../model/load.ts';
import { runnerConfigFromModel, type RunnerConfig } from './config.ts';
import { matrix, weightsByHfNames, type RunnerWeights } from './weights.ts';

const GGML_OF: Record<FloatDtype, number> = { F32: GGML_TYPE.F32, F16: GGML_TYPE.F16, BF16: GGML_TYPE.BF16 };

/** One shard as the runner holds it: the whole file, mapped (or read, without the native addon). */
export interface MappedShard {
  file: string;
  buffer: ArrayBuffer;
}

export interface HfModel {
  config: RunnerConfig;
  /** config.json as ponder's ModelConfig (the float32 Transformer's config of the same folder). */
  modelConfig: ModelConfig;
  weights: RunnerWeights;
  /** The folder's parts (headers, tokenizer files), for the caller's tokenizer and chat format. */
  parts: HfParts;
  /** Every shard's buffer: each matrix's bytes are a view of one of them. */
  shards: MappedShard[];
  /** The shards' total size in bytes. */
  fileBytes: number;
  /** Whether the shards are memory-mapped (false: read into memory, without the native addon). */
  mapped: boolean;
  architecture: string;
}

/** The model in a Hugging Face folder; errors name the file and the problem. */
export function loadHfModel(dir: string): HfModel {
  const parts = readHfFolder(dir);
  const modelConfig = modelConfigFromHf(parts.hfConfig, join(dir, 'config.json'));
  checkTensors(parts, modelConfig);
  const shards = new Map<string, MappedShard>();
  let mapped = true;
  for (const file of parts.files) {
    const m = mmapFile(file);
    mapped &&= m !== null;
    shards.set(file, { file, buffer: m ?? wholeFile(file) });
  }
  const bytesOf = (name: string): { l: Located; bytes: Uint8Array } => {
    const l = parts.locate(name), buf = shards.get(l.file)!.buffer, start = l.dataStart + l.entry.begin;
    // The header was checked against the file's size when read; a file changed since is caught here.
    if (start + (l.entry.end - l.entry.begin) > buf.byteLength) throw new PonderError(`safetensors ${l.file}: tensor "${name}" ends past the file's ${buf.byteLength} bytes (was the file changed?)`);
    return { l, bytes: new Uint8Array(buf, start, l.entry.end - l.entry.begin) };
  };
  const names = new Set(parts.tensorNames());
  const weights = weightsByHfNames(modelConfig, {
    mat: (name, N, K) => {
      const { l, bytes } = bytesOf(name);
      return matrix(GGML_OF[l.entry.dtype as FloatDtype], N, K, bytes, `safetensors ${l.file}: tensor "${name}"`);
    },
    vec: (name, n) => {
      const { l, bytes } = bytesOf(name);
      return decodeFloats(bytes, l.entry.dtype as FloatDtype, n);
    },
    has: (name) => names.has(name),
  });
  const all = [...shards.values()];
  return {
    config: runnerConfigFromModel(modelConfig), modelConfig, weights, parts, shards: all,
    fileBytes: all.reduce((s, m) => s + m.buffer.byteLength, 0), mapped, architecture: modelConfig.architecture ?? 'LlamaForCausalLM',
  };
}

function wholeFile(file: string): ArrayBuffer {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}
