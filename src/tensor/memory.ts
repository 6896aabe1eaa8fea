// Buffer reuse. On this machine a fresh page costs ~10 µs on first touch, so a training step that
// allocated its activations anew would spend more time faulting pages than multiplying. Tensors
// made inside a scope take their buffers from a pool of exact sizes and give them back when the
// scope ends; the next step, with the same shapes, gets the very same buffers back.
import { PonderError } from '../errors.ts';

// Sizes in least-recently-given order (a Map iterates in insertion order). Workloads whose shapes
// change every step (RL rollouts and updates, whose lengths vary; decoding, whose key length
// grows) would otherwise park a buffer of every size ever seen here for good: the pool is capped,
// and the least recently given sizes are dropped first (the steady shapes of a step stay pooled).
const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;
let limitBytes = poolMegabytes(process.env.PONDER_POOL_MB) * 2 ** 20;

function poolMegabytes(v: string | undefined): number {
  const mb = Number(v ?? 1024);
  if (v === '' || !Number.isFinite(mb) || mb < 0) throw new PonderError(`PONDER_POOL_MB must be a number of megabytes (0 or more), not '${v}'`);
  return mb;
}

/** Sets the pool's cap (bytes of idle buffers kept for reuse); returns the previous one. */
export function setPoolLimit(bytes: number): number {
  const prev = limitBytes;
  limitBytes = bytes;
  evict();
  return prev;
}

function evict(): void {
  for (const [n, list] of free) {
    if (pooledBytes <= limitBytes) return;
    free.delete(n);
    pooledBytes -= n * 4 * list.length;
  }
}

/** A buffer of n floats from the pool (contents undefined), or a new one. */
export function take(n: number): Float32Array {
  const list = free.get(n);
  const buf = list?.pop();
  if (buf) {
    pooledBytes -= n * 4;
    return buf;
  }
  return new Float32Array(n);
}

/** Gives a buffer back to the pool. */
export function give(buf: Float32Array): void {
  if (buf.length === 0) return;
  const list = free.get(buf.length) ?? [];
  free.delete(buf.length); // re-inserted last: the most recently given size
  free.set(buf.length, list);
  list.push(buf);
  pooledBytes += buf.length * 4;
  if (pooledBytes > limitBytes) evict();
}

/** Bytes held by the pool and not in use (for tests and diagnostics). */
export function poolBytes(): number {
  return pooledBytes;
}

/** Drops every pooled buffer (after a shape change, say, when the old sizes will not come back). */
export function clearPool(): void {
  free.clear();
  pooledBytes = 0;
}

/** A released tensor's data: any read or write of it shows up at once as a zero-length access. */
export const RELEASED = new Float32Array(0);

interface Owner {
  data: Float32Array;
}

/** The buffers allocated while a scope is open, to be released together. */
export class Scope {
  private owned: Owner[] = [];
  private extra: Float32Array[] = [];
  readonly parent: Scope | null;

  constructor(parent: Scope | null) {
    this.parent = parent;
  }

  own(t: Owner): void {
    this.owned.push(t);
  }

  ownBuffer(b: Float32Array): void {
    this.extra.push(b);
  }

  /** Keeps a tensor alive past this scope by handing it to the enclosing scope (or to nobody). */
  keep(t: Owner): void {
    const i = this.owned.lastIndexOf(t);
    if (i < 0) return;
    this.owned.splice(i, 1);
    this.parent?.own(t);
  }

  release(): void {
    for (const t of this.owned) {
      give(t.data);
      t.data = RELEASED;
    }
    for (const b of this.extra) give(b);
    this.owned = [];
    this.extra = [];
  }
}

let active: Scope | null = null;

export function currentScope(): Scope | null {
  return active;
}

/** Opens a scope; `end()` releases what was made in it. Prefer `withScope`. */
export function beginScope(): Scope {
  active = new Scope(active);
  return active;
}

export function endScope(s: Scope): void {
  if (active !== s) throw new Error('scopes must end in the order they began');
  s.release();
  active = s.parent;
}

/**
 * Runs fn in a scope: tensors made inside are released when it returns, except the tensors
 * passed to `keep`. Use it around a training step or a generation step.
 */
export function withScope<R>(fn: (keep: <T extends Owner>(t: T) => T) => R): R {
  const s = beginScope();
  try {
    return fn((t) => {
      s.keep(t);
      return t;
    });
  } finally {
    endScope(s);
  }
}

/** A scratch buffer for the current scope (released with it); outside a scope, a plain allocation. */
export function scratch(n: number): Float32Array {
  const b = take(n);
  if (active) active.ownBuffer(b);
  return b;
}
