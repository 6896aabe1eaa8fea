// Picks the backend once per process: `native` when the addon built, else `ts` with one warning.
// PONDER_BACKEND=ts|native forces one (forcing native when it did not build is an error).
import type { Backend } from './kernels.ts';
import { tsKernels } from './ts/kernels.ts';
import { loadNativeBackend, nativeProblem } from './native/index.ts';
import { PonderError } from '../errors.ts';

export const tsBackend: Backend = { name: 'ts', threads: 1, simdWidth: 1, kernels: tsKernels };

let current: Backend | null = null;

function choose(): Backend {
  const forced = process.env.PONDER_BACKEND;
  if (forced === 'ts') return tsBackend;
  const native = loadNativeBackend();
  if (forced === 'native') {
    if (!native) throw new PonderError(`PONDER_BACKEND=native, but ${nativeProblem()}`);
    return native;
  }
  if (forced && forced !== 'native') throw new PonderError(`PONDER_BACKEND must be 'ts' or 'native', not '${forced}'`);
  if (native) return native;
  // One line: what is wrong and how to fix it (the slow backend is otherwise easy to miss).
  console.warn(`ponder: using the TypeScript backend, 50-100x slower: ${nativeProblem()}`);
  return tsBackend;
}

/** The backend every tensor op runs on. */
export function backend(): Backend {
  current ??= choose();
  return current;
}

/** Swaps the backend (tests compare backends); returns the previous one. */
export function setBackend(b: Backend): Backend {
  const prev = backend();
  current = b;
  return prev;
}

export type { Backend, Kernels } from './kernels.ts';
