// Loads the native kernels (build/Release/ponder_native.node, built from native/ by binding.gyp).
// The addon's functions take exactly the Kernels interface's arguments, so they are the kernels.
// Threads: PONDER_THREADS, else OMP_NUM_THREADS, else every core; setThreads changes it later.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Backend, Kernels } from '../kernels.ts';
import { tsKernels } from '../ts/kernels.ts';
import { PonderError } from '../../errors.ts';

interface Addon extends Kernels {
  setThreads(n: number): number;
  threads(): number;
  peakGflops(seconds: number): number;
  readonly simdWidth: number;
}

/** Where the build puts the addon (repository root / build / Release); PONDER_NATIVE_ADDON overrides it (tests of other builds). */
export const addonPath = process.env.PONDER_NATIVE_ADDON ||
  fileURLToPath(new URL('../../../build/Release/ponder_native.node', import.meta.url));

const KERNEL_NAMES = [
  'gemm', 'binary', 'unary', 'affine', 'clamp', 'where', 'sumAxis', 'reduceBroadcast', 'embedding',
  'embeddingBackward', 'rmsnorm', 'rmsnormBackward', 'rope', 'swiglu', 'swigluBackward', 'siluBackward',
  'softmax', 'softmaxBackward', 'logSoftmax', 'logSoftmaxBackward', 'tokenLogprobs', 'tokenLogprobsBackward',
  'attention', 'attentionBackward', 'adamw', 'sumSquares',
] as const satisfies readonly (keyof Kernels)[];
/** Kernels added since: an addon built before them still loads, and the reference stands in. */
const NEWER_KERNELS = ['sampleRows'] as const satisfies readonly (keyof Kernels)[];

let addon: Addon | null | undefined;
let problem: string | null = null;

const REBUILD = 'run `npm run build:native` (it needs gcc with OpenMP, make and python3)';

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();

function load(): Addon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (!existsSync(addonPath)) {
    problem = `the native addon is not built (${addonPath} is missing); ${REBUILD}`;
    return null;
  }
  // Thread placement is done per parallel region in the addon (native/threads.c; PONDER_PIN=0
  // turns it off): process-wide binding (OMP_PROC_BIND) would trap the main thread on one core.
  // libgomp's default wait (spin, then sleep) is kept: a short spin made wake-ups slow here.
  let a: Addon;
  try {
    a = createRequire(import.meta.url)(addonPath) as Addon;
  } catch (e) {
    // Typically a build for another Node (NODE_MODULE_VERSION) or a missing libgomp.
    problem = `the native addon does not load (${firstLine(e)}); ${REBUILD}`;
    return null;
  }
  const stale = KERNEL_NAMES.filter((k) => typeof a[k] !== 'function');
  if (stale.length > 0) {
    problem = `the native addon is out of date (it lacks ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', ...' : ''}); ${REBUILD}`;
    return null;
  }
  addon = a;
  const want = process.env.PONDER_THREADS;
  if (want !== undefined && want !== '') setThreads(Number(want));
  return addon;
}

/** Why the native backend is unavailable, in one line that says how to fix it; null when it loads. */
export function nativeProblem(): string | null {
  load();
  return problem;
}

/** Sets the kernels' thread count (1..64); returns the count now in effect. */
export function setThreads(n: number): number {
  const a = load();
  if (!a) throw new PonderError(problem ?? 'the native addon is unavailable');
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new PonderError(`threads must be an integer from 1 to 64, not ${n}`);
  return a.setThreads(n);
}

/** Measured FMA peak of this machine in GFLOP/s on the current threads (runs ~`seconds`). */
export function peakGflops(seconds = 0.05): number {
  const a = load();
  if (!a) throw new PonderError(problem ?? 'the native addon is unavailable');
  return a.peakGflops(seconds);
}

/** The native backend, or null when the addon is missing or fails to load. */
export function loadNativeBackend(): Backend | null {
  const a = load();
  if (!a) return null;
  const kernels = Object.fromEntries([
    ...KERNEL_NAMES.map((k) => [k, a[k]]),
    ...NEWER_KERNELS.map((k) => [k, typeof a[k] === 'function' ? a[k] : tsKernels[k]]),
  ]) as unknown as Kernels;
  return {
    name: 'native',
    get threads() { return a.threads(); },
    simdWidth: a.simdWidth,
    kernels,
  };
}
