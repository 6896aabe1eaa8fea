// Native quantised kernels against the TypeScript reference (src/backend/ts/quant.ts, whose
// dequantisation is src/quant/blocks.ts, bit-exact with ggml): products for every block type
// and several batch sizes (decode, the row kernels' 4-row tiles, the panel GEMM from 8 tokens with
// leftovers), row lookups bit for bit, f16-cache attention and cache writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNativeQuant } from '../../src/backend/native/quant.ts';
import { tsQuantKernels, quantizeActivations } from '../../src/backend/ts/quant.ts';
import { dequantize, GGML_TYPE, quantize, rowBytes, f32ToF16 } from '../../src/quant/blocks.ts';
import { randn, rng } from '../helpers.ts';

const native = loadNativeQuant();
const skip = native ? false : 'native addon not built';

/** N rows of K values as `type`: quantised from random weights, or (for Q5_K, which ponder does not encode) random block bytes with sane f16 scales. */
function weights(type: number, N: number, K: number, seed: number): Uint8Array {
  if (type !== GGML_TYPE.Q5_K) return quantize(type, randn(N * K, seed, 0.5));
  const b = new Uint8Array(rowBytes(type, N * K)), r = rng(seed);
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  for (let at = 0; at < b.length; at += 176) {
    const d = f32ToF16(0.001 + r() * 0.01), m = f32ToF16(r() * 0.01);
    b[at] = d & 255; b[at + 1] = d >> 8; b[at + 2] = m & 255; b[at + 3] = m >> 8;
  }
  return b;
}

/** Random block bytes (every bit pattern of the quants and scales) with finite f16 scales. */
function randomBlocks(type: number, N: number, K: number, seed: number): Uint8Array {
  const b = new Uint8Array(rowBytes(type, N * K)), r = rng(seed);
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  const scaleAt: Record<number, [number, number[]]> = {
    [GGML_TYPE.Q8_0]: [34, [0]], [GGML_TYPE.Q4_0]: [18, [0]], [GGML_TYPE.Q5_0]: [22, [0]], [GGML_TYPE.Q4_K]: [144, [0, 2]],
    [GGML_TYPE.Q5_K]: [176, [0, 2]], [GGML_TYPE.Q6_K]: [210, [208]],
  };
  const [size, offs] = scaleAt[type];
  for (let at = 0; at < b.length; at += size) for (const o of offs) {
    const h = f32ToF16((r() - 0.3) * 0.02);
    b[at + o] = h & 255; b[at + o + 1] = h >> 8;
  }
  return b;
}

const TYPES: [string, number, number][] = [ // name, id, K
  ['Q8_0', GGML_TYPE.Q8_0, 32 * 13], ['Q4_0', GGML_TYPE.Q4_0, 32 * 13], ['Q5_0', GGML_TYPE.Q5_0, 32 * 13], ['Q4_K', GGML_TYPE.Q4_K, 512],
  ['Q5_K', GGML_TYPE.Q5_K, 768], ['Q6_K', GGML_TYPE.Q6_K, 512], ['BF16', GGML_TYPE.BF16, 200],
  ['F16', GGML_TYPE.F16, 200], ['F32', GGML_TYPE.F32, 200],
];

/** |a - b| within tol · Σ|w||x| per output (the scale of the dot product's rounding). */
function assertDots(got: Float32Array, want: Float32Array, scale: Float64Array, tol: number, what: string): void {
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    assert.ok(err <= tol * scale[i] + 1e-30, `${what}: output ${i}: ${got[i]} vs ${want[i]} (error ${err}, scale ${scale[i]})`);
  }
}

function absScale(type: number, W: Uint8Array, N: number, K: number, X: Float32Array, M: number): Float64Array {
  const w = dequantize(type, W, N * K), s = new Float64Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let a = 0;
    for (let k = 0; k < K; k++) a += Math.abs(w[n * K + k] * X[m * K + k]);
    s[m * N + n] = a;
  }
  return s;
}

for (const [name, type, K] of TYPES) {
  test(`quantMatmul ${name}: native equals the reference for M = 1, 3, 4 (row kernels), 9, 21, 70 (panel GEMM; 70 tokens take the long-prompt panels)`, { skip }, () => {
    const N = 37;
    for (const [W, how] of [[weights(type, N, K, 7), 'quantised'], ...(type === GGML_TYPE.BF16 || type === GGML_TYPE.F16 || type === GGML_TYPE.F32 ? [] : [[randomBlocks(type, N, K, 8), 'random blocks'] as const])] as const) {
      for (const M of [1, 3, 4, 9, 21, 70]) {
        const X = randn(M * K, 100 + M), want = new Float32Array(M * N), got = new Float32Array(M * N).fill(NaN);
        tsQuantKernels.quantMatmul(type, W, N, K, X, M, want);
        native!.quantMatmul(type, W, N, K, X, M, got);
        assertDots(got, want, absScale(type, W, N, K, X, M), 2e-6, `${name} ${how} M=${M}`);
      }
    }
  });
}

