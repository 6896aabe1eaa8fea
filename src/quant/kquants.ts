// The k-quants: super-blocks of 256 values (QK_K) split into sub-blocks with their own scales.
//   Q4_K: f16 d, f16 dmin, 12 bytes packing 8 six-bit scales and 8 six-bit mins, 128 bytes of
//         nibbles; sub-block j of 32 values: x = d·sc_j·q - dmin·m_j.
//   Q5_K: Q4_K plus 32 bytes of fifth bits (qh).
//   Q6_K: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 int8 scales, f16 d;
//         sub-block of 16 values: x = d·sc·(q - 32).
// Every product and sum is rounded to f32 where ggml-quants.c's C rounds it, so the values are
// bit for bit what dequantize_row_q4_K & co. give (and the quantisers what the _ref functions give).
import { F16_TABLE, f32ToF16 } from './half.ts';

const fr = Math.fround;

/** ggml's nearest_int: round half to even through the f32 magic-number trick (|x| < 2^22). */
function nearestInt(x: number): number {
  return fr(x + 12582912) - 12582912;
}

function half(src: Uint8Array, at: number): number {
  return F16_TABLE[src[at] | (src[at + 1] << 8)];
}

function putHalf(dst: Uint8Array, at: number, x: number): void {
  const h = f32ToF16(x);
  dst[at] = h & 0xff; dst[at + 1] = h >> 8;
}

/** get_scale_min_k4: the six-bit scale and min of sub-block j from the 12 packed bytes at q. */
export function scaleMinK4(j: number, q: Uint8Array, at: number): [number, number] {
  if (j < 4) return [q[at + j] & 63, q[at + j + 4] & 63];
  return [
    (q[at + j + 4] & 0xf) | ((q[at + j - 4] >> 6) << 4),
    (q[at + j + 4] >> 4) | ((q[at + j] >> 6) << 4),
  ];
}

/** The eight sub-block scales d·sc_j and mins dmin·m_j of a Q4_K/Q5_K super-block, in f32. */
function scalesK4(src: Uint8Array, b: number, dl: Float32Array, ml: Float32Array): void {
  const d = half(src, b), min = half(src, b + 2);
  for (let j = 0; j < 8; j++) {
    const [sc, m] = scaleMinK4(j, src, b + 4);
    dl[j] = fr(d * sc); ml[j] = fr(min * m);
  }
}

export function dequantizeQ4_K(src: Uint8Array, nb: number, out: Float32Array, o = 0): void {
  const dl = new Float32Array(8), ml = new Float32Array(8);
  for (let i = 0; i < nb; i++) {
    const b = i * 144;
    scalesK4(src, b, dl, ml);
    let q = b + 16, y = o + i * 256;
    for (let j = 0; j < 8; j += 2) {
      const d1 = dl[j], m1 = ml[j], d2 = dl[j + 1], m2 = ml[j + 1];
      for (let l = 0; l < 32; l++) out[y + l] = fr(d1 * (src[q + l] & 0xf)) - m1;
      for (let l = 0; l < 32; l++) out[y + 32 + l] = fr(d2 * (src[q + l] >> 4)) - m2;
      q += 32; y += 64;
    }
  }
}

export function dequantizeQ5_K(src: Uint8Array, nb: number, out: Float32Array, o = 0): void {
  const dl = new Float32Array(8), ml = new Float32Array(8);
  for (let i = 0; i < nb; i++) {
    const b = i * 176, qh = b + 16;
    scalesK4(src, b, dl, ml);
    let ql = b + 48, y = o + i * 256, u1 = 1, u2 = 2;
    for (let j = 0; j < 8; j += 2) {
      const d1 = dl[j], m1 = ml[j], d2 = dl[j + 1], m2 = ml[j + 1];
      for (let l = 0; l < 32; l++) out[y + l] = fr(d1 * ((src[ql + l] & 0xf) + (src[qh + l] & u1 ? 16 : 0))) - m1;
      for (let l = 0; l < 32; l++) out[y + 32 + l] = fr(d2 * ((src[ql + l] >> 4) + (src[qh + l] & u2 ? 16 : 0))) - m2;
      ql += 32; y += 64; u1 <<= 2; u2 <<= 2;
    }
  }
}

