// GGML block formats: dequantisation against blocks packed by an independent encoder written here
// from the layouts in ggml-common.h (known levels, scales and mins in, expected floats out), and
// quantisation checked by its round-trip error and the formats' own invariants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dequantize, quantize, GGML_TYPE, F16_TABLE, f32ToF16, f32ToBf16, bf16ToF32, rowBytes, blockFormat } from '../../src/quant/blocks.ts';
import { rng, randn } from '../helpers.ts';

const fr = Math.fround;

/** A random finite, positive f16 bit pattern of moderate size (a plausible block scale). */
function randHalfBits(r: () => number): number {
  const exp = 5 + Math.floor(r() * 12); // 2^-10 .. 2^1
  return (exp << 10) | Math.floor(r() * 1024);
}

function put16(b: Uint8Array, at: number, h: number): void { b[at] = h & 0xff; b[at + 1] = h >> 8; }

function assertBits(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length), w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < g.length; i++) if (g[i] !== w[i]) assert.fail(`${what}: value ${i} is ${got[i]}, expected ${want[i]}`);
}

test('f16: every finite half survives f32 -> f16, and ties round to even', () => {
  for (let h = 0; h < 65536; h++) {
    if (((h >> 10) & 0x1f) === 0x1f && (h & 0x3ff) !== 0) continue; // NaN payloads
    assert.equal(f32ToF16(F16_TABLE[h]), h, `half 0x${h.toString(16)}`);
  }
  // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: to even (1). 1 + 3·2^-11: to 1 + 2^-9 (even).
  assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00);
  assert.equal(f32ToF16(1 + 3 * 2 ** -11), 0x3c02);
  assert.equal(f32ToF16(1 + 2 ** -11 + 2 ** -20), 0x3c01);
  assert.equal(f32ToF16(65520), 0x7c00); // rounds past the largest half: infinity
  assert.equal(f32ToF16(65519), 0x7bff);
  assert.equal(f32ToF16(2 ** -25), 0); // half the smallest subnormal: tie to even zero
  assert.equal(f32ToF16(2 ** -25 + 2 ** -35), 1);
  assert.equal(f32ToF16(-3 * 2 ** -25), 0x8002); // 1.5 subnormal units: to even (2)
});

test('bf16: round to nearest even, NaN stays NaN', () => {
  assert.equal(f32ToBf16(1), 0x3f80);
  assert.equal(f32ToBf16(1 + 2 ** -8), 0x3f80); // tie -> even
  assert.equal(f32ToBf16(1 + 3 * 2 ** -8), 0x3f82);
  assert.equal(f32ToBf16(-2.5), 0xc020);
  assert.ok(Number.isNaN(bf16ToF32(f32ToBf16(NaN))));
  const x = randn(1000, 3);
  const back = dequantize(GGML_TYPE.BF16, quantize(GGML_TYPE.BF16, x), x.length);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(back[i] - x[i]) <= Math.abs(x[i]) * 2 ** -8);
});

test('F32, F16, BF16 decode little-endian values', () => {
  const x = Float32Array.of(1.5, -2, 0.1, 65504);
  assertBits(dequantize(GGML_TYPE.F32, new Uint8Array(x.buffer), 4), x, 'F32');
  const h = new Uint8Array(8);
  [0x3e00, 0xc000, 0x2e66, 0x7bff].forEach((v, i) => put16(h, 2 * i, v));
  assertBits(dequantize(GGML_TYPE.F16, h, 4), Float32Array.of(1.5, -2, fr(0.0999755859375), 65504), 'F16');
  const b = new Uint8Array(4);
  put16(b, 0, 0x3fc0); put16(b, 2, 0xc120);
  assertBits(dequantize(GGML_TYPE.BF16, b, 2), Float32Array.of(1.5, -10), 'BF16');
});

test('Q8_0: blocks from the independent encoder decode to d·q', () => {
  const r = rng(1), nb = 5, bytes = new Uint8Array(nb * 34), want = new Float32Array(nb * 32);
  for (let i = 0; i < nb; i++) {
    const dh = randHalfBits(r); put16(bytes, i * 34, dh);
    for (let j = 0; j < 32; j++) {
      const q = Math.floor(r() * 256) - 128;
      bytes[i * 34 + 2 + j] = q & 0xff;
      want[i * 32 + j] = fr(F16_TABLE[dh] * q);
    }
  }
  assertBits(dequantize(GGML_TYPE.Q8_0, bytes, nb * 32), want, 'Q8_0');
});

test('Q4_0: value j in the low nibble of byte j, value j+16 in its high nibble, x = d·(q-8)', () => {
  const r = rng(2), nb = 4, bytes = new Uint8Array(nb * 18), want = new Float32Array(nb * 32);
  for (let i = 0; i < nb; i++) {
    const dh = randHalfBits(r) | (r() < 0.5 ? 0x8000 : 0); put16(bytes, i * 18, dh);
    const q = Array.from({ length: 32 }, () => Math.floor(r() * 16));
    for (let j = 0; j < 16; j++) bytes[i * 18 + 2 + j] = q[j] | (q[j + 16] << 4);
    for (let j = 0; j < 32; j++) want[i * 32 + j] = fr(F16_TABLE[dh] * (q[j] - 8));
  }
  assertBits(dequantize(GGML_TYPE.Q4_0, bytes, nb * 32), want, 'Q4_0');
});

