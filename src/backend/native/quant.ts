// The native quantised kernels, the file mapping and the bandwidth probe (native/quant_addon.c).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import type { QuantKernels } from '../quant.ts';
import { addonPath } from './index.ts';
import { PonderError } from '../../errors.ts';

interface QuantAddon extends QuantKernels {
  mmapFile(path: string): ArrayBuffer;
  memoryBandwidth(mode: number, nDoubles: number, threads: number, reps: number): number;
  quantGemmMinTokens(n: number): number;
  /** Which kernels the build runs: AVX-512, AVX2 or portable C (native/quant_addon.c). */
  readonly quantKernels?: string;
}

let addon: QuantAddon | null | undefined;

function load(): QuantAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (!existsSync(addonPath)) return null;
  try {
    const a = createRequire(import.meta.url)(addonPath) as Partial<QuantAddon>;
    if (typeof a.quantMatmulMulti === 'function' && typeof a.mmapFile === 'function') addon = a as QuantAddon;
  } catch {
    addon = null;
  }
  return addon;
}

/** The instruction set the native quantised kernels were built for, or null without the addon. */
export function quantKernelSet(): string | null {
  return load()?.quantKernels ?? null;
}

/** The native quantised kernels, or null when the addon (or a build with them) is missing. */
export function loadNativeQuant(): QuantKernels | null {
  const a = load();
  if (!a) return null;
  return {
    quantMatmul: a.quantMatmul, quantMatmulMulti: a.quantMatmulMulti, quantGetRows: a.quantGetRows, attentionF16: a.attentionF16, cacheWriteF16: a.cacheWriteF16,
  };
}

/**
 * The whole file mapped into memory (private, copy-on-write: the file is never written), or null
 * when the native addon is not built (the caller then reads the file). Unmapped when collected.
 */
export function mmapFile(path: string): ArrayBuffer | null {
  const a = load();
  if (!a) return null;
  return a.mmapFile(path);
}

/** Memory bandwidth in GB/s: STREAM triad (3 arrays counted) or a read-only sum, over arrays of nDoubles. */
export function memoryBandwidth(kind: 'triad' | 'read', nDoubles: number, threads: number, reps = 5): number {
  const a = load();
  if (!a) throw new PonderError('the native addon is not built (run `npm run build:native`)');
  return a.memoryBandwidth(kind === 'triad' ? 0 : 1, nDoubles, threads, reps);
}

/**
 * Products of at least n tokens run on the panel GEMM (native/quant_gemm.c), fewer on the row
 * kernels (default 8; a huge n keeps everything on the row kernels, to compare the two). Returns
 * the previous threshold.
 */
export function setQuantGemmMinTokens(n: number): number {
  const a = load();
  if (!a) throw new PonderError('the native addon is not built (run `npm run build:native`)');
  return a.quantGemmMinTokens(n);
}
