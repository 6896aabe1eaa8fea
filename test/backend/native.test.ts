// The native kernels against the TypeScript reference kernels, on random inputs with awkward
// sizes (1, 3, 17, 257: not multiples of the SIMD width or of the GEMM tiles).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadNativeBackend, setThreads } from '../../src/backend/native/index.ts';
import { tsKernels } from '../../src/backend/ts/kernels.ts';
import type { Kernels } from '../../src/backend/kernels.ts';
import { assertClose, randn, rng } from '../helpers.ts';

const native = loadNativeBackend();
const skip = native ? false : 'native addon not built (npm run build:native)';
const nk = native?.kernels as Kernels;
const ref = tsKernels;

let seed = 1;
const rand = (n: number, scale = 1) => randn(n, seed++, scale);
const copy = (x: Float32Array) => new Float32Array(x);

/** Runs f on both backends with their own copies of `outs`, then compares each output. */
function both(outs: Float32Array[], f: (k: Kernels, o: Float32Array[]) => void, atol: number, rtol: number, what: string) {
  const a = outs.map(copy), b = outs.map(copy);
  f(nk, a);
  f(ref, b);
  a.forEach((x, i) => assertClose(x, b[i], atol, rtol, `${what} [output ${i}]`));
}

describe('native gemm', { skip }, () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1], [3, 17, 257], [17, 3, 5], [257, 33, 64], [15, 40, 300], [16, 32, 256],
    [1, 600, 77], [4, 1000, 300], // few rows: the unpacked path, threaded over columns
    [2, 45, 16], [3, 40, 33], [1, 16, 512], // 16 / M rows of W per block, with row and K tails
    [20, 40, 1100], // K over two KC blocks
    // 4 < M <= 64 with transB: W read in place, op(A) packed in 32-row chunks (tails in rows and in W's 14-row blocks)
    [5, 14, 1], [33, 29, 19], [64, 45, 130], [48, 300, 33],
  ];
  for (const [M, N, K] of shapes)
    for (const tA of [false, true])
      for (const tB of [false, true])
        it(`M=${M} N=${N} K=${K} transA=${tA} transB=${tB}, plain and accumulate`, () => {
          const A = rand(M * K), B = rand(K * N), C = rand(M * N);
          const tol = 2e-5 * Math.sqrt(K);
          for (const acc of [false, true])
            both([C], (k, [c]) => k.gemm(1, M, N, K, A, 0, tA, B, 0, tB, c, 0, acc), tol, 1e-5, `gemm acc=${acc}`);
        });

  it('batch with padded strides, broadcast (stride 0) A or B, and subarrays at an offset', () => {
    const [M, N, K, batch] = [17, 33, 19, 3];
    const sA = M * K + 5, sB = K * N + 3, sC = M * N + 7;
    const Abig = rand(batch * sA + 11), B = rand(batch * sB), C = rand(batch * sC);
    const A = Abig.subarray(11); // byteOffset 44: the native side must honour it
    const tol = 2e-5 * Math.sqrt(K);
    for (const [tA, tB] of [[false, true], [true, false]] as const) {
      both([C], (k, [c]) => k.gemm(batch, M, N, K, A, sA, tA, B, sB, tB, c, sC, false), tol, 1e-5, 'strided batch');
      both([C], (k, [c]) => k.gemm(batch, M, N, K, A, 0, tA, B, sB, tB, c, sC, true), tol, 1e-5, 'broadcast A');
      both([C], (k, [c]) => k.gemm(batch, M, N, K, A, sA, tA, B, 0, tB, c, sC, false), tol, 1e-5, 'broadcast B');
    }
    // C with stride 0 and accumulate sums the batch into one matrix (must run in order).
    both([C], (k, [c]) => k.gemm(batch, M, N, K, A, sA, false, B, sB, false, c, 0, true), tol, 1e-5, 'broadcast C');
  });

  it('threaded paths: large single matrix, many small matrices, K=0 and N beyond one B block', () => {
    const big = [300, 200, 600] as const; // K over two KC blocks, threads split the rows
    {
      const [M, N, K] = big;
      const A = rand(M * K), B = rand(K * N), C = new Float32Array(M * N);
      both([C], (k, [c]) => k.gemm(1, M, N, K, A, 0, false, B, 0, true, c, 0, false), 2e-5 * Math.sqrt(K), 1e-5, 'split M');
    }
    {
      const [M, N, K, batch] = [64, 64, 64, 8];
      const A = rand(batch * M * K), B = rand(batch * K * N), C = new Float32Array(batch * M * N);
      both([C], (k, [c]) => k.gemm(batch, M, N, K, A, M * K, false, B, K * N, true, c, M * N, false), 2e-4, 1e-5, 'batched');
    }
    {
      const [M, N, K] = [5, 4100, 40];
      const A = rand(M * K), B = rand(K * N), C = rand(M * N);
      both([C], (k, [c]) => k.gemm(1, M, N, K, A, 0, true, B, 0, false, c, 0, true), 2e-4, 1e-5, 'wide N');
    }
    const C = rand(6);
    both([C], (k, [c]) => k.gemm(1, 2, 3, 0, new Float32Array(0), 0, false, new Float32Array(0), 0, false, c, 0, false), 0, 0, 'K=0');
  });
});

