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

/**
 * Gives a freshly initialised model norms and biases away from their defaults and weights twice
 * their initial scale, so its logits are well spread (quantisation and runner comparisons).
 */
export function spreadWeights(m: { namedParameters(): Iterable<[string, { size: number; data: Float32Array }]> }, seed: number): void {
  let s = seed * 100;
  for (const [name, p] of m.namedParameters()) {
    if (name.endsWith('norm.weight')) p.data.set(randn(p.size, s++, 0.2).map((v) => 1 + v));
    else if (name.endsWith('.bias')) p.data.set(randn(p.size, s++, 0.1));
    else if (name.includes('embed')) p.data.set(randn(p.size, s++, 1));
    else { const d = p.data; for (let i = 0; i < d.length; i++) d[i] *= 2; }
  }
}