for (const [name, type, bits, withMin] of [['Q4_1', GGML_TYPE.Q4_1, 4, true], ['Q5_0', GGML_TYPE.Q5_0, 5, false], ['Q5_1', GGML_TYPE.Q5_1, 5, true]] as const) {
  test(`${name}: blocks from the independent encoder decode to ${withMin ? 'd·q + m' : 'd·(q - 16)'}`, () => {
    const r = rng(40 + type), nb = 4, bytes: number[] = [], want: number[] = [];
    for (let i = 0; i < nb; i++) {
      const dh = randHalfBits(r) | (r() < 0.5 ? 0x8000 : 0), mh = randHalfBits(r) | 0x8000;
      const q = Array.from({ length: 32 }, () => Math.floor(r() * (1 << bits)));
      // Value j: low nibble of byte j (j < 16) or high nibble of byte j - 16; fifth bit = bit j of a u32.
      const qs = Array.from({ length: 16 }, (_, j) => (q[j] & 0xf) | ((q[j + 16] & 0xf) << 4));
      let qh = 0;
      q.forEach((v, j) => { qh |= (v >> 4) << j; });
      bytes.push(dh & 0xff, dh >> 8);
      if (withMin) bytes.push(mh & 0xff, mh >> 8);
      if (bits === 5) bytes.push(qh & 0xff, (qh >>> 8) & 0xff, (qh >>> 16) & 0xff, (qh >>> 24) & 0xff);
      bytes.push(...qs);
      for (const v of q) want.push(withMin ? fr(fr(F16_TABLE[dh] * v) + F16_TABLE[mh]) : fr(F16_TABLE[dh] * (v - 16)));
    }
    assert.equal(bytes.length, nb * blockFormat(type).typeSize);
    assertBits(dequantize(type, Uint8Array.from(bytes), nb * 32), Float32Array.from(want), name);
  });
}

/** Packs 8 six-bit scales and mins as ggml's K_SCALE_SIZE bytes (see get_scale_min_k4). */
function packScalesK4(sc: number[], m: number[]): number[] {
  const out = new Array(12).fill(0);
  for (let j = 0; j < 4; j++) {
    out[j] = sc[j] | ((sc[j + 4] >> 4) << 6);
    out[j + 4] = m[j] | ((m[j + 4] >> 4) << 6);
    out[j + 8] = (sc[j + 4] & 0xf) | ((m[j + 4] & 0xf) << 4);
  }
  return out;
}

/** A random Q4_K or Q5_K super-block: returns its bytes and the values it stands for. */
function kBlock(r: () => number, bits: 4 | 5): { bytes: number[]; values: number[] } {
  const dh = randHalfBits(r), mh = randHalfBits(r);
  const sc = Array.from({ length: 8 }, () => Math.floor(r() * 64)), m = Array.from({ length: 8 }, () => Math.floor(r() * 64));
  const q = Array.from({ length: 256 }, () => Math.floor(r() * (1 << bits)));
  const qs = new Array(128).fill(0), qh = new Array(32).fill(0);
  // Values 64c..64c+31 are the low nibbles of bytes 32c..32c+31, values 64c+32.. their high nibbles;
  // the fifth bit of value 64c+l is bit 2c of qh[l], of value 64c+32+l bit 2c+1.
  for (let c = 0; c < 4; c++) {
    for (let l = 0; l < 32; l++) {
      const lo = q[64 * c + l], hi = q[64 * c + 32 + l];
      qs[32 * c + l] = (lo & 0xf) | ((hi & 0xf) << 4);
      qh[l] |= ((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1));
    }
  }
  const values = q.map((v, i) => {
    const j = i >> 5;
    return fr(fr(fr(F16_TABLE[dh] * sc[j]) * v) - fr(F16_TABLE[mh] * m[j]));
  });
  const head = [dh & 0xff, dh >> 8, mh & 0xff, mh >> 8, ...packScalesK4(sc, m)];
  return { bytes: bits === 4 ? [...head, ...qs] : [...head, ...qh, ...qs], values };
}

for (const [name, type, bits] of [['Q4_K', GGML_TYPE.Q4_K, 4], ['Q5_K', GGML_TYPE.Q5_K, 5]] as const) {
  test(`${name}: super-blocks from the independent encoder decode to d·sc·q - dmin·m`, () => {
    const r = rng(bits), blocks = Array.from({ length: 6 }, () => kBlock(r, bits));
    const bytes = Uint8Array.from(blocks.flatMap((b) => b.bytes));
    assert.equal(bytes.length, 6 * blockFormat(type).typeSize);
    assertBits(dequantize(type, bytes, 6 * 256), Float32Array.from(blocks.flatMap((b) => b.values)), name);
  });
}