describe('native elementwise and reductions', { skip }, () => {
  const n = 257;
  it('binary ops with broadcasting (in place too), unary ops, affine, clamp, where', () => {
    const a = rand(n * 3), b = rand(n), b3 = rand(3);
    for (const op of ['add', 'sub', 'mul', 'div', 'min', 'max'] as const) {
      both([new Float32Array(n * 3)], (k, [o]) => k.binary(op, a, n * 3, b, n, o), 1e-6, 1e-6, op);
      both([new Float32Array(n * 3)], (k, [o]) => k.binary(op, a, n * 3, b3, 3, o), 1e-6, 1e-6, `${op} nb=3`);
      both([a], (k, [o]) => k.binary(op, o, n * 3, b, n, o), 1e-6, 1e-6, `${op} in place`);
    }
    const nan = rand(n * 3);
    nan[5] = NaN;
    const bn = copy(b);
    bn[7] = NaN;
    for (const op of ['min', 'max'] as const) { // NaN propagates from either side, as in Math.min
      const o = new Float32Array(n * 3);
      nk.binary(op, nan, n * 3, bn, n, o);
      assert.ok(Number.isNaN(o[5]) && Number.isNaN(o[7]) && !Number.isNaN(o[6]), `${op} NaN`);
    }
    const cl = new Float32Array(n * 3);
    nk.clamp(nan, n * 3, -1, 1, cl);
    assert.ok(Number.isNaN(cl[5]), 'clamp NaN');
    const pos = rand(n).map(Math.abs);
    for (const op of ['exp', 'log', 'silu', 'neg', 'sqrt', 'abs'] as const) {
      const x = op === 'log' || op === 'sqrt' ? pos : a;
      both([new Float32Array(x.length)], (k, [o]) => k.unary(op, x, x.length, o), 1e-6, 2e-6, op);
    }
    const wide = rand(100000, 30).map((x) => Math.min(x, 88)); // the parallel path; exp over most of the float range
    both([new Float32Array(wide.length)], (k, [o]) => k.unary('exp', wide, wide.length, o), 1e-30, 2e-6, 'exp wide');
    both([new Float32Array(n)], (k, [o]) => k.affine(b, n, 1.5, -0.25, o), 1e-6, 1e-6, 'affine');
    both([new Float32Array(n)], (k, [o]) => k.clamp(b, n, -0.5, 0.7, o), 0, 0, 'clamp');
    const cond = rand(n).map((x) => (x > 0 ? 1 : 0));
    both([new Float32Array(n)], (k, [o]) => k.where(cond, a, b, n, o), 0, 0, 'where');
  });

  it('sumAxis over each layout, reduceBroadcast, sumSquares', () => {
    for (const [outer, axis, inner] of [[1, 17, 257], [3, 5, 1], [17, 3, 130], [2, 1000, 3]]) {
      const a = rand(outer * axis * inner);
      for (const acc of [false, true])
        both([rand(outer * inner)], (k, [o]) => k.sumAxis(a, outer, axis, inner, o, acc), 1e-5, 1e-5, `sumAxis ${outer},${axis},${inner}`);
    }
    for (const [na, m] of [[17 * 257, 257], [300 * 3, 3], [40000, 400]]) {
      const a = rand(na);
      both([rand(m)], (k, [o]) => k.reduceBroadcast(a, na, o, m), 1e-4, 1e-5, `reduceBroadcast ${na}/${m}`);
    }
    const x = rand(100003);
    const s = nk.sumSquares(x, x.length), r = ref.sumSquares(x, x.length);
    assert.ok(Math.abs(s - r) <= 1e-5 * r, `sumSquares ${s} vs ${r}`);
  });

  it('the threaded paths of the memory-bound kernels (sizes above their threshold)', () => {
    const na = 300000, a = rand(na), b = rand(300), b3 = rand(3);
    both([new Float32Array(na)], (k, [o]) => k.binary('mul', a, na, b, 300, o), 1e-6, 1e-6, 'binary big');
    both([new Float32Array(na)], (k, [o]) => k.binary('sub', a, na, b3, 3, o), 1e-6, 1e-6, 'binary big nb=3');
    both([new Float32Array(na)], (k, [o]) => k.affine(a, na, 0.5, 2, o), 1e-6, 1e-6, 'affine big');
    both([rand(500)], (k, [o]) => k.sumAxis(a, 1, 600, 500, o, true), 1e-4, 1e-5, 'sumAxis outer=1');
    both([rand(3 * 500)], (k, [o]) => k.sumAxis(a, 3, 200, 500, o, false), 1e-4, 1e-5, 'sumAxis outer=3');
    both([rand(500)], (k, [o]) => k.reduceBroadcast(a, na, o, 500), 1e-4, 1e-5, 'reduceBroadcast big');
    const [V, C, n] = [50, 256, 1100], r = rng(11);
    const ids = Int32Array.from({ length: n }, () => Math.floor(r() * V)), table = rand(V * C), dout = rand(n * C);
    both([new Float32Array(n * C)], (k, [o]) => k.embedding(table, C, ids, n, o), 0, 0, 'embedding big');
    both([rand(V * C)], (k, [d]) => k.embeddingBackward(dout, C, ids, n, d), 1e-5, 1e-5, 'embeddingBackward big');
  });

  it('embedding and its scatter-add backward with repeated ids', () => {
    const [V, C, n] = [19, 17, 41];
    const table = rand(V * C), r = rng(7);
    const ids = Int32Array.from({ length: n }, () => Math.floor(r() * V));
    ids[1] = ids[0];
    both([new Float32Array(n * C)], (k, [o]) => k.embedding(table, C, ids, n, o), 0, 0, 'embedding');
    const dout = rand(n * C);
    both([rand(V * C)], (k, [d]) => k.embeddingBackward(dout, C, ids, n, d), 1e-6, 1e-6, 'embeddingBackward');
    const wide = 300, dw = rand(n * wide);
    both([rand(V * wide)], (k, [d]) => k.embeddingBackward(dw, wide, ids, n, d), 1e-6, 1e-6, 'embeddingBackward wide');
  });
});

