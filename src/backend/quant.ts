// The quantised inference kernels: products on GGML-block weights used in place (memory-mapped
// files), attention over an f16 KV cache. Native (native/quant*.c) when the addon is built, else
// the TypeScript reference (src/backend/ts/quant.ts), chosen as the backend is (PONDER_BACKEND).
import { backend } from './index.ts';
import { loadNativeQuant } from './native/quant.ts';
import { tsQuantKernels } from './ts/quant.ts';

export interface QuantKernels {
  /**
   * Y (M, N) = X (M, K) · Wᵀ where W holds N rows of K values as GGML `type` blocks
   * (F32 0, F16 1, Q4_0 2, Q5_0 6, Q8_0 8, Q4_K 12, Q5_K 13, Q6_K 14, BF16 30), row after row.
   * The activations are quantised on the fly as llama.cpp does (see ts/quant.ts). With `fine`,
   * Q8_0 weights see activations to ~15 bits instead (ggml's int8 blocks plus their residual in
   * steps of d/128; ts/quant.ts fineActivations): the LM head uses it, as its input's rounding
   * reaches the logits undiluted. Other types ignore it.
   */
  quantMatmul(type: number, W: ArrayBufferView, N: number, K: number, X: Float32Array, M: number, Y: Float32Array, fine?: boolean): void;
  /**
   * Several products of the same X (M, K): for each [type, W, N, Y], Y (M, N) = X · Wᵀ. One
   * parallel region for all (q, k and v; gate and up), the activations quantised once.
   */
  quantMatmulMulti(X: Float32Array, M: number, K: number, mats: [number, ArrayBufferView, number, Float32Array][]): void;
  /** out (n, K) = rows ids of W dequantised (an embedding lookup on a quantised table). */
  quantGetRows(type: number, W: ArrayBufferView, K: number, ids: Int32Array, n: number, out: Float32Array): void;
  /**
   * Causal attention of T queries (T, Hq, D) at positions qOffset.. against an f16 cache
   * (Tmax, Hkv, D) filled up to qOffset + T; query head h reads KV head h / (Hq / Hkv).
   */
  attentionF16(q: Float32Array, kc: Uint16Array, vc: Uint16Array, T: number, Hq: number, Hkv: number, D: number,
    qOffset: number, scale: number, out: Float32Array): void;
  /** k, v (T, rowLen) f32 into the f16 caches at rows [pos, pos + T), rounded to nearest even. */
  cacheWriteF16(k: Float32Array, v: Float32Array, T: number, rowLen: number, pos: number, kc: Uint16Array, vc: Uint16Array): void;
}

let chosen: QuantKernels | null = null;

/** The quantised kernels of the current backend. */
export function quantKernels(): QuantKernels {
  if (chosen) return chosen;
  chosen = backend().name === 'native' ? (loadNativeQuant() ?? tsQuantKernels) : tsQuantKernels;
  return chosen;
}
