import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveSeed, Rng } from '../../src/tasks/rng.ts';

// An independent xoshiro128** / splitmix32 in BigInt arithmetic (masking instead of >>> 0).
const M = 0xffffffffn;
function refStream(seed: number, n: number): number[] {
  let st = BigInt(seed >>> 0);
  const s: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    st = (st + 0x9e3779b9n) & M;
    let z = st;
    z = ((z ^ (z >> 16n)) * 0x21f0aaadn) & M;
    z = ((z ^ (z >> 15n)) * 0x735a2d97n) & M;
    s.push((z ^ (z >> 15n)) & M);
  }
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(Number((rotl((s[1]! * 5n) & M, 7n) * 9n) & M));
    const t = (s[1]! << 9n) & M;
    s[2]! ^= s[0]!; s[3]! ^= s[1]!; s[1]! ^= s[2]!; s[0]! ^= s[3]!; s[2]! ^= t;
    s[3] = rotl(s[3]!, 11n);
  }
  return out;
}

test('xoshiro128** matches an independent BigInt implementation', () => {
  for (const seed of [0, 1, 42, 0xdeadbeef, 2 ** 32 - 1]) {
    const rng = new Rng(seed);
    const got = Array.from({ length: 500 }, () => rng.nextU32());
    assert.deepEqual(got, refStream(seed, 500), `seed ${seed}`);
  }
});

test('same seed, same stream; different seeds differ', () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const xa = Array.from({ length: 20 }, () => a.int(0, 1000));
  assert.deepEqual(xa, Array.from({ length: 20 }, () => b.int(0, 1000)));
  assert.notDeepEqual(xa, Array.from({ length: 20 }, () => c.int(0, 1000)));
  assert.notEqual(deriveSeed(1, 'heldout'), deriveSeed(1, 'train'));
  assert.equal(deriveSeed(1, 'heldout'), deriveSeed(1, 'heldout'));
});

test('int stays in range and covers it evenly; float in [0, 1)', () => {
  const rng = new Rng(3);
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 70000; i++) {
    const v = rng.int(-3, 3);
    assert.ok(v >= -3 && v <= 3);
    counts[v + 3]++;
  }
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `count ${c}`);
  for (let i = 0; i < 1000; i++) { const f = rng.float(); assert.ok(f >= 0 && f < 1); }
  assert.throws(() => rng.int(5, 4), RangeError);
  assert.throws(() => new Rng(1.5), TypeError);
  assert.deepEqual(new Rng(9).shuffle([1, 2, 3, 4, 5]).sort(), [1, 2, 3, 4, 5]);
});
