// Shared test helpers: a seeded RNG and tolerance checks.
import assert from 'node:assert/strict';

/** mulberry32: a small deterministic RNG for test inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed), out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12), v = r();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** Asserts |a - b| <= atol + rtol·|b| elementwise, naming the first bad index. */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number, what = ''): void {
  assert.equal(a.length, b.length, `${what}: lengths ${a.length} vs ${b.length}`);
  let worst = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - b[i]) - (atol + rtol * Math.abs(b[i]));
    if (!(err <= 0) && (at < 0 || err > worst)) { worst = err; at = i; }
  }
  if (at >= 0) assert.fail(`${what}: index ${at}: ${a[at]} vs ${b[at]} (tolerance ${atol} + ${rtol}·|ref|)`);
}
