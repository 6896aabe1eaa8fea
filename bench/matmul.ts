// Matmul benchmark: native GEMM (1 and 2 threads) and the ts reference, beside sgemm through numpy
// (bench/ref/sgemm.py, same run, on whatever BLAS numpy loaded: printed, and no ratio unless it is
// a tuned one) and the measured FMA peak. Run: npx tsx bench/matmul.ts
// Other processes on the machine disturb timings: each figure is the median of several runs,
// reported with their spread (min-max).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadNativeBackend, peakGflops, setThreads } from '../src/backend/native/index.ts';
import { tsKernels } from '../src/backend/ts/kernels.ts';
import type { Kernels } from '../src/backend/kernels.ts';
import { PYTHON, torchEnv } from './ref/torch_env.ts';
import { describeBlas, loadedBlas, referenceProblem } from './ref/blas.ts';

/** GFLOP/s over the timed runs of one shape. */
export interface Spread { median: number; min: number; max: number; runs: number }

export interface MatmulRow extends Spread {
  shape: string;
  backend: string;
  /** median / the reference's median on the same shape (null without a tuned reference BLAS). */
  vsRef: number | null;
}

/** M×K · K×N, with the stored layouts of op(A), op(B), and a batch of independent matrices. */
interface Shape { M: number; K: number; N: number; tA: boolean; tB: boolean; batch: number; note: string }

const S = (M: number, K: number, N: number, tA = false, tB = false, note = '', batch = 1): Shape => ({ M, K, N, tA, tB, batch, note });
const SHAPES: Shape[] = [
  S(4096, 256, 1024),
  S(4096, 512, 2048),
  S(256, 256, 256),
  S(1024, 1024, 1024),
  S(4096, 512, 2048, false, true, 'x·Wᵀ forward'),
  S(4096, 2048, 512, false, false, 'dX = dY·W'),
  S(2048, 4096, 512, true, false, 'dW = dYᵀ·X'),
  S(128, 32, 128, false, true, 'q·kᵀ per head', 256),
];
const label = (s: Shape) =>
  `${s.batch > 1 ? `${s.batch}× ` : ''}${s.M}x${s.K}·${s.K}x${s.N}${s.tA ? ' tA' : ''}${s.tB ? ' tB' : ''}${s.note ? ` (${s.note})` : ''}`;
const flops = (s: Shape) => 2 * s.M * s.N * s.K * s.batch;

/** Median, min and max GFLOP/s of a function doing `work` FLOPs, from run times in ms. */
export function spread(work: number, ms: number[]): Spread {
  const sorted = [...ms].sort((a, b) => a - b), n = sorted.length;
  const mid = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const rate = (t: number) => work / (t / 1000) / 1e9;
  return { median: rate(mid), min: rate(sorted[n - 1]), max: rate(sorted[0]), runs: n };
}

function time(k: Kernels, s: Shape, A: Float32Array, B: Float32Array, C: Float32Array, seconds: number, minReps: number): Spread {
  const run = () => k.gemm(s.batch, s.M, s.N, s.K, A, s.M * s.K, s.tA, B, s.K * s.N, s.tB, C, s.M * s.N, false);
  run(); // warm-up: first touch of C and of the packing buffers
  const ms: number[] = [];
  const start = performance.now();
  while (ms.length < minReps || performance.now() - start < seconds * 1000) {
    const t = performance.now();
    run();
    ms.push(performance.now() - t);
  }
  return spread(flops(s), ms);
}

/** sgemm through numpy in a subprocess tuned as the reference runs are (see docs/architecture.md). */
function numpySgemm(s: Shape, seconds: number): Spread | null {
  const script = fileURLToPath(new URL('./ref/sgemm.py', import.meta.url));
  if (!existsSync(PYTHON)) return null;
  const env = torchEnv(2);
  // numpy's BLAS picks its own thread count (every core), as a user gets it.
  delete env.OMP_NUM_THREADS; delete env.OPENBLAS_NUM_THREADS; delete env.MKL_NUM_THREADS;
  const arg = JSON.stringify([[s.M, s.K, s.N, +s.tA, +s.tB, s.batch]]);
  const r = spawnSync(PYTHON, [script, arg, String(seconds)], { env, encoding: 'utf8' });
  if (r.status !== 0) return null;
  const out = JSON.parse(r.stdout.trim()) as Spread;
  return { median: out.median, min: out.min, max: out.max, runs: out.runs };
}