test('Q6_K: super-blocks from the independent encoder decode to d·sc·(q-32)', () => {
  const r = rng(6), nb = 4, bytes: number[] = [], want: number[] = [];
  for (let i = 0; i < nb; i++) {
    const dh = randHalfBits(r) | (r() < 0.5 ? 0x8000 : 0);
    const sc = Array.from({ length: 16 }, () => Math.floor(r() * 256) - 128);
    const q = Array.from({ length: 256 }, () => Math.floor(r() * 64));
    const ql = new Array(128).fill(0), qh = new Array(64).fill(0);
    // Half h (128 values) of the block: value 128h + 32k + l keeps its low nibble in
    // ql[64h + l + 32·(k&1)] (high nibble when k >= 2) and its top two bits at bit 2k of qh[32h + l].
    for (let idx = 0; idx < 256; idx++) {
      const h = idx >> 7, k = (idx >> 5) & 3, l = idx & 31;
      ql[64 * h + l + 32 * (k & 1)] |= (q[idx] & 0xf) << (k >= 2 ? 4 : 0);
      qh[32 * h + l] |= (q[idx] >> 4) << (2 * k);
      want.push(fr(fr(F16_TABLE[dh] * sc[idx >> 4]) * (q[idx] - 32)));
    }
    bytes.push(...ql, ...qh, ...sc.map((s) => s & 0xff), dh & 0xff, dh >> 8);
  }
  assertBits(dequantize(GGML_TYPE.Q6_K, Uint8Array.from(bytes), nb * 256), Float32Array.from(want), 'Q6_K');
});

test('quantize Q8_0 is ggml reference: d = amax/127 stored as f16, q = round(x·127/amax)', () => {
  const x = randn(256, 7);
  x[5] = 0; x[40] = -3.5;
  const b = quantize(GGML_TYPE.Q8_0, x);
  for (let i = 0; i < 8; i++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[i * 32 + j]));
    const d = fr(amax / 127), id = fr(1 / d);
    assert.equal(b[i * 34] | (b[i * 34 + 1] << 8), f32ToF16(d));
    for (let j = 0; j < 32; j++) {
      const v = fr(x[i * 32 + j] * id), want = Math.sign(v) * Math.floor(Math.abs(v) + 0.5) + 0; // + 0: no -0
      assert.equal((b[i * 34 + 2 + j] << 24) >> 24, want);
    }
  }
});

function rmsError(type: number, x: Float32Array): number {
  const y = dequantize(type, quantize(type, x), x.length);
  let e = 0, s = 0;
  for (let i = 0; i < x.length; i++) { e += (y[i] - x[i]) ** 2; s += x[i] ** 2; }
  return Math.sqrt(e / s);
}

test('quantisers round-trip with the error their bit widths allow', () => {
  const x = randn(256 * 16, 11, 0.05);
  // Relative RMS error on Gaussian weights: ggml's own quantize-fns test sees about these figures.
  const bounds: [number, number][] = [[GGML_TYPE.F16, 5e-4], [GGML_TYPE.BF16, 4e-3], [GGML_TYPE.Q8_0, 0.01],
    [GGML_TYPE.Q6_K, 0.04], [GGML_TYPE.Q4_K, 0.12], [GGML_TYPE.Q5_0, 0.08], [GGML_TYPE.Q4_0, 0.15]];
  for (const [type, bound] of bounds) {
    const e = rmsError(type, x);
    assert.ok(e < bound && e > 0, `${blockFormat(type).name}: relative RMS error ${e}`);
  }
  // Q6_K beats Q4_K beats nothing: more bits, less error.
  assert.ok(rmsError(GGML_TYPE.Q6_K, x) < rmsError(GGML_TYPE.Q4_K, x) / 3);
});

test('quantisers keep all-zero blocks zero and refuse partial blocks', () => {
  for (const type of [GGML_TYPE.Q8_0, GGML_TYPE.Q4_0, GGML_TYPE.Q5_0, GGML_TYPE.Q4_K, GGML_TYPE.Q6_K]) {
    const z = dequantize(type, quantize(type, new Float32Array(256)), 256);
    assert.ok(z.every((v) => v === 0), blockFormat(type).name);
  }
  assert.throws(() => quantize(GGML_TYPE.Q4_K, new Float32Array(100)), /whole Q4_K blocks of 256/);
  assert.throws(() => dequantize(GGML_TYPE.Q8_0, new Uint8Array(33), 32), /need 34 bytes/);
  assert.throws(() => rowBytes(10, 256, 'x.gguf'), /Q2_K \(10\) is not supported/);
  assert.throws(() => quantize(GGML_TYPE.Q5_1, new Float32Array(32)), /writing Q5_1 is not supported/);
  assert.throws(() => rowBytes(99, 256, 'x.gguf'), /unknown tensor type id 99/);
  assert.throws(() => quantize(GGML_TYPE.Q5_K, new Float32Array(256)), /writing Q5_K is not supported/);
});