export function dequantizeQ6_K(src: Uint8Array, nb: number, out: Float32Array, o = 0): void {
  const sc = new Float32Array(16);
  for (let i = 0; i < nb; i++) {
    const b = i * 210, d = half(src, b + 208);
    for (let k = 0; k < 16; k++) sc[k] = fr(d * ((src[b + 192 + k] << 24) >> 24)); // d · int8 scale, in f32
    let ql = b, qh = b + 128, y = o + i * 256;
    for (let n = 0; n < 2; n++) {
      const s = n * 8;
      for (let l = 0; l < 32; l++) {
        const is = s + (l >> 4), h = src[qh + l], lo = src[ql + l], hi = src[ql + l + 32];
        out[y + l] = sc[is] * (((lo & 0xf) | ((h & 3) << 4)) - 32);
        out[y + l + 32] = sc[is + 2] * (((hi & 0xf) | (((h >> 2) & 3) << 4)) - 32);
        out[y + l + 64] = sc[is + 4] * (((lo >> 4) | (((h >> 4) & 3) << 4)) - 32);
        out[y + l + 96] = sc[is + 6] * (((hi >> 4) | (((h >> 6) & 3) << 4)) - 32);
      }
      y += 128; ql += 64; qh += 32;
    }
  }
}

/**
 * make_qkx2_quants: levels 0..nmax with a scale and a (negative) min for n values, searching
 * scales around the range for the least weighted squared error. Writes L; returns [scale, -min].
 */
export function makeQkx2(n: number, nmax: number, x: Float32Array, xo: number, w: Float32Array, L: Uint8Array, lo: number,
  aux: Uint8Array, rmin: number, rdelta: number, nstep: number): [number, number] {
  let min = x[xo], max = x[xo], sumW = w[0], sumX = fr(sumW * x[xo]);
  for (let i = 1; i < n; i++) {
    const xi = x[xo + i];
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    sumW = fr(sumW + w[i]);
    sumX = fr(sumX + fr(w[i] * xi));
  }
  if (min > 0) min = 0;
  if (max === min) { L.fill(0, lo, lo + n); return [0, -min]; }
  // min changes when a better fit is found, and later steps search from it (as the reference does).
  let iscale = fr(nmax / fr(max - min)), scale = fr(1 / iscale), bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.max(0, Math.min(nmax, nearestInt(fr(iscale * fr(x[xo + i] - min)))));
    L[lo + i] = l;
    const diff = fr(fr(fr(scale * l) + min) - x[xo + i]);
    bestError = fr(bestError + fr(w[i] * fr(diff * diff)));
  }
  for (let is = 0; is <= nstep; is++) {
    iscale = fr(fr(fr(rmin + fr(rdelta * is)) + nmax) / fr(max - min));
    let sumL = 0, sumL2 = 0, sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.max(0, Math.min(nmax, nearestInt(fr(iscale * fr(x[xo + i] - min)))));
      aux[i] = l;
      const wl = fr(w[i] * l);
      sumL = fr(sumL + wl);
      sumL2 = fr(sumL2 + fr(wl * l));
      sumXL = fr(sumXL + fr(wl * x[xo + i]));
    }
    const D = fr(fr(sumW * sumL2) - fr(sumL * sumL));
    if (!(D > 0)) continue;
    let thisScale = fr(fr(fr(sumW * sumXL) - fr(sumX * sumL)) / D);
    let thisMin = fr(fr(fr(sumL2 * sumX) - fr(sumL * sumXL)) / D);
    if (thisMin > 0) { thisMin = 0; thisScale = fr(sumXL / sumL2); }
    let err = 0;
    for (let i = 0; i < n; i++) {
      const diff = fr(fr(fr(thisScale * aux[i]) + thisMin) - x[xo + i]);
      err = fr(err + fr(w[i] * fr(diff * diff)));
    }
    if (err < bestError) {
      for (let i = 0; i < n; i++) L[lo + i] = aux[i];
      bestError = err; scale = thisScale; min = thisMin;
    }
  }
  return [scale, -min];
}