export interface MatmulResult {
  /** What numpy's sgemm ran on, e.g. "OpenBLAS 0.3.21 (...)". */
  reference: string;
  /** Why no ratio is given (a reference BLAS, or numpy missing); null when ratios are given. */
  noRatio: string | null;
  rows: MatmulRow[];
}

export async function benchMatmul(opts: { seconds?: number; ts?: boolean; shapes?: number } = {}): Promise<MatmulResult> {
  const seconds = opts.seconds ?? 0.5;
  const native = loadNativeBackend();
  const noRatio = referenceProblem('numpy');
  const reference = `numpy ${loadedBlas('numpy')?.moduleVersion ?? ''} on ${describeBlas(loadedBlas('numpy'))}`;
  const rows: MatmulRow[] = [];
  const initial = native?.threads ?? 1;
  for (const s of SHAPES.slice(0, opts.shapes ?? SHAPES.length)) {
    // the reference right before ours, shape by shape, so both see the same machine load
    const ref = numpySgemm(s, seconds);
    const add = (backend: string, r: Spread) =>
      rows.push({ shape: label(s), backend, ...r, vsRef: ref && !noRatio && backend !== 'numpy' ? r.median / ref.median : null });
    const A = new Float32Array(s.batch * s.M * s.K).map(() => Math.random() - 0.5);
    const B = new Float32Array(s.batch * s.K * s.N).map(() => Math.random() - 0.5);
    const C = new Float32Array(s.batch * s.M * s.N);
    if (ref) add('numpy', ref);
    if (native) {
      for (const t of [1, 2]) {
        setThreads(t);
        add(`native ${t}t`, time(native.kernels, s, A, B, C, seconds, 5));
      }
      setThreads(initial);
    }
    // The ts reference is ~100x slower: one timed run, and only on the four headline shapes.
    if (opts.ts !== false && s.batch === 1 && !s.note) add('ts', time(tsKernels, s, A, B, C, 0, 1));
  }
  return { reference, noRatio, rows };
}

/** The table: median GFLOP/s with min-max over the runs, the ratio of medians, share of the FMA peak. */
export function printMatmul(m: MatmulResult, peak1: number, peak2: number): void {
  console.log(`\nMatmul, GFLOP/s: median (min-max) over repeated runs. Reference: ${m.reference}`);
  if (m.noRatio) console.log(`no ratio: ${m.noRatio}`);
  console.log(`${'shape'.padEnd(46)}${'backend'.padEnd(11)}${'median'.padStart(8)}${'(min-max)'.padStart(15)}${'vs numpy'.padStart(10)}${'of peak'.padStart(9)}`);
  for (const r of m.rows) {
    const peak = r.backend === 'native 1t' ? peak1 : peak2;
    console.log(r.shape.padEnd(46) + r.backend.padEnd(11) + r.median.toFixed(1).padStart(8) +
      `(${r.min.toFixed(0)}-${r.max.toFixed(0)})`.padStart(15) +
      (r.vsRef === null ? '-' : `${(r.vsRef * 100).toFixed(0)}%`).padStart(10) +
      (r.backend.startsWith('native') ? `${((r.median / peak) * 100).toFixed(0)}%` : '').padStart(9));
  }
}

async function main() {
  const shapes = process.env.PONDER_BENCH_SHAPES ? Number(process.env.PONDER_BENCH_SHAPES) : undefined;
  const m = await benchMatmul({ seconds: Number(process.env.PONDER_BENCH_SECONDS ?? 0.5), shapes });
  let peak1 = NaN, peak2 = NaN;
  if (loadNativeBackend()) {
    const t = loadNativeBackend()!.threads;
    setThreads(1);
    peak1 = peakGflops(0.2);
    setThreads(2);
    peak2 = peakGflops(0.2);
    setThreads(t);
  }
  console.log(`measured FMA peak: ${peak1.toFixed(0)} GFLOP/s on 1 thread, ${peak2.toFixed(0)} on 2`);
  printMatmul(m, peak1, peak2);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