test('quantMatmul panel GEMM: K over several chunks, N not a multiple of the 16-row panel, against the reference', { skip }, () => {
  // KC = 512 values per chunk: k-quants 1280 = 512 + 512 + 256; 32-blocks 1184 = 512 + 512 + 160
  const cases: [string, number, number][] = [
    ['Q8_0', GGML_TYPE.Q8_0, 32 * 37], ['Q4_0', GGML_TYPE.Q4_0, 32 * 37], ['Q5_0', GGML_TYPE.Q5_0, 32 * 37],
    ['Q4_K', GGML_TYPE.Q4_K, 1280], ['Q5_K', GGML_TYPE.Q5_K, 1280], ['Q6_K', GGML_TYPE.Q6_K, 1280],
  ];
  const N = 35, M = 15; // 8 + 4 + 2 + 1 tokens per panel pass; panels of 16, 16, 3 rows
  for (const [name, type, K] of cases) {
    const W = randomBlocks(type, N, K, 31), X = randn(M * K, 32), want = new Float32Array(M * N), got = new Float32Array(M * N).fill(NaN);
    tsQuantKernels.quantMatmul(type, W, N, K, X, M, want);
    native!.quantMatmul(type, W, N, K, X, M, got);
    assertDots(got, want, absScale(type, W, N, K, X, M), 2e-6, `${name} panel M=${M}`);
  }
});

test('quantMatmul fine Q8_0 (the LM head): equals the reference, and is over 50x closer to the exact product than ggml\'s int8 activations (~128x: 7 more bits)', { skip }, () => {
  const N = 37, K = 32 * 9;
  const W = weights(GGML_TYPE.Q8_0, N, K, 41), w = dequantize(GGML_TYPE.Q8_0, W, N * K);
  let coarse = 0, finer = 0;
  for (const M of [1, 3, 9]) { // the fine products always run on the row kernels
    const X = randn(M * K, 42 + M), want = new Float32Array(M * N), got = new Float32Array(M * N).fill(NaN), ggml = new Float32Array(M * N);
    tsQuantKernels.quantMatmul(GGML_TYPE.Q8_0, W, N, K, X, M, want, true);
    native!.quantMatmul(GGML_TYPE.Q8_0, W, N, K, X, M, got, true);
    native!.quantMatmul(GGML_TYPE.Q8_0, W, N, K, X, M, ggml);
    const scale = absScale(GGML_TYPE.Q8_0, W, N, K, X, M);
    assertDots(got, want, scale, 2e-6, `fine M=${M}`);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) { // against the dequantised weights times the f32 activations
      let exact = 0;
      for (let k = 0; k < K; k++) exact += w[n * K + k] * X[m * K + k];
      coarse = Math.max(coarse, Math.abs(ggml[m * N + n] - exact) / scale[m * N + n]);
      finer = Math.max(finer, Math.abs(got[m * N + n] - exact) / scale[m * N + n]);
    }
  }
  assert.ok(finer * 50 < coarse, `fine activations: error ${finer} vs ggml's ${coarse} (relative to Σ|w·x|)`);
  // other types ignore fine
  const W4 = weights(GGML_TYPE.Q4_K, N, 512, 43), X4 = randn(512, 44), a = new Float32Array(N), b = new Float32Array(N);
  native!.quantMatmul(GGML_TYPE.Q4_K, W4, N, 512, X4, 1, a, true);
  native!.quantMatmul(GGML_TYPE.Q4_K, W4, N, 512, X4, 1, b);
  assert.deepEqual(a, b);
});

test('quantMatmul splits big products over threads with the same result as one row at a time', { skip }, () => {
  const N = 3000, K = 1024, type = GGML_TYPE.Q4_K;
  const W = randomBlocks(type, N, K, 3), X = randn(2 * K, 4);
  const both = new Float32Array(2 * N), one = new Float32Array(N);
  native!.quantMatmul(type, W, N, K, X, 2, both);
  native!.quantMatmul(type, W, N, K, X.subarray(K), 1, one);
  // M = 2 runs the one-row kernel per activation row: bit-identical to M = 1
  assert.deepEqual(both.subarray(N), one);
});