/** quantize_row_q4_K_ref. */
export function quantizeQ4_K(x: Float32Array, dst: Uint8Array): void {
  const nb = x.length / 256;
  const L = new Uint8Array(256), aux = new Uint8Array(32), w = new Float32Array(32);
  const scales = new Float32Array(8), mins = new Float32Array(8);
  for (let i = 0; i < nb; i++) {
    const xo = i * 256, b = i * 144;
    let maxScale = 0, maxMin = 0;
    for (let j = 0; j < 8; j++) {
      let sumX2 = 0;
      for (let l = 0; l < 32; l++) { const v = x[xo + 32 * j + l]; sumX2 = fr(sumX2 + fr(v * v)); }
      const avX = fr(Math.sqrt(fr(sumX2 / 32)));
      for (let l = 0; l < 32; l++) w[l] = fr(avX + Math.abs(x[xo + 32 * j + l]));
      [scales[j], mins[j]] = makeQkx2(32, 15, x, xo + 32 * j, w, L, 32 * j, aux, -1, fr(0.1), 20);
      if (scales[j] > maxScale) maxScale = scales[j];
      if (mins[j] > maxMin) maxMin = mins[j];
    }
    const invScale = maxScale > 0 ? fr(63 / maxScale) : 0, invMin = maxMin > 0 ? fr(63 / maxMin) : 0;
    const sc = b + 4;
    dst.fill(0, sc, sc + 12);
    for (let j = 0; j < 8; j++) {
      const ls = Math.min(63, nearestInt(fr(invScale * scales[j])) & 0xff);
      const lm = Math.min(63, nearestInt(fr(invMin * mins[j])) & 0xff);
      if (j < 4) { dst[sc + j] = ls; dst[sc + j + 4] = lm; } else {
        dst[sc + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
        dst[sc + j - 4] |= (ls >> 4) << 6;
        dst[sc + j] |= (lm >> 4) << 6;
      }
    }
    putHalf(dst, b, fr(maxScale / 63));
    putHalf(dst, b + 2, fr(maxMin / 63));
    const d0 = half(dst, b), dmin0 = half(dst, b + 2);
    for (let j = 0; j < 8; j++) {
      const [s, m] = scaleMinK4(j, dst, sc);
      const d = fr(d0 * s);
      if (!d) continue; // keeps the levels make_qkx2 chose, as the reference does
      const dm = fr(dmin0 * m);
      for (let ii = 0; ii < 32; ii++) {
        L[32 * j + ii] = Math.max(0, Math.min(15, nearestInt(fr(fr(x[xo + 32 * j + ii] + dm) / d))));
      }
    }
    let q = b + 16;
    for (let j = 0; j < 256; j += 64) {
      for (let l = 0; l < 32; l++) dst[q + l] = L[j + l] | (L[j + l + 32] << 4);
      q += 32;
    }
  }
}

const GROUP_MAX_EPS = fr(1e-15);

/** make_qx_quants with rmse_type 1 (weights x²) and no importance: signed levels -nmax..nmax-1. */
function makeQx(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  let max = 0, amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]);
    if (ax > amax) { amax = ax; max = x[xo + i]; }
  }
  if (amax < GROUP_MAX_EPS) { L.fill(0, lo, lo + n); return 0; }
  const sums = (iscale: number, write: boolean): [number, number] => {
    let sumlx = 0, suml2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xo + i];
      const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(fr(iscale * xi))));
      if (write) L[lo + i] = l + nmax;
      const w = fr(xi * xi);
      sumlx = fr(sumlx + fr(fr(w * xi) * l));
      suml2 = fr(suml2 + fr(fr(w * l) * l));
    }
    return [sumlx, suml2];
  };
  let [sumlx, suml2] = sums(fr(-nmax / max), true);
  let scale = suml2 ? fr(sumlx / suml2) : 0;
  let best = fr(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    const iscale = fr(-fr(nmax + fr(fr(0.1) * is)) / max);
    [sumlx, suml2] = sums(iscale, false);
    if (suml2 > 0 && fr(sumlx * sumlx) > fr(best * suml2)) {
      sums(iscale, true);
      scale = fr(sumlx / suml2); best = fr(scale * sumlx);
    }
  }
  return scale;
}

/** quantize_row_q6_K_ref. */
export function quantizeQ6_K(x: Float32Array, dst: Uint8Array): void {
  const nb = x.length / 256;
  const L = new Int8Array(256), scales = new Float32Array(16);
  for (let i = 0; i < nb; i++) {
    const xo = i * 256, b = i * 210;
    let maxScale = 0, maxAbsScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const s = makeQx(16, 32, x, xo + 16 * ib, L, 16 * ib);
      scales[ib] = s;
      if (Math.abs(s) > maxAbsScale) { maxAbsScale = Math.abs(s); maxScale = s; }
    }
    dst.fill(0, b, b + 210);
    if (maxAbsScale < GROUP_MAX_EPS) continue; // an all-zero block: d = 0
    const iscale = fr(-128 / maxScale);
    putHalf(dst, b + 208, fr(1 / iscale));
    for (let ib = 0; ib < 16; ib++) dst[b + 192 + ib] = Math.min(127, nearestInt(fr(iscale * scales[ib]))) & 0xff;
    const d0 = half(dst, b + 208);
    for (let j = 0; j < 16; j++) {
      const d = fr(d0 * ((dst[b + 192 + j] << 24) >> 24));
      if (!d) continue;
      for (let ii = 0; ii < 16; ii++) {
        L[16 * j + ii] = Math.max(-32, Math.min(31, nearestInt(fr(x[xo + 16 * j + ii] / d)))) + 32;
      }
    }
    let ql = b, qh = b + 128;
    for (let j = 0; j < 256; j += 128) {
      for (let l = 0; l < 32; l++) {
        const q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
        dst[ql + l] = (q1 & 0xf) | ((q3 & 0xf) << 4);
        dst[ql + l + 32] = (q2 & 0xf) | ((q4 & 0xf) << 4);
        dst[qh + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
      }
      ql += 64; qh += 32;
    }
  }
}
