// Fused causal self-attention (online softmax, grouped-query heads, KV-cache offset, left padding).
import { backend } from '../../backend/index.ts';
import { Tensor, empty, fmt } from '../tensor.ts';
import { scratch } from '../memory.ts';
import { needsGrad, record, gradOf } from '../tape.ts';
import { ShapeError } from '../errors.ts';

export interface AttentionOptions {
  /** Absolute position of the first query; keys 0..qOffset+i are visible to query i. */
  qOffset?: number;
  /** Per batch row, the first key that is not padding (left padding). */
  keyStart?: Int32Array | null;
  /** Defaults to 1/sqrt(D). */
  scale?: number;
}

/**
 * softmax(q·kᵀ·scale + causal mask)·v. q (B, Tq, Hq, D); k, v (B, Tk, Hkv, D) with Hq a multiple of Hkv.
 * k and v may be a KV cache longer than what is filled: only keys up to qOffset + Tq - 1 are read.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) throw new ShapeError(`attention: q, k, v must be (B, T, H, D), got ${fmt(q.shape)}, ${fmt(k.shape)}, ${fmt(v.shape)}`);
  const [B, Tq, Hq, D] = q.shape;
  const [Bk, Tk, Hkv, Dk] = k.shape;
  if (Bk !== B || Dk !== D || v.shape.some((d, i) => d !== k.shape[i])) throw new ShapeError(`attention: k ${fmt(k.shape)} and v ${fmt(v.shape)} do not match q ${fmt(q.shape)}`);
  if (Hq % Hkv !== 0) throw new ShapeError(`attention: ${Hq} query heads are not a multiple of ${Hkv} kv heads`);
  const qOffset = opts.qOffset ?? 0;
  if (qOffset < 0 || qOffset + Tq > Tk) throw new ShapeError(`attention: queries at ${qOffset}..${qOffset + Tq - 1} need keys up to there, but k has ${Tk}`);
  const keyStart = opts.keyStart ?? null;
  if (keyStart && keyStart.length !== B) throw new ShapeError(`attention: keyStart has ${keyStart.length} entries for batch ${B}`);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const out = empty(q.shape);
  const lse = scratch(B * Hq * Tq);
  const kern = backend().kernels;
  kern.attention(q.data, k.data, v.data, B, Tq, Tk, Hq, Hkv, D, qOffset, keyStart, scale, out.data, lse);
  if (!needsGrad(q, k, v)) return out;
  return record(out, () => {
    const dq = q.requiresGrad ? gradOf(q).data : scratch(q.size).fill(0);
    const dk = k.requiresGrad ? gradOf(k).data : scratch(k.size).fill(0);
    const dv = v.requiresGrad ? gradOf(v).data : scratch(v.size).fill(0);
    kern.attentionBackward(out.grad!.data, q.data, k.data, v.data, out.data, lse, B, Tq, Tk, Hq, Hkv, D, qOffset, keyStart, scale, dq, dk, dv);
  });
}
