// The model configuration (configs/*.json) and its validation: a bad file fails with a message
// that names the file and the key, before any memory is allocated.
import { readFileSync } from 'node:fs';
import { PonderError } from '../errors.ts';

export interface ModelConfig {
  vocab_size: number;
  d_model: number;
  n_layers: number;
  n_heads: number;
  n_kv_heads: number;
  d_ff: number;
  max_seq_len: number;
  rope_theta: number;
  norm_eps: number;
  tie_embeddings: boolean;
  /** Per-head width; default d_model / n_heads (Qwen3 and some Llamas set it explicitly). */
  head_dim?: number;
  /** Biases on the q, k and v projections (Qwen2). */
  qkv_bias?: boolean;
  /** RMSNorm of each query and key head before RoPE (Qwen3). */
  qk_norm?: boolean;
  /** RoPE frequency rescaling for long context (Llama 3.1+'s "llama3" type). */
  rope_scaling?: RopeScaling | null;
  /** Hugging Face architecture the model came from or exports as (default LlamaForCausalLM). */
  architecture?: Architecture;
}

export const ARCHITECTURES = ['LlamaForCausalLM', 'Qwen2ForCausalLM', 'Qwen3ForCausalLM'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** Llama 3.1's RoPE scaling: low frequencies divided by factor, high ones kept, a smooth ramp between. */
export interface RopeScaling {
  rope_type: 'llama3';
  factor: number;
  low_freq_factor: number;
  high_freq_factor: number;
  original_max_position_embeddings: number;
}

export interface TrainPreset {
  seq_len: number;
  batch_size: number;
}

const INT_KEYS = ['vocab_size', 'd_model', 'n_layers', 'n_heads', 'n_kv_heads', 'd_ff', 'max_seq_len'] as const;

export interface ValidateOptions {
  /** Bytes each parameter costs in memory: 16 to train (weight, gradient, two Adam moments), 4 to run. */
  bytesPerParam?: number;
}

/** Checks a parsed config object; `where` names its source in errors. */
export function validateConfig(raw: unknown, where = 'config', opts: ValidateOptions = {}): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PonderError(`${where}: expected a JSON object`);
  const o = raw as Record<string, unknown>;
  for (const k of INT_KEYS) {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new PonderError(`${where}: "${k}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  const c: ModelConfig = {
    vocab_size: o.vocab_size as number, d_model: o.d_model as number, n_layers: o.n_layers as number,
    n_heads: o.n_heads as number, n_kv_heads: (o.n_kv_heads as number), d_ff: o.d_ff as number,
    max_seq_len: o.max_seq_len as number,
    rope_theta: o.rope_theta === undefined ? 10000 : (o.rope_theta as number),
    norm_eps: o.norm_eps === undefined ? 1e-5 : (o.norm_eps as number),
    tie_embeddings: o.tie_embeddings === undefined ? true : (o.tie_embeddings as boolean),
  };
  if (typeof c.rope_theta !== 'number' || !(c.rope_theta > 0)) throw new PonderError(`${where}: "rope_theta" must be a positive number`);
  if (typeof c.norm_eps !== 'number' || !(c.norm_eps > 0)) throw new PonderError(`${where}: "norm_eps" must be a positive number`);
  if (typeof c.tie_embeddings !== 'boolean') throw new PonderError(`${where}: "tie_embeddings" must be true or false`);
  validateOptions(o, c, where);
  if (c.head_dim === undefined && c.d_model % c.n_heads !== 0) throw new PonderError(`${where}: d_model ${c.d_model} is not divisible by n_heads ${c.n_heads} (set head_dim)`);
  if (c.n_heads % c.n_kv_heads !== 0) throw new PonderError(`${where}: n_heads ${c.n_heads} is not a multiple of n_kv_heads ${c.n_kv_heads}`);
  if (headDim(c) % 2 !== 0) throw new PonderError(`${where}: the head dimension ${headDim(c)} must be even for RoPE`);
  const params = countParams(c);
  // 4 bytes per weight, plus (to train) gradient and two Adam moments: refuse what cannot fit in memory.
  if (params * (opts.bytesPerParam ?? 16) > 64 * 2 ** 30) throw new PonderError(`${where}: ${(params / 1e9).toFixed(1)}B parameters will not fit in this machine's memory`);
  return c;
}

/** The architecture options (absent keys keep a plain Llama); copied onto c only when present. */
function validateOptions(o: Record<string, unknown>, c: ModelConfig, where: string): void {
  if (o.head_dim !== undefined && o.head_dim !== null) {
    if (typeof o.head_dim !== 'number' || !Number.isInteger(o.head_dim) || o.head_dim <= 0) throw new PonderError(`${where}: "head_dim" must be a positive integer, got ${JSON.stringify(o.head_dim)}`);
    c.head_dim = o.head_dim;
  }
  for (const k of ['qkv_bias', 'qk_norm'] as const) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== 'boolean') throw new PonderError(`${where}: "${k}" must be true or false`);
    if (o[k]) c[k] = true;
  }
  if (o.rope_scaling !== undefined && o.rope_scaling !== null) c.rope_scaling = validateRopeScaling(o.rope_scaling, where);
  if (o.architecture !== undefined) {
    if (!ARCHITECTURES.includes(o.architecture as Architecture)) throw new PonderError(`${where}: "architecture" ${JSON.stringify(o.architecture)} is not one of ${ARCHITECTURES.join(', ')}`);
    c.architecture = o.architecture as Architecture;
  }
}

