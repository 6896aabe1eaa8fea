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
}

export interface TrainPreset {
  seq_len: number;
  batch_size: number;
}

const INT_KEYS = ['vocab_size', 'd_model', 'n_layers', 'n_heads', 'n_kv_heads', 'd_ff', 'max_seq_len'] as const;

/** Checks a parsed config object; `where` names its source in errors. */
export function validateConfig(raw: unknown, where = 'config'): ModelConfig {
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
  if (c.d_model % c.n_heads !== 0) throw new PonderError(`${where}: d_model ${c.d_model} is not divisible by n_heads ${c.n_heads}`);
  if (c.n_heads % c.n_kv_heads !== 0) throw new PonderError(`${where}: n_heads ${c.n_heads} is not a multiple of n_kv_heads ${c.n_kv_heads}`);
  if ((c.d_model / c.n_heads) % 2 !== 0) throw new PonderError(`${where}: the head dimension ${c.d_model / c.n_heads} must be even for RoPE`);
  const params = countParams(c);
  // 4 bytes per weight, plus gradient and two Adam moments: refuse what cannot fit in memory.
  if (params * 16 > 64 * 2 ** 30) throw new PonderError(`${where}: ${(params / 1e9).toFixed(1)}B parameters will not fit in this machine's memory`);
  return c;
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

export function headDim(c: ModelConfig): number {
  return c.d_model / c.n_heads;
}

export function countParams(c: ModelConfig): number {
  const hd = c.d_model / c.n_heads;
  const perLayer = 2 * c.d_model + c.d_model * c.d_model * 2 + 2 * c.d_model * c.n_kv_heads * hd + 3 * c.d_model * c.d_ff;
  return c.vocab_size * c.d_model * (c.tie_embeddings ? 1 : 2) + c.n_layers * perLayer + c.d_model;
}
