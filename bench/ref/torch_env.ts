// Runs the PyTorch reference (bench/ref/*.py) under Debian's python3 with the environment that
// makes PyTorch fastest on this machine. The tuning applies to the child process only.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PonderError } from '../../src/errors.ts';

// PONDER_TORCH_PYTHON overrides the interpreter (e.g. a venv with a newer torch).
export const PYTHON = process.env.PONDER_TORCH_PYTHON || '/usr/bin/python3';
export const REF_DIR = fileURLToPath(new URL('.', import.meta.url));
export const LLAMA_PY = fileURLToPath(new URL('./llama.py', import.meta.url));

let missing: string | null | undefined;

/** null when /usr/bin/python3 can import torch; otherwise a one-line reason. Cached. */
export function torchMissingReason(): string | null {
  if (missing !== undefined) return missing;
  const r = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) missing = `${PYTHON} cannot run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`;
  else if (r.status !== 0) missing = `${PYTHON} lacks torch or numpy (apt-get install python3-torch python3-numpy libopenblas0-pthread)`;
  else missing = null;
  return missing;
}

/**
 * The reference's environment: OpenBLAS detects its core type (AVX-512 kernels) when
 * OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are unset; passive OpenMP waiting stops spinning threads
 * from slowing small kernels; high glibc mmap/trim thresholds keep freed tensors' pages mapped
 * (fresh pages cost ~10 µs each here).
 */
export function torchEnv(threads: number, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  env.OMP_WAIT_POLICY = 'PASSIVE';
  env.GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=4294967296';
  env.OMP_NUM_THREADS = String(threads);
  env.OPENBLAS_NUM_THREADS = String(threads);
  env.MKL_NUM_THREADS = String(threads);
  return env;
}

export interface RunOptions {
  /** Threads for the reference; default: the value after --threads in args, else 1. */
  threads?: number;
  /** Kill the child after this many ms (default 10 minutes). */
  timeoutMs?: number;
  /** Where the one-line reason goes when torch is missing (default: stderr). */
  onSkip?: (reason: string) => void;
}

/** Runs a python script with the tuned environment; resolves with its stdout, rejects with a PonderError. */
export function runPython(script: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const threads = opts.threads ?? threadsFromArgs(args);
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script, ...args], { env: torchEnv(threads), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s; });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', (e) => { clearTimeout(timer); reject(new PonderError(`${script}: cannot start ${PYTHON} (${e.message})`)); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new PonderError(`${script} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${err.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/**
 * Runs `python3 bench/ref/llama.py <args>` and returns the JSON object it prints last on stdout,
 * or null (after reporting a one-line reason) when python3-torch is missing.
 */
export async function runTorchRef(args: string[], opts: RunOptions = {}): Promise<Record<string, unknown> | null> {
  const reason = torchMissingReason();
  if (reason) {
    (opts.onSkip ?? ((r: string) => process.stderr.write(`torch reference skipped: ${r}\n`)))(reason);
    return null;
  }
  const out = await runPython(LLAMA_PY, args, opts);
  const last = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new PonderError(`llama.py ${args[0] ?? ''}: last line of output is not JSON: ${last.slice(0, 200)}`);
  }
}

function threadsFromArgs(args: string[]): number {
  const i = args.indexOf('--threads');
  const n = i >= 0 ? Number(args[i + 1]) : 1;
  return Number.isInteger(n) && n > 0 ? n : 1;
}