describe('native row kernels', { skip }, () => {
  it('rmsnorm forward and backward (overwrite and accumulate)', () => {
    for (const [rows, C] of [[1, 1], [3, 17], [17, 257]]) {
      const x = rand(rows * C), w = rand(C);
      both([new Float32Array(rows * C), new Float32Array(rows)], (k, [o, r]) => k.rmsnorm(x, w, rows, C, 1e-5, o, r), 1e-5, 1e-5, 'rmsnorm');
      const rstd = new Float32Array(rows), out = new Float32Array(rows * C);
      ref.rmsnorm(x, w, rows, C, 1e-5, out, rstd);
      const dout = rand(rows * C);
      for (const acc of [false, true])
        both([rand(rows * C), rand(C)], (k, [dx, dw]) => k.rmsnormBackward(dout, x, w, rstd, rows, C, dx, dw, acc), 1e-4, 1e-4, `rmsnormBackward acc=${acc}`);
    }
  });

  it('rope forward and inverse at an offset, in place', () => {
    const [B, T, H, D, maxPos, off] = [2, 5, 3, 18, 16, 7];
    const half = D / 2, cos = new Float32Array(maxPos * half), sin = new Float32Array(maxPos * half);
    for (let p = 0; p < maxPos; p++)
      for (let i = 0; i < half; i++) {
        const th = p * Math.pow(10000, -i / half);
        cos[p * half + i] = Math.cos(th);
        sin[p * half + i] = Math.sin(th);
      }
    const x = rand(B * T * H * D);
    for (const inv of [false, true]) {
      both([new Float32Array(x.length)], (k, [o]) => k.rope(x, B, T, H, D, off, cos, sin, inv, o), 1e-6, 1e-5, `rope inverse=${inv}`);
      both([x], (k, [o]) => k.rope(o, B, T, H, D, off, cos, sin, inv, o), 1e-6, 1e-5, 'rope in place');
    }
  });

  it('swiglu, its backward, siluBackward', () => {
    for (const n of [1, 17, 20000]) {
      const g = rand(n, 3), u = rand(n), d = rand(n);
      both([new Float32Array(n)], (k, [o]) => k.swiglu(g, u, n, o), 1e-6, 1e-5, 'swiglu');
      for (const acc of [false, true])
        both([rand(n), rand(n)], (k, [dg, du]) => k.swigluBackward(d, g, u, n, dg, du, acc), 1e-6, 1e-5, `swigluBackward acc=${acc}`);
      both([rand(n)], (k, [da]) => k.siluBackward(d, g, n, da), 1e-6, 1e-5, 'siluBackward');
    }
  });

  it('softmax and log-softmax, forward (in place too) and backward', () => {
    for (const [rows, C] of [[1, 1], [3, 17], [17, 257], [2, 3000]]) {
      const x = rand(rows * C, 4), dy = rand(rows * C);
      both([new Float32Array(rows * C)], (k, [o]) => k.softmax(x, rows, C, o), 1e-7, 1e-5, 'softmax');
      both([new Float32Array(rows * C)], (k, [o]) => k.logSoftmax(x, rows, C, o), 1e-5, 1e-5, 'logSoftmax');
      both([x], (k, [o]) => k.logSoftmax(o, rows, C, o), 1e-5, 1e-5, 'logSoftmax in place');
      both([x], (k, [o]) => k.softmax(o, rows, C, o), 1e-7, 1e-5, 'softmax in place');
      const y = new Float32Array(rows * C), ly = new Float32Array(rows * C);
      ref.softmax(x, rows, C, y);
      ref.logSoftmax(x, rows, C, ly);
      both([rand(rows * C)], (k, [dx]) => k.softmaxBackward(dy, y, rows, C, dx), 1e-5, 1e-5, 'softmaxBackward');
      both([rand(rows * C)], (k, [dx]) => k.logSoftmaxBackward(dy, ly, rows, C, dx), 1e-4, 1e-5, 'logSoftmaxBackward');
    }
  });

  it('tokenLogprobs and its backward, with ignored rows', () => {
    for (const [rows, V] of [[1, 1], [17, 257], [5, 5000]]) {
      const logits = rand(rows * V, 3), r = rng(3);
      const t = Int32Array.from({ length: rows }, (_, i) => (i % 4 === 1 ? -100 : Math.floor(r() * V)));
      both([new Float32Array(rows), new Float32Array(rows)], (k, [lp, lse]) => k.tokenLogprobs(logits, t, rows, V, lp, lse), 1e-5, 1e-5, 'tokenLogprobs');
      const lp = new Float32Array(rows), lse = new Float32Array(rows);
      ref.tokenLogprobs(logits, t, rows, V, lp, lse);
      const g = rand(rows);
      both([rand(rows * V)], (k, [d]) => k.tokenLogprobsBackward(logits, t, lse, g, rows, V, d), 1e-5, 1e-5, 'tokenLogprobsBackward');
    }
  });

  it('adamw over several steps', () => {
    const n = 40001;
    const p = rand(n), m = new Float32Array(n), v = new Float32Array(n);
    both([p, m, v], (k, [pp, mm, vv]) => {
      for (let step = 1; step <= 3; step++) k.adamw(pp, rand(n, 0.1), mm, vv, n, 1e-3, 0.9, 0.95, 1e-8, 0.1, step);
      seed -= 3; // both backends see the same gradients
    }, 1e-6, 1e-5, 'adamw');
  });
});

