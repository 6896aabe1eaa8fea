// Random-weight GGUF models with real shapes (Qwen2.5-0.5B, DeepSeek-R1-Distill-Qwen-1.5B) for
// the inference benchmark and the llama.cpp comparison: a qwen2 file llama.cpp loads (a GPT-2
// style vocabulary with the 256 byte tokens, no merges) written with ponder's GGUF writer.
// Matrices are random blocks with sane f16 scales (decode speed does not depend on the values);
// `distinct` makes every block random (for comparing logits), otherwise a 4 MiB pool of blocks
// is repeated, so writing a 1.5B model takes seconds.
import { randomFillSync } from 'node:crypto';
import { GGML_TYPE, rowBytes, f32ToBf16, f32ToF16 } from '../../quant/blocks.ts';
import { writeGguf, type GgufTensorToWrite } from '../../io/gguf-write.ts';
import { kv, type GgufKV } from '../../io/gguf.ts';
import { GGUF_TYPE } from '../../io/gguf-values.ts';
import { Rng } from '../../tasks/rng.ts';

export interface ModelShape {
  name: string;
  vocab: number; d: number; layers: number; heads: number; kvHeads: number; ff: number; context: number;
}

export const QWEN25_05B: ModelShape = { name: 'qwen2.5-0.5b', vocab: 151936, d: 896, layers: 24, heads: 14, kvHeads: 2, ff: 4864, context: 32768 };
export const R1_DISTILL_15B: ModelShape = { name: 'r1-distill-qwen-1.5b', vocab: 151936, d: 1536, layers: 28, heads: 12, kvHeads: 2, ff: 8960, context: 131072 };

export type Quantisation = 'q8_0' | 'q4_k_m' | 'bf16' | 'f32';

/** llama.cpp's choice of more bits for some layers' attn_v and ffn_down in Q4_K_M (use_more_bits). */
function moreBits(i: number, n: number): boolean {
  return i < n / 8 || i >= (7 * n) / 8 || (i - Math.floor(n / 8)) % 3 === 2;
}

/** The type of each matrix, as llama.cpp's quantiser picks it (k-quants need rows of whole 256 blocks: fallbacks otherwise). */
export function matrixType(q: Quantisation, role: 'embd' | 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down', layer: number, layers: number, K: number): number {
  if (q === 'q8_0') return GGML_TYPE.Q8_0;
  if (q === 'bf16') return GGML_TYPE.BF16;
  if (q === 'f32') return GGML_TYPE.F32;
  const six = role === 'embd' || ((role === 'v' || role === 'down') && moreBits(layer, layers));
  // llama.cpp falls back to Q8_0 for Q6_K and to Q5_0 for Q4_K
  if (K % 256 !== 0) return six ? GGML_TYPE.Q8_0 : GGML_TYPE.Q5_0;
  return six ? GGML_TYPE.Q6_K : GGML_TYPE.Q4_K;
}

/** Fills bytes with random values: the system's generator, or a seeded one (a reproducible model). */
export type ByteSource = (b: Uint8Array | Uint16Array | Uint32Array) => void;

/** A seeded ByteSource (xoshiro128**): the same seed writes the same model. */
export function seededBytes(seed: number): ByteSource {
  const rng = new Rng(seed);
  return (b) => {
    const w = new Uint32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
    for (let i = 0; i < w.length; i++) w[i] = rng.nextU32();
    const tail = new Uint8Array(b.buffer, b.byteOffset + 4 * w.length, b.byteLength & 3);
    for (let i = 0; i < tail.length; i++) tail[i] = rng.nextU32() & 255;
  };
}

/** Random blocks of `type` with f16 scales chosen so values are about N(0, 0.02²)-sized. */
export function randomBlocks(type: number, n: number, fill: ByteSource = randomFillSync): Uint8Array {
  const b = new Uint8Array(rowBytes(type, n));
  if (type === GGML_TYPE.BF16 || type === GGML_TYPE.F32) {
    const r = new Uint32Array(Math.ceil(n / 2) + 1);
    fill(r);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < n; i++) {
      const v = ((r[i >> 1] >>> ((i & 1) * 16)) & 0xffff) / 65536 * 0.07 - 0.035; // uniform, std 0.02
      if (type === GGML_TYPE.F32) dv.setFloat32(4 * i, v, true); else dv.setUint16(2 * i, f32ToBf16(v), true);
    }
    return b;
  }
  fill(b);
  const h = (x: number): [number, number] => { const v = f32ToF16(x); return [v & 255, v >> 8]; };
  const put = (at: number, x: number) => { const [lo, hi] = h(x); b[at] = lo; b[at + 1] = hi; };
  const [size, offs, scale] = ({
    [GGML_TYPE.Q8_0]: [34, [0], 0.02 / 74], [GGML_TYPE.Q4_0]: [18, [0], 0.02 / 4.6], [GGML_TYPE.Q5_0]: [22, [0], 0.02 / 9.2],
    [GGML_TYPE.Q4_K]: [144, [0, 2], 0.02 / (32 * 4.6)], [GGML_TYPE.Q5_K]: [176, [0, 2], 0.02 / (32 * 9.2)],
    [GGML_TYPE.Q6_K]: [210, [208], 0.02 / (74 * 18)],
  } as Record<number, [number, number[], number]>)[type];
  for (let at = 0; at < b.length; at += size) for (const o of offs) put(at + o, scale);
  return b;
}

