// The buffer pool is capped: shapes that change every step (RL, decoding) must not park a buffer
// of every size ever seen (the full assistant speedrun was killed at 22 GB in GRPO, growing
// ~700 MB per step), while the sizes of a steady step are still handed back for reuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { take, give, poolBytes, clearPool, setPoolLimit } from '../../src/tensor/memory.ts';

test('pool: bytes stay under the cap, the least recently given sizes go first, recent ones are reused', () => {
  clearPool();
  const prev = setPoolLimit(1 << 20); // 1 MiB
  try {
    const first = new Float32Array(1000);
    give(first);
    const given = new Map<number, Float32Array>();
    for (let n = 1001; n < 3000; n++) { const b = new Float32Array(n); given.set(n, b); give(b); } // ~16 MB of distinct sizes
    assert.ok(poolBytes() <= 1 << 20, `${poolBytes()} bytes pooled`);
    assert.ok(poolBytes() > (1 << 20) - 3000 * 4, 'the cap is used, not emptied');
    assert.notEqual(take(1000), first, 'the least recently given size was dropped');
    assert.equal(take(2999), given.get(2999), 'the most recently given size is reused');
    assert.equal(take(2950), given.get(2950));
    setPoolLimit(0);
    assert.equal(poolBytes(), 0, 'lowering the cap evicts at once');
  } finally {
    setPoolLimit(prev);
    clearPool();
  }
});