describe('native attention', { skip }, () => {
  // Lse of fully masked queries is -Infinity on both sides; compare it apart from the finite ones.
  function compareLse(a: Float32Array, b: Float32Array) {
    for (let i = 0; i < a.length; i++) {
      if (b[i] === -Infinity) assert.equal(a[i], -Infinity, `lse[${i}]`);
      else assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-5 * Math.abs(b[i]), `lse[${i}]: ${a[i]} vs ${b[i]}`);
    }
  }
  const cases = [
    { B: 2, Tq: 5, Tk: 9, Hq: 4, Hkv: 2, D: 17, qOffset: 4, keyStart: Int32Array.of(0, 3) },
    { B: 2, Tq: 3, Tk: 3, Hq: 3, Hkv: 3, D: 16, qOffset: 0, keyStart: null },
    { B: 1, Tq: 6, Tk: 10, Hq: 2, Hkv: 1, D: 8, qOffset: 4, keyStart: Int32Array.of(7) }, // early queries see nothing
    { B: 1, Tq: 300, Tk: 300, Hq: 2, Hkv: 1, D: 33, qOffset: 0, keyStart: null }, // several key blocks
    // many queries (the GEMM path without AVX-512): GQA, an offset, left padding past some queries
    { B: 2, Tq: 40, Tk: 50, Hq: 4, Hkv: 2, D: 17, qOffset: 10, keyStart: Int32Array.of(0, 25) },
    { B: 1, Tq: 130, Tk: 130, Hq: 2, Hkv: 2, D: 16, qOffset: 0, keyStart: Int32Array.of(70) }, // several query blocks
    { B: 3, Tq: 1, Tk: 17, Hq: 8, Hkv: 2, D: 64, qOffset: 16, keyStart: Int32Array.of(0, 5, 16) }, // decode step
    { B: 2, Tq: 1, Tk: 150, Hq: 3, Hkv: 1, D: 20, qOffset: 140, keyStart: Int32Array.of(0, 139) }, // decode: key blocks, D tail
    { B: 2, Tq: 1, Tk: 10, Hq: 2, Hkv: 2, D: 8, qOffset: 3, keyStart: Int32Array.of(5, 0) }, // decode: a row that sees nothing
    { B: 1, Tq: 1, Tk: 5, Hq: 40, Hkv: 40, D: 16, qOffset: 4, keyStart: null }, // decode with more heads than the row path takes
    { B: 2, Tq: 1, Tk: 200, Hq: 4, Hkv: 2, D: 32, qOffset: 150, keyStart: Int32Array.of(3, 0) }, // decode, q and o in registers
    { B: 1, Tq: 1, Tk: 40, Hq: 2, Hkv: 1, D: 16, qOffset: 39, keyStart: null },
    { B: 1, Tq: 1, Tk: 70, Hq: 2, Hkv: 2, D: 128, qOffset: 69, keyStart: null },
  ];
  for (const c of cases)
    it(`B=${c.B} Tq=${c.Tq} Tk=${c.Tk} Hq=${c.Hq} Hkv=${c.Hkv} D=${c.D} qOffset=${c.qOffset} keyStart=${c.keyStart ? [...c.keyStart] : null}`, () => {
      const { B, Tq, Tk, Hq, Hkv, D, qOffset, keyStart } = c;
      const scale = 1 / Math.sqrt(D);
      const q = rand(B * Tq * Hq * D), k = rand(B * Tk * Hkv * D), v = rand(B * Tk * Hkv * D);
      const out = [new Float32Array(q.length), new Float32Array(q.length)];
      const lse = [new Float32Array(B * Hq * Tq), new Float32Array(B * Hq * Tq)];
      nk.attention(q, k, v, B, Tq, Tk, Hq, Hkv, D, qOffset, keyStart, scale, out[0], lse[0]);
      ref.attention(q, k, v, B, Tq, Tk, Hq, Hkv, D, qOffset, keyStart, scale, out[1], lse[1]);
      assertClose(out[0], out[1], 1e-5, 1e-4, 'attention out');
      compareLse(lse[0], lse[1]);
      const dout = rand(q.length);
      both([rand(q.length), rand(k.length), rand(v.length)], (kk, [dq, dk, dv]) =>
        kk.attentionBackward(dout, q, k, v, out[1], lse[1], B, Tq, Tk, Hq, Hkv, D, qOffset, keyStart, scale, dq, dk, dv),
      1e-4, 1e-4, 'attentionBackward');
    });
});