test('quantMatmulMulti: several matrices of mixed types in one call equal separate calls', { skip }, () => {
  const K = 512, X = randn(3 * K, 11);
  const specs: [number, number][] = [[GGML_TYPE.Q4_K, 300], [GGML_TYPE.Q6_K, 64], [GGML_TYPE.Q8_0, 200], [GGML_TYPE.BF16, 40]];
  for (const M of [1, 3]) {
    const mats = specs.map(([t, N], i) => [t, weights(t, N, K, 20 + i), N, new Float32Array(M * N)] as [number, Uint8Array, number, Float32Array]);
    native!.quantMatmulMulti(X.subarray(0, M * K), M, K, mats);
    for (const [t, W, N, Y] of mats) {
      const want = new Float32Array(M * N);
      native!.quantMatmul(t, W, N, K, X.subarray(0, M * K), M, want);
      assert.deepEqual(Y, want, `type ${t}, M ${M}`);
    }
  }
  assert.throws(() => native!.quantMatmulMulti(X, 1, K, [[GGML_TYPE.Q8_0, new Uint8Array(10), 4, new Float32Array(4)]]), /W is too short/);
});

test('activation quantisation rounds half to even on x·(1/d) in f32', () => {
  const x = new Float32Array(32);
  x[0] = 127; x[1] = 2.5; x[2] = 3.5; x[3] = -2.5; x[4] = 0.49;
  const { q, d } = quantizeActivations(x, 32);
  assert.equal(d[0], 1);
  assert.deepEqual([...q.subarray(0, 5)], [127, 2, 4, -2, 0]);
});

test('quantGetRows: native rows are bit-identical to the reference dequantisation', { skip }, () => {
  for (const [name, type, K] of TYPES) {
    const N = 9, W = type === GGML_TYPE.BF16 || type === GGML_TYPE.F16 || type === GGML_TYPE.F32 ? weights(type, N, K, 1) : randomBlocks(type, N, K, 2);
    const ids = Int32Array.from([8, 0, 3, 3]), got = new Float32Array(4 * K), want = new Float32Array(4 * K);
    native!.quantGetRows(type, W, K, ids, 4, got);
    tsQuantKernels.quantGetRows(type, W, K, ids, 4, want);
    assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(want.buffer), name);
  }
  assert.throws(() => native!.quantGetRows(GGML_TYPE.Q8_0, new Uint8Array(34), 32, Int32Array.from([1]), 1, new Float32Array(32)), /ids\[0\] = 1 is outside \[0, 1\)/);
});

test('attentionF16 and cacheWriteF16 match the reference (GQA, prefill and decode offsets; head sizes 40, 64, 128)', { skip }, () => {
  for (const D of [40, 64, 128]) attentionCase(D); // 64 and 128: the prefill blocks' unrolled variants
});

function attentionCase(D: number): void {
  const Hq = 6, Hkv = 2, Tmax = 80;
  const kc = new Uint16Array(Tmax * Hkv * D), vc = new Uint16Array(Tmax * Hkv * D);
  const kr = new Uint16Array(Tmax * Hkv * D), vr = new Uint16Array(Tmax * Hkv * D);
  for (const [pos, T] of [[0, 70], [70, 1], [71, 3]]) {
    const k = randn(T * Hkv * D, pos + 1), v = randn(T * Hkv * D, pos + 2), q = randn(T * Hq * D, pos + 3);
    native!.cacheWriteF16(k, v, T, Hkv * D, pos, kc, vc);
    tsQuantKernels.cacheWriteF16(k, v, T, Hkv * D, pos, kr, vr);
    assert.deepEqual(kc, kr);
    assert.deepEqual(vc, vr);
    const got = new Float32Array(T * Hq * D), want = new Float32Array(T * Hq * D);
    native!.attentionF16(q, kc, vc, T, Hq, Hkv, D, pos, 1 / Math.sqrt(D), got);
    tsQuantKernels.attentionF16(q, kc, vc, T, Hq, Hkv, D, pos, 1 / Math.sqrt(D), want);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 + 1e-4 * Math.abs(want[i]), `D ${D} pos ${pos} T ${T} i ${i}: ${got[i]} vs ${want[i]}`);
  }
}

test('quantMatmul rejects a K that is not whole blocks and a short weight buffer', { skip }, () => {
  assert.throws(() => native!.quantMatmul(GGML_TYPE.Q4_K, new Uint8Array(144), 1, 100, new Float32Array(100), 1, new Float32Array(1)), /not a whole number of blocks/);
  assert.throws(() => native!.quantMatmul(GGML_TYPE.Q8_0, new Uint8Array(33), 1, 32, new Float32Array(32), 1, new Float32Array(1)), /W is too short/);
});
