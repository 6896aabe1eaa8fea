// Which BLAS the references (numpy, PyTorch) loaded in this run. A fresh Debian's
// `apt-get install python3-numpy python3-torch` brings the *reference* BLAS (netlib, about
// 6 GFLOP/s sgemm), and a ratio against it would flatter ponder without saying so; with
// libopenblas0-pthread installed both use OpenBLAS. The benchmark prints what it found and
// refuses a ratio against anything but a tuned BLAS (bench/prepare.sh installs one).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PYTHON, torchEnv } from './torch_env.ts';

const SCRIPT = fileURLToPath(new URL('./blas.py', import.meta.url));

/** One shared object blas.py found: threadpoolctl's description, or a path from /proc/self/maps. */
export interface BlasLibrary { path: string | null; api: string | null; version: string | null }

export interface LoadedBlas {
  module: 'numpy' | 'torch';
  /** numpy's or torch's own version. */
  moduleVersion: string | null;
  /** 'OpenBLAS', 'MKL', 'BLIS', 'ATLAS', 'reference BLAS' or 'none found'. */
  name: string;
  version: string | null;
  path: string | null;
  /** A BLAS fit to compare against (OpenBLAS, MKL, BLIS, ATLAS); false for the reference or none. */
  tuned: boolean;
}

const TUNED: [RegExp, string][] = [[/openblas/i, 'OpenBLAS'], [/mkl/i, 'MKL'], [/blis/i, 'BLIS'], [/atlas/i, 'ATLAS']];

/** Names the BLAS behind a module from the libraries it mapped: a tuned one wins over a plain libblas. */
export function classifyBlas(libs: BlasLibrary[]): Pick<LoadedBlas, 'name' | 'version' | 'path' | 'tuned'> {
  for (const [re, name] of TUNED) {
    const lib = libs.find((l) => re.test(l.api ?? '') || re.test(l.path ?? ''));
    if (lib) {
      // OpenBLAS's file name carries its version (libopenblasp-r0.3.21.so); threadpoolctl reports it.
      const version = lib.version ?? libs.map((l) => l.path?.match(/openblas[^/]*-r(\d+\.\d+\.\d+)/i)?.[1]).find(Boolean) ?? null;
      const path = libs.find((l) => re.test(l.path ?? '') && !/lapack/i.test(l.path ?? ''))?.path ?? lib.path;
      return { name, version, path, tuned: true };
    }
  }
  const plain = libs.find((l) => /libc?blas\.so/i.test(l.path ?? ''));
  if (plain) return { name: 'reference BLAS', version: null, path: plain.path, tuned: false };
  return { name: 'none found', version: null, path: null, tuned: false };
}

const cache = new Map<string, LoadedBlas | null>();

/** The BLAS that `module` loads under the references' environment; null when python or the module is missing. */
export function loadedBlas(module: 'numpy' | 'torch'): LoadedBlas | null {
  if (cache.has(module)) return cache.get(module)!;
  const r = spawnSync(PYTHON, [SCRIPT, module], { env: torchEnv(1), encoding: 'utf8', timeout: 120_000 });
  let found: LoadedBlas | null = null;
  if (r.status === 0) {
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { version: string | null; libraries: BlasLibrary[] };
    found = { module, moduleVersion: out.version, ...classifyBlas(out.libraries) };
  }
  cache.set(module, found);
  return found;
}

/** e.g. "OpenBLAS 0.3.21 (/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so)". */
export function describeBlas(b: LoadedBlas | null): string {
  if (!b) return 'not available';
  return `${b.name}${b.version ? ` ${b.version}` : ''}${b.path ? ` (${b.path})` : ''}`;
}

/** Why `module` cannot serve as a speed reference in this run, or null when it can. */
export function referenceProblem(module: 'numpy' | 'torch'): string | null {
  const b = loadedBlas(module);
  if (!b) return `${PYTHON} cannot import ${module}`;
  if (b.tuned) return null;
  return `${module} runs on ${describeBlas(b)}, not a tuned BLAS: no ratio against it (install libopenblas0-pthread: bench/prepare.sh)`;
}

/** "PyTorch 1.13 (eager)": what the model benchmarks compare against, from the version loaded. */
export function torchLabel(): string {
  const v = loadedBlas('torch')?.moduleVersion?.match(/^(\d+\.\d+)/)?.[1];
  return `PyTorch${v ? ` ${v}` : ''} (eager)`;
}