describe('native argument checks', { skip }, () => {
  it('throws, naming the kernel and argument, instead of reading out of bounds', () => {
    const f = (n: number) => new Float32Array(n);
    assert.throws(() => nk.gemm(1, 4, 4, 4, f(16), 0, false, f(16), 0, false, f(15), 0, false), /gemm: C is too short/);
    assert.throws(() => nk.gemm(2, 4, 4, 4, f(16), 16, false, f(16), 0, false, f(32), 16, false), /gemm: A is too short/);
    assert.throws(() => nk.gemm(1, 4, 4, -1, f(16), 0, false, f(16), 0, false, f(16), 0, false), /gemm: K must be a non-negative integer/);
    assert.throws(() => nk.softmax(f(10), 3, 4, f(12)), /softmax: x is too short/);
    assert.throws(() => nk.binary('pow' as 'add', f(4), 4, f(4), 4, f(4)), /binary: op/);
    assert.throws(() => nk.binary('add', f(6), 6, f(4), 4, f(6)), /binary: na must be a multiple of nb/);
    assert.throws(() => nk.embedding(f(12), 4, Int32Array.of(0, 3), 2, f(8)), /embedding: ids\[1\] = 3 is outside/);
    assert.throws(() => nk.tokenLogprobs(f(8), Int32Array.of(1, 4), 2, 4, f(2), f(2)), /tokenLogprobs: targets\[1\]/);
    assert.throws(() => nk.attention(f(24), f(24), f(24), 1, 2, 2, 3, 2, 4, 0, null, 1, f(24), f(6)), /attention: Hq must be a positive multiple/);
    assert.throws(() => nk.attention(f(8), f(8), f(8), 2, 1, 1, 1, 1, 4, 0, Int32Array.of(0), 1, f(8), f(2)), /attention: keyStart is too short/);
    assert.throws(() => nk.rope(f(8), 1, 2, 1, 4, 3, f(8), f(8), false, f(8)), /rope: cos is too short/);
    assert.throws(() => (nk.sumSquares as (...a: unknown[]) => number)(f(4)), /sumSquares: expected 2 arguments/);
    assert.throws(() => nk.unary('exp', new Float64Array(4) as unknown as Float32Array, 4, f(4)), /unary: a must be a Float32Array/);
  });
});

