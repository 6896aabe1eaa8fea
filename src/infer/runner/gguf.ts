// A GGUF file (llama, qwen2, qwen3 architectures) as runner weights: the file is memory-mapped and
// every matrix is a view of its bytes, used in place by the quantised kernels (resident memory is
// the pages actually read, about the file's size, never an f32 copy). Norms and biases, which are
// small, are f32 views too (or decoded once when stored otherwise).
import { readFileSync } from 'node:fs';
import { PonderError } from '../../errors.ts';
import { openGguf, type GgufFile, type GgufTensorInfo } from '../../io/gguf.ts';
import { dequantize, GGML_TYPE } from '../../quant/blocks.ts';
import { mmapFile } from '../../backend/native/quant.ts';
import type { RunnerConfig } from './config.ts';
import { matrix, type LayerWeights, type Matrix, type RunnerWeights } from './weights.ts';

const ARCHS = ['llama', 'qwen2', 'qwen3'] as const;

export interface GgufModel {
  config: RunnerConfig;
  weights: RunnerWeights;
  /** The file's size in bytes. */
  fileBytes: number;
  /** Whether the weights are memory-mapped (false: read into memory, without the native addon). */
  mapped: boolean;
  architecture: string;
}

/** The model in a GGUF file (a path, or a file already open, which the caller closes); errors name the file and the problem. */
export function loadGgufModel(source: string | GgufFile): GgufModel {
  if (typeof source !== 'string') return build(source, source.path);
  const g = openGguf(source);
  try {
    return build(g, source);
  } finally {
    g.close();
  }
}

function build(g: GgufFile, path: string): GgufModel {
  const where = `GGUF ${path}`;
  const meta = g.metadata;
  const arch = meta.string('general.architecture');
  if (!arch || !(ARCHS as readonly string[]).includes(arch)) {
    throw new PonderError(`${where}: architecture ${JSON.stringify(arch)} is not supported by the runner (${ARCHS.join(', ')})`);
  }
  const num = (key: string, fallback?: number): number => {
    const v = meta.number(`${arch}.${key}`) ?? fallback;
    if (v === undefined) throw new PonderError(`${where}: metadata "${arch}.${key}" is missing`);
    return v;
  };
  const d = num('embedding_length'), heads = num('attention.head_count');
  const embedInfo = g.tensor('token_embd.weight');
  const config: RunnerConfig = {
    vocab: embedInfo.ne[1], d, layers: num('block_count'), heads, kvHeads: num('attention.head_count_kv', heads),
    headDim: num('attention.key_length', d / heads), ff: num('feed_forward_length'), context: num('context_length'),
    ropeTheta: num('rope.freq_base', 10000), ropeScaling: null, ropeFreqFactors: null,
    ropeStyle: arch === 'llama' ? 'pairs' : 'neox', eps: num('attention.layer_norm_rms_epsilon', 1e-5),
    qkvBias: false, qkNorm: false,
  };
  if (!Number.isInteger(config.headDim) || config.headDim % 2 !== 0) throw new PonderError(`${where}: head dimension ${config.headDim} must be an even integer`);
  if (config.heads % config.kvHeads !== 0) throw new PonderError(`${where}: ${config.heads} heads are not a multiple of ${config.kvHeads} KV heads`);

  const mapped = mmapFile(path);
  const file = mapped ?? (() => { const b = readFileSync(path); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); })();
  const names = new Set(g.tensors.map((t) => t.name));
  const info = (name: string): GgufTensorInfo => g.tensor(name);
  const bytes = (t: GgufTensorInfo): Uint8Array => new Uint8Array(file, t.fileOffset, t.nbytes);
  const mat = (name: string, N: number, K: number): Matrix => {
    const t = info(name);
    if (t.ne.length !== 2 || t.ne[0] !== K || t.ne[1] !== N) throw new PonderError(`${where}: tensor "${name}" has ggml shape [${t.ne}], expected [${K}, ${N}]`);
    return matrix(t.type, N, K, bytes(t), `${where}: tensor "${name}"`);
  };
  const vec = (name: string, n: number): Float32Array => {
    const t = info(name);
    if (t.nelements !== n) throw new PonderError(`${where}: tensor "${name}" has ${t.nelements} values, expected ${n}`);
    if (t.type === GGML_TYPE.F32 && t.fileOffset % 4 === 0) return new Float32Array(file, t.fileOffset, n);
    return dequantize(t.type, bytes(t), n);
  };
  const opt = (name: string, n: number): Float32Array | null => (names.has(name) ? vec(name, n) : null);

  const D = config.headDim, qd = config.heads * D, kd = config.kvHeads * D;
  const layers: LayerWeights[] = [];
  for (let i = 0; i < config.layers; i++) {
    const p = `blk.${i}.`;
    layers.push({
      attnNorm: vec(`${p}attn_norm.weight`, d),
      q: mat(`${p}attn_q.weight`, qd, d), k: mat(`${p}attn_k.weight`, kd, d), v: mat(`${p}attn_v.weight`, kd, d),
      o: mat(`${p}attn_output.weight`, d, qd),
      qBias: opt(`${p}attn_q.bias`, qd), kBias: opt(`${p}attn_k.bias`, kd), vBias: opt(`${p}attn_v.bias`, kd),
      qNorm: opt(`${p}attn_q_norm.weight`, D), kNorm: opt(`${p}attn_k_norm.weight`, D),
      ffnNorm: vec(`${p}ffn_norm.weight`, d),
      gate: mat(`${p}ffn_gate.weight`, config.ff, d), up: mat(`${p}ffn_up.weight`, config.ff, d),
      down: mat(`${p}ffn_down.weight`, d, config.ff),
    });
  }
  config.qkvBias = layers[0]?.qBias !== null;
  config.qkNorm = layers[0]?.qNorm !== null;
  if (names.has('rope_freqs.weight')) config.ropeFreqFactors = vec('rope_freqs.weight', D / 2);
  const embed = mat('token_embd.weight', config.vocab, d);
  const output = names.has('output.weight') ? mat('output.weight', config.vocab, d) : embed;
  return {
    config, weights: { embed, layers, outNorm: vec('output_norm.weight', d), output },
    fileBytes: g.fileSize, mapped: mapped !== null, architecture: arch,
  };
}
