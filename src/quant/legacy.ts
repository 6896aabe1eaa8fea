// The 32-value blocks: Q8_0 (f16 scale d, 32 int8: x = d·q) and Q4_0 (f16 d, 16 bytes whose low
// nibbles are values 0..15 and high nibbles values 16..31: x = d·(q - 8)); read only: Q4_1 (f16 d
// and m, nibbles: x = d·q + m), Q5_0 and Q5_1 (a u32 of fifth bits after the scales: bit j is
// value j's, bit j + 16 value j + 16's; x = d·(q - 16), or d·q + m). llama-quantize falls back to
// these when rows do not fill 256-value k-quant blocks (Qwen2.5-0.5B's 896).
// Arithmetic is f32, step by step, as ggml-quants.c's reference functions do it.
import { F16_TABLE, f32ToF16 } from './half.ts';

const fr = Math.fround;

/** C's roundf: half away from zero. */
function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

function half(src: Uint8Array, at: number): number {
  return F16_TABLE[src[at] | (src[at + 1] << 8)];
}

export function dequantizeQ8_0(src: Uint8Array, nb: number, out: Float32Array, o = 0): void {
  for (let i = 0; i < nb; i++) {
    const b = i * 34, d = half(src, b);
    for (let j = 0; j < 32; j++) out[o + i * 32 + j] = ((src[b + 2 + j] << 24) >> 24) * d;
  }
}

export function dequantizeQ4_0(src: Uint8Array, nb: number, out: Float32Array, o = 0): void {
  for (let i = 0; i < nb; i++) {
    const b = i * 18, d = half(src, b), y = o + i * 32;
    for (let j = 0; j < 16; j++) {
      const q = src[b + 2 + j];
      out[y + j] = ((q & 0x0f) - 8) * d;
      out[y + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

export function dequantizeQ4_1(src: Uint8Array, nb: number, out: Float32Array, o = 0): void {
  for (let i = 0; i < nb; i++) {
    const b = i * 20, d = half(src, b), m = half(src, b + 2), y = o + i * 32;
    for (let j = 0; j < 16; j++) {
      const q = src[b + 4 + j];
      out[y + j] = fr((q & 0x0f) * d) + m;
      out[y + j + 16] = fr((q >> 4) * d) + m;
    }
  }
}

/** Q5_0 (22 bytes: d, qh, qs) and Q5_1 (24 bytes: d, m, qh, qs). */
function dequantizeQ5(src: Uint8Array, nb: number, out: Float32Array, o: number, withMin: boolean): void {
  const size = withMin ? 24 : 22, hAt = withMin ? 4 : 2;
  for (let i = 0; i < nb; i++) {
    const b = i * size, d = half(src, b), m = withMin ? half(src, b + 2) : 0, y = o + i * 32;
    const qh = (src[b + hAt] | (src[b + hAt + 1] << 8) | (src[b + hAt + 2] << 16) | (src[b + hAt + 3] << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const q = src[b + hAt + 4 + j];
      const x0 = (q & 0x0f) | (((qh >>> j) << 4) & 0x10), x1 = (q >> 4) | ((qh >>> (j + 12)) & 0x10);
      if (withMin) { out[y + j] = fr(x0 * d) + m; out[y + j + 16] = fr(x1 * d) + m; }
      else { out[y + j] = (x0 - 16) * d; out[y + j + 16] = (x1 - 16) * d; }
    }
  }
}

export function dequantizeQ5_0(src: Uint8Array, nb: number, out: Float32Array, o = 0): void { dequantizeQ5(src, nb, out, o, false); }
export function dequantizeQ5_1(src: Uint8Array, nb: number, out: Float32Array, o = 0): void { dequantizeQ5(src, nb, out, o, true); }

/** quantize_row_q8_0_ref: d = amax / 127, q = round(x / d). */
export function quantizeQ8_0(x: Float32Array, dst: Uint8Array): void {
  const nb = x.length / 32;
  for (let i = 0; i < nb; i++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[i * 32 + j]));
    const d = fr(amax / 127), id = d ? fr(1 / d) : 0;
    const h = f32ToF16(d), b = i * 34;
    dst[b] = h & 0xff; dst[b + 1] = h >> 8;
    for (let j = 0; j < 32; j++) dst[b + 2 + j] = roundf(fr(x[i * 32 + j] * id)) & 0xff;
  }
}

/** The value of largest magnitude in x[at, at + 32), sign kept (the first of equal magnitudes). */
function signedMax(x: Float32Array, at: number): number {
  let amax = 0, max = 0;
  for (let j = 0; j < 32; j++) {
    const v = x[at + j];
    if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
  }
  return max;
}

/** quantize_row_q5_0_ref: d = (the value of largest magnitude) / -16, q = min(31, trunc(x/d + 16.5)). */
export function quantizeQ5_0(x: Float32Array, dst: Uint8Array): void {
  const nb = x.length / 32;
  for (let i = 0; i < nb; i++) {
    const d = fr(signedMax(x, i * 32) / -16), id = d ? fr(1 / d) : 0;
    const h = f32ToF16(d), b = i * 22;
    dst[b] = h & 0xff; dst[b + 1] = h >> 8;
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const q0 = Math.min(31, Math.trunc(fr(fr(x[i * 32 + j] * id) + 16.5)));
      const q1 = Math.min(31, Math.trunc(fr(fr(x[i * 32 + 16 + j] * id) + 16.5)));
      dst[b + 6 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 & 0x10) >> 4) << j;
      qh |= ((q1 & 0x10) >> 4) << (j + 16);
    }
    dst[b + 2] = qh & 0xff; dst[b + 3] = (qh >>> 8) & 0xff; dst[b + 4] = (qh >>> 16) & 0xff; dst[b + 5] = (qh >>> 24) & 0xff;
  }
}

/** quantize_row_q4_0_ref: d = (the value of largest magnitude) / -8, q = min(15, trunc(x/d + 8.5)). */
export function quantizeQ4_0(x: Float32Array, dst: Uint8Array): void {
  const nb = x.length / 32;
  for (let i = 0; i < nb; i++) {
    const d = fr(signedMax(x, i * 32) / -8), id = d ? fr(1 / d) : 0;
    const h = f32ToF16(d), b = i * 18;
    dst[b] = h & 0xff; dst[b + 1] = h >> 8;
    for (let j = 0; j < 16; j++) {
      const x0 = fr(x[i * 32 + j] * id), x1 = fr(x[i * 32 + 16 + j] * id);
      // (int8_t) truncates toward zero; the sum is in [0.5, 16.5] for finite input.
      const q0 = Math.min(15, Math.trunc(fr(x0 + 8.5))), q1 = Math.min(15, Math.trunc(fr(x1 + 8.5)));
      dst[b + 2 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
    }
  }
}