describe('native threads', { skip }, () => {
  it('setThreads changes the count, and results do not depend on it (same bits)', () => {
    const initial = native!.threads;
    const run = (threads: number) => {
      assert.equal(setThreads(threads), threads);
      assert.equal(native!.threads, threads);
      const [M, N, K] = [300, 260, 600], s0 = seed;
      const A = rand(M * K), B = rand(K * N), C = new Float32Array(M * N);
      nk.gemm(1, M, N, K, A, 0, false, B, 0, true, C, 0, false);
      const [Bt, T, H, D] = [2, 70, 4, 32];
      const q = rand(Bt * T * H * D), k = rand(Bt * T * H * D), v = rand(Bt * T * H * D), dout = rand(q.length);
      const out = new Float32Array(q.length), lse = new Float32Array(Bt * H * T);
      const dq = new Float32Array(q.length), dk = new Float32Array(q.length), dv = new Float32Array(q.length);
      nk.attention(q, k, v, Bt, T, T, H, H, D, 0, null, 0.2, out, lse);
      nk.attentionBackward(dout, q, k, v, out, lse, Bt, T, T, H, H, D, 0, null, 0.2, dq, dk, dv);
      // decode-sized: a 32-row product with W read in place, and one attention step per row
      const [m, n, kk] = [32, 704, 256];
      const a = rand(m * kk), w = rand(n * kk), c = new Float32Array(m * n);
      nk.gemm(1, m, n, kk, a, 0, false, w, 0, true, c, 0, false);
      const q1 = rand(8 * H * D), o1 = new Float32Array(q1.length), l1 = new Float32Array(8 * H);
      const kc = rand(8 * T * H * D), vc = rand(8 * T * H * D);
      nk.attention(q1, kc, vc, 8, 1, T, H, H, D, T - 1, null, 0.2, o1, l1);
      seed = s0;
      return [C, out, lse, dq, dk, dv, c, o1, l1];
    };
    try {
      const one = run(1), two = run(2);
      one.forEach((x, i) => assert.deepEqual(two[i], x, `output ${i}`));
    } finally {
      setThreads(initial);
    }
    assert.throws(() => setThreads(0), /threads must be an integer from 1 to 64/);
  });
});

