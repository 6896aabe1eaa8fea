// Matmul benchmark: native GEMM (1 and 2 threads) and the ts reference, beside OpenBLAS sgemm
// (numpy, bench/ref/sgemm.py, same run) and the measured FMA peak. Run: npx tsx bench/matmul.ts
// Other processes on the machine disturb timings: each figure is the best of several runs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadNativeBackend, peakGflops, setThreads } from '../src/backend/native/index.ts';
import { tsKernels } from '../src/backend/ts/kernels.ts';
import type { Kernels } from '../src/backend/kernels.ts';

export interface MatmulRow {
  shape: string;
  backend: string;
  gflops: number;
  /** gflops / OpenBLAS gflops on the same shape (null without the reference). */
  vsOpenblas: number | null;
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

function time(k: Kernels, s: Shape, A: Float32Array, B: Float32Array, C: Float32Array, seconds: number, minReps: number): number {
  const run = () => k.gemm(s.batch, s.M, s.N, s.K, A, s.M * s.K, s.tA, B, s.K * s.N, s.tB, C, s.M * s.N, false);
  run(); // warm-up: first touch of C and of the packing buffers
  let best = Infinity, reps = 0;
  const start = performance.now();
  while (reps < minReps || performance.now() - start < seconds * 1000) {
    const t = performance.now();
    run();
    best = Math.min(best, performance.now() - t);
    reps++;
  }
  return flops(s) / (best / 1000) / 1e9;
}

/** OpenBLAS through numpy in a subprocess tuned as the reference runs are (see docs/architecture.md). */
function openblas(shapes: Shape[], seconds: number): Map<string, number> | null {
  const script = fileURLToPath(new URL('./ref/sgemm.py', import.meta.url));
  if (!existsSync('/usr/bin/python3')) return null;
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  // A batch is timed as one matrix: numpy would loop in Python; the per-matrix rate is the fair bar.
  const arg = JSON.stringify(shapes.map((s) => [s.M, s.K, s.N, +s.tA, +s.tB]));
  const r = spawnSync('/usr/bin/python3', [script, arg, String(seconds)], { env, encoding: 'utf8' });
  if (r.status !== 0) return null;
  const out = new Map<string, number>();
  r.stdout.trim().split('\n').forEach((line, i) => out.set(label(shapes[i]), JSON.parse(line).gflops));
  return out;
}

export async function benchMatmul(opts: { seconds?: number; ts?: boolean } = {}): Promise<MatmulRow[]> {
  const seconds = opts.seconds ?? 0.5;
  const native = loadNativeBackend();
  const rows: MatmulRow[] = [];
  let ref: Map<string, number> | null = null;
  const add = (s: Shape, backend: string, gflops: number) =>
    rows.push({ shape: label(s), backend, gflops, vsOpenblas: ref?.has(label(s)) ? gflops / ref.get(label(s))! : null });
  const initial = native?.threads ?? 1;
  for (const s of SHAPES) {
    // the reference right before ours, shape by shape, so both see the same machine load
    ref = openblas([s], seconds);
    const A = new Float32Array(s.batch * s.M * s.K).map(() => Math.random() - 0.5);
    const B = new Float32Array(s.batch * s.K * s.N).map(() => Math.random() - 0.5);
    const C = new Float32Array(s.batch * s.M * s.N);
    if (ref?.has(label(s))) add(s, 'openblas', ref.get(label(s))!);
    if (native) {
      for (const t of [1, 2]) {
        setThreads(t);
        add(s, `native ${t}t`, time(native.kernels, s, A, B, C, seconds, 3));
      }
      setThreads(initial);
    }
    // The ts reference is ~100x slower: one timed run, and only on the four headline shapes.
    if (opts.ts !== false && s.batch === 1 && !s.note) add(s, 'ts', time(tsKernels, s, A, B, C, 0, 1));
  }
  return rows;
}

async function main() {
  const rows = await benchMatmul();
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
  console.log('shape'.padEnd(52) + 'backend'.padEnd(12) + 'GFLOP/s'.padStart(9) + '  vs OpenBLAS  of peak');
  for (const r of rows) {
    const peak = r.backend === 'native 1t' ? peak1 : peak2;
    console.log(
      r.shape.padEnd(52) + r.backend.padEnd(12) + r.gflops.toFixed(1).padStart(9) +
      (r.vsOpenblas === null ? '' : `${(r.vsOpenblas * 100).toFixed(0)}%`).padStart(13) +
      (r.backend === 'ts' ? '' : `${((r.gflops / peak) * 100).toFixed(0)}%`).padStart(9),
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
