// A seeded random number generator: xoshiro128** seeded through splitmix32. Pure 32-bit integer
// arithmetic (Math.imul, >>> 0), so the same seed gives the same stream on every platform.

/** splitmix32: a small mixer used to expand one 32-bit seed into xoshiro's 128-bit state. */
export function splitmix32(state: number): [next: number, out: number] {
  const s = (state + 0x9e3779b9) >>> 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97) >>> 0;
  return [s, (z ^ (z >>> 15)) >>> 0];
}

/** Derives an independent seed from a seed and a label (FNV-1a over the label, then mixed). */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return splitmix32(h)[1];
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Rng {
  private s0: number; private s1: number; private s2: number; private s3: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new TypeError(`Rng seed must be an integer, got ${seed}`);
    let st = seed >>> 0;
    const out: number[] = [];
    for (let i = 0; i < 4; i++) { const [n, o] = splitmix32(st); st = n; out.push(o); }
    [this.s0, this.s1, this.s2, this.s3] = out as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** Next uint32 (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1). */
  float(): number { return this.nextU32() / 4294967296; }

  /** Uniform integer in [lo, hi] inclusive, without modulo bias (rejection sampling). */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo || hi - lo >= 4294967296) {
      throw new RangeError(`Rng.int: bad range [${lo}, ${hi}]`);
    }
    const span = hi - lo + 1;
    const limit = 4294967296 - (4294967296 % span);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return lo + (x % span);
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError('Rng.pick: empty array');
    return xs[this.int(0, xs.length - 1)]!;
  }

  /** Fisher-Yates shuffle of a copy. */
  shuffle<T>(xs: readonly T[]): T[] {
    const a = xs.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}