describe('native sampleRows', { skip }, () => {
  it('picks the same tokens as the reference, greedy and sampled, with their temperature-1 log-probabilities', () => {
    for (const [rows, V] of [[1, 1], [3, 17], [5, 512], [2, 1500]] as const) {
      const logits = rand(rows * V, 3);
      logits[0] = 9; // a clear maximum in row 0
      if (V > 4) logits[V + 2] = logits[V + 3] = 50; // a tie in row 1: the first one wins
      for (const T of [0, 1, 0.7, 1.5]) {
        const u = Float64Array.from({ length: rows }, (_, i) => (i * 0.37 + 0.11) % 1);
        const tok = [new Int32Array(rows), new Int32Array(rows)], lp = [new Float32Array(rows), new Float32Array(rows)];
        nk.sampleRows(logits, rows, V, T, T > 0 ? u : null, tok[0], lp[0]);
        ref.sampleRows(logits, rows, V, T, u, tok[1], lp[1]);
        assert.deepEqual(tok[0], tok[1], `tokens rows=${rows} V=${V} T=${T}`);
        assertClose(lp[0], lp[1], 1e-5, 1e-5, `logprobs rows=${rows} V=${V} T=${T}`);
      }
    }
  });

  it('follows the softmax: frequencies over many uniform draws, and the ends of [0, 1)', () => {
    const V = 3, logits = Float32Array.from([0, Math.log(3), Math.log(6)]); // p = 0.1, 0.3, 0.6
    const n = 1000, rows = new Float32Array(n * V);
    for (let r = 0; r < n; r++) rows.set(logits, r * V);
    const u = Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n);
    const tok = new Int32Array(n), lp = new Float32Array(n);
    nk.sampleRows(rows, n, V, 1, u, tok, lp);
    const counts = [0, 0, 0];
    tok.forEach((t) => counts[t]++);
    assert.deepEqual(counts, [100, 300, 600]);
    tok.forEach((t, i) => assert.ok(Math.abs(lp[i] - Math.log([0.1, 0.3, 0.6][t])) < 1e-6));
    nk.sampleRows(logits, 1, V, 1, Float64Array.of(0), tok, lp);
    assert.equal(tok[0], 0);
    nk.sampleRows(logits, 1, V, 1, Float64Array.of(1 - 2 ** -53), tok, lp);
    assert.equal(tok[0], 2);
  });

  it('refuses draws outside [0, 1) and a missing u when sampling', () => {
    const f = (n: number) => new Float32Array(n);
    assert.throws(() => nk.sampleRows(f(4), 2, 2, 1, Float64Array.of(0.5, 1), new Int32Array(2), f(2)), /sampleRows: u\[1\] = 1 is not in \[0, 1\)/);
    assert.throws(() => nk.sampleRows(f(4), 2, 2, 1, null, new Int32Array(2), f(2)), /sampleRows: u must be a Float64Array/);
    assert.throws(() => nk.sampleRows(f(4), 2, 2, -1, null, new Int32Array(2), f(2)), /sampleRows: temperature must be/);
  });
});
