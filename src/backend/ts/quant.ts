// The TypeScript reference of the quantised inference kernels (native/quant*.c must match it).
//
// A product on quantised weights is defined as llama.cpp computes it: the activation row is
// quantised to int8 blocks (Q8_0: 32 values, for Q8_0/Q4_0 weights; Q8_K: 256 values, for the
// k-quants; BF16 weights see the activations rounded to bf16), and the result is the exact dot
// product of the dequantised weights (src/quant/blocks.ts, bit-exact with ggml) with the
// dequantised activations. Here it is summed in float64; the native kernels sum in f32 blocks, so
// they agree to rounding, not to the bit.
import { dequantizeInto, GGML_TYPE, rowBytes, bf16ToF32, f32ToBf16, F16_TABLE } from '../../quant/blocks.ts';
import { f32ToF16 } from '../../quant/half.ts';
import type { QuantKernels } from '../quant.ts';

const fr = Math.fround;

/** Round half to even (what vcvtps2dq does in the default rounding mode). */
function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Values per activation block for a weight type (0: the activations stay f32). */
export function activationBlock(type: number): number {
  if (type === GGML_TYPE.Q8_0 || type === GGML_TYPE.Q4_0 || type === GGML_TYPE.Q5_0) return 32;
  if (type === GGML_TYPE.Q4_K || type === GGML_TYPE.Q5_K || type === GGML_TYPE.Q6_K) return 256;
  return 0;
}

/**
 * One activation row as the kernels see it, as ggml's CPU backend quantises activations: int8
 * blocks of bs values with q = round-to-even(x · id), id = 127 / max|x|, all in f32 steps; the
 * scale d is max|x| / 127 rounded to f16 for 32-value (Q8_0) blocks and 1 / id for 256-value
 * (Q8_K) blocks. Returns the dequantised row d·q.
 */
export function quantizeActivations(x: Float32Array, bs: number): { q: Int8Array; d: Float32Array; values: Float32Array } {
  const K = x.length, q = new Int8Array(K), d = new Float32Array(K / bs), values = new Float32Array(K);
  for (let b = 0; b < K / bs; b++) {
    let amax = 0;
    for (let i = 0; i < bs; i++) amax = Math.max(amax, Math.abs(x[b * bs + i]));
    const id = amax !== 0 ? fr(127 / amax) : 0;
    const db = bs === 32 ? F16_TABLE[f32ToF16(fr(amax / 127))] : id !== 0 ? fr(1 / id) : 0;
    d[b] = db;
    for (let i = 0; i < bs; i++) {
      const v = roundEven(fr(x[b * bs + i] * id));
      q[b * bs + i] = v;
      values[b * bs + i] = db * v;
    }
  }
  return { q, d, values };
}

/**
 * Q8_0 blocks plus their residual (the `fine` products on Q8_0 weights): q and d as
 * quantizeActivations(x, 32), then q2 = round-to-even(r · fround(128 / d)) with r = fround(x - d·q)
 * (d·q is exact in float64: an f16 times an int8), so x ≈ d·q + (d/128)·q2 to ~15 bits.
 */
export function fineActivations(x: Float32Array): Float32Array {
  const { q, d, values } = quantizeActivations(x, 32);
  for (let b = 0; b < d.length; b++) {
    const db = d[b], id = db !== 0 ? fr(128 / db) : 0;
    for (let i = b * 32; i < b * 32 + 32; i++) {
      const q2 = roundEven(fr(fr(x[i] - db * q[i]) * id));
      values[i] = db * q[i] + (db / 128) * q2;
    }
  }
  return values;
}

/** The activation row as a weight type's kernel sees it. */
export function effectiveActivations(type: number, x: Float32Array, fine = false): Float32Array {
  if (fine && type === GGML_TYPE.Q8_0) return fineActivations(x);
  const bs = activationBlock(type);
  if (bs > 0) return quantizeActivations(x, bs).values;
  if (type === GGML_TYPE.BF16) return Float32Array.from(x, (v) => bf16ToF32(f32ToBf16(v)));
  return x;
}

function bytesOf(w: ArrayBufferView): Uint8Array {
  return new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
}

export const tsQuantKernels: QuantKernels = {
  quantMatmul(type, W, N, K, X, M, Y, fine = false) {
    const rb = rowBytes(type, K), bytes = bytesOf(W), w = new Float32Array(K);
    const acts = Array.from({ length: M }, (_, m) => effectiveActivations(type, X.subarray(m * K, (m + 1) * K), fine));
    for (let n = 0; n < N; n++) {
      dequantizeInto(type, bytes.subarray(n * rb, (n + 1) * rb), K, w);
      for (let m = 0; m < M; m++) {
        const a = acts[m];
        let s = 0;
        for (let k = 0; k < K; k++) s += w[k] * a[k];
        Y[m * N + n] = s;
      }
    }
  },

  quantMatmulMulti(X, M, K, mats) {
    for (const [type, W, N, Y] of mats) tsQuantKernels.quantMatmul(type, W, N, K, X, M, Y);
  },

  quantGetRows(type, W, K, ids, n, out) {
    const rb = rowBytes(type, K), bytes = bytesOf(W);
    for (let i = 0; i < n; i++) dequantizeInto(type, bytes.subarray(ids[i] * rb, (ids[i] + 1) * rb), K, out, i * K);
  },

  attentionF16(q, kc, vc, T, Hq, Hkv, D, qOffset, scale, out) {
    const G = Hq / Hkv, row = Hkv * D;
    for (let t = 0; t < T; t++) {
      const n = qOffset + t + 1;
      for (let h = 0; h < Hq; h++) {
        const g = Math.floor(h / G), qo = (t * Hq + h) * D;
        const s = new Float64Array(n);
        let mx = -Infinity;
        for (let j = 0; j < n; j++) {
          let a = 0;
          for (let d = 0; d < D; d++) a += q[qo + d] * F16_TABLE[kc[j * row + g * D + d]];
          s[j] = a * scale;
          mx = Math.max(mx, s[j]);
        }
        let sum = 0;
        for (let j = 0; j < n; j++) { s[j] = Math.exp(s[j] - mx); sum += s[j]; }
        for (let d = 0; d < D; d++) {
          let o = 0;
          for (let j = 0; j < n; j++) o += s[j] * F16_TABLE[vc[j * row + g * D + d]];
          out[qo + d] = o / sum;
        }
      }
    }
  },

  cacheWriteF16(k, v, T, rowLen, pos, kc, vc) {
    for (let i = 0; i < T * rowLen; i++) {
      kc[pos * rowLen + i] = f32ToF16(k[i]);
      vc[pos * rowLen + i] = f32ToF16(v[i]);
    }
  },
};