/** n values of `type`: distinct random blocks, or a repeated pool of them. */
function tensorBytes(type: number, n: number, distinct: boolean, pools: Map<number, Uint8Array>, fill: ByteSource): Uint8Array {
  if (distinct) return randomBlocks(type, n, fill);
  const size = rowBytes(type, n);
  let pool = pools.get(type);
  if (!pool) {
    pool = randomBlocks(type, 256 * Math.floor((4 << 20) / rowBytes(type, 256)), fill); // 256 values: whole blocks of every type
    pools.set(type, pool);
  }
  const out = new Uint8Array(size);
  for (let at = 0; at < size; at += pool.length) out.set(pool.subarray(0, Math.min(pool.length, size - at)), at);
  return out;
}

function f32Bytes(v: Float32Array): Uint8Array { return new Uint8Array(v.buffer, v.byteOffset, v.byteLength); }

function gaussianish(n: number, mean: number, spread: number, fill: ByteSource): Float32Array {
  const r = new Uint16Array(n), out = new Float32Array(n);
  fill(r);
  for (let i = 0; i < n; i++) out[i] = mean + (r[i] / 65536 - 0.5) * 2 * spread;
  return out;
}

/** GPT-2's byte-to-unicode map: the 256 byte tokens every byte-level BPE vocabulary holds. */
function byteTokens(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const out: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = keep.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  return out;
}

/** Writes a random qwen2 model of `shape` in `quant` to path (atomic). Returns the file's tensor count. */
export function writeRandomQwen2(path: string, shape: ModelShape, quant: Quantisation, opts: { distinct?: boolean; allType?: number; chatTemplate?: string; seed?: number } = {}): number {
  const { vocab, d, layers, heads, kvHeads, ff } = shape;
  const D = d / heads, distinct = opts.distinct ?? false, pools = new Map<number, Uint8Array>();
  const fill = opts.seed === undefined ? randomFillSync : seededBytes(opts.seed);
  const tokens = byteTokens();
  for (let i = 256; i < vocab; i++) tokens.push(`tok${i}`);
  const metadata: [string, GgufKV][] = [
    ['general.architecture', kv.str('qwen2')],
    ['general.name', kv.str(`${shape.name}-random-${quant}`)],
    ['qwen2.block_count', kv.u32(layers)],
    ['qwen2.context_length', kv.u32(shape.context)],
    ['qwen2.embedding_length', kv.u32(d)],
    ['qwen2.feed_forward_length', kv.u32(ff)],
    ['qwen2.attention.head_count', kv.u32(heads)],
    ['qwen2.attention.head_count_kv', kv.u32(kvHeads)],
    ['qwen2.rope.freq_base', kv.f32(1000000)],
    ['qwen2.attention.layer_norm_rms_epsilon', kv.f32(1e-6)],
    ['tokenizer.ggml.model', kv.str('gpt2')],
    ['tokenizer.ggml.pre', kv.str('qwen2')],
    ['tokenizer.ggml.tokens', kv.strArray(tokens)],
    // The last id is the EOS: a control token (type 3), as in real files, so tokenizers find it by name.
    ['tokenizer.ggml.token_type', kv.array(GGUF_TYPE.INT32, tokens.map((_, i) => (i === vocab - 1 ? 3 : 1)))],
    ['tokenizer.ggml.merges', kv.strArray([])],
    ['tokenizer.ggml.bos_token_id', kv.u32(vocab - 1)],
    ['tokenizer.ggml.eos_token_id', kv.u32(vocab - 1)],
    ['tokenizer.ggml.add_bos_token', kv.bool(false)],
    // A chat template makes the file servable (`ponder serve` needs one; the serve benchmark uses it).
    ...(opts.chatTemplate !== undefined ? [['tokenizer.chat_template', kv.str(opts.chatTemplate)] as [string, GgufKV]] : []),
  ];
  const tensors: GgufTensorToWrite[] = [];
  const mat = (name: string, role: Parameters<typeof matrixType>[1], layer: number, N: number, K: number) => {
    const type = opts.allType ?? matrixType(quant, role, layer, layers, K);
    tensors.push({ name, shape: [N, K], type, data: () => tensorBytes(type, N * K, distinct, pools, fill) });
  };
  const vec = (name: string, n: number, mean: number, spread: number) =>
    tensors.push({ name, shape: [n], type: GGML_TYPE.F32, data: () => f32Bytes(gaussianish(n, mean, spread, fill)) });
  mat('token_embd.weight', 'embd', 0, vocab, d);
  for (let i = 0; i < layers; i++) {
    const p = `blk.${i}.`;
    vec(`${p}attn_norm.weight`, d, 1, 0.2);
    mat(`${p}attn_q.weight`, 'q', i, heads * D, d);
    vec(`${p}attn_q.bias`, heads * D, 0, 0.1);
    mat(`${p}attn_k.weight`, 'k', i, kvHeads * D, d);
    vec(`${p}attn_k.bias`, kvHeads * D, 0, 0.1);
    mat(`${p}attn_v.weight`, 'v', i, kvHeads * D, d);
    vec(`${p}attn_v.bias`, kvHeads * D, 0, 0.1);
    mat(`${p}attn_output.weight`, 'o', i, d, heads * D);
    vec(`${p}ffn_norm.weight`, d, 1, 0.2);
    mat(`${p}ffn_gate.weight`, 'gate', i, ff, d);
    mat(`${p}ffn_up.weight`, 'up', i, ff, d);
    mat(`${p}ffn_down.weight`, 'down', i, d, ff);
  }
  vec('output_norm.weight', d, 1, 0.2);
  writeGguf(path, { metadata, tensors });
  return tensors.length;
}