export function validateRopeScaling(raw: unknown, where: string): RopeScaling {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PonderError(`${where}: "rope_scaling" must be an object or null`);
  const r = raw as Record<string, unknown>;
  const type = r.rope_type ?? r.type;
  if (type !== 'llama3') throw new PonderError(`${where}: rope_scaling type ${JSON.stringify(type)} is not supported (only "llama3")`);
  const out = { rope_type: 'llama3' as const, factor: r.factor, low_freq_factor: r.low_freq_factor, high_freq_factor: r.high_freq_factor, original_max_position_embeddings: r.original_max_position_embeddings };
  for (const k of ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'] as const) {
    if (typeof out[k] !== 'number' || !(out[k] as number > 0)) throw new PonderError(`${where}: rope_scaling.${k} must be a positive number, got ${JSON.stringify(out[k])}`);
  }
  if (!((out.high_freq_factor as number) > (out.low_freq_factor as number))) throw new PonderError(`${where}: rope_scaling.high_freq_factor must exceed low_freq_factor`);
  return out as RopeScaling;
}

export function loadConfig(path: string): { model: ModelConfig; train?: TrainPreset } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new PonderError(`${path}: cannot read the config: ${(e as Error).message}`);
  }
  const model = validateConfig(raw, path);
  const t = (raw as { train?: Partial<TrainPreset> }).train;
  const train = t && Number.isInteger(t.seq_len) && Number.isInteger(t.batch_size) ? { seq_len: t.seq_len!, batch_size: t.batch_size! } : undefined;
  return { model, train };
}

export function headDim(c: Pick<ModelConfig, 'd_model' | 'n_heads' | 'head_dim'>): number {
  return c.head_dim ?? c.d_model / c.n_heads;
}

export function countParams(c: ModelConfig): number {
  const hd = headDim(c), dq = c.n_heads * hd, dkv = c.n_kv_heads * hd;
  const attn = 2 * c.d_model * dq + 2 * c.d_model * dkv + (c.qkv_bias ? dq + 2 * dkv : 0) + (c.qk_norm ? 2 * hd : 0);
  const perLayer = 2 * c.d_model + attn + 3 * c.d_model * c.d_ff;
  return c.vocab_size * c.d_model * (c.tie_embeddings ? 1 : 2) + c.n_layers * perLayer + c.d_model;
}
