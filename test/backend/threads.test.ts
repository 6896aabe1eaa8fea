// The native thread policy (native/threads.c, issue 13 item 14): small latency-bound regions go to
// one thread only when the workers are slow again and again, not after one late wake-up; and the
// big GEMM's shrinking chunks give the same bits on any thread count.
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { addonPath, loadNativeBackend, setThreads } from '../../src/backend/native/index.ts';
import { tsKernels } from '../../src/backend/ts/kernels.ts';
import { assertClose, randn } from '../helpers.ts';

interface PolicyHooks {
  teamObserve(ownNs: number, waitNs: number): void;
  teamSmall(nt: number): number;
  teamPolicyReset(): void;
}
const native = loadNativeBackend();
const hooks = native ? (createRequire(import.meta.url)(addonPath) as Partial<PolicyHooks>) : null;
const skipPolicy = hooks && typeof hooks.teamObserve === 'function' ? false : 'native addon without the policy hooks (npm run build:native)';
const policy = hooks as PolicyHooks;

/** How many small regions in a row team_small now runs on one thread (it then grants the team). */
function calmRegions(): number {
  let n = 0;
  while (policy.teamSmall(2) === 1) if (++n > 1e6) throw new Error('never back to the team');
  return n;
}

const US = 1000, MS = 1000_000;

describe('small regions and late workers', { skip: skipPolicy }, () => {
  beforeEach(() => policy.teamPolicyReset());

  it('one late wake-up (a sleeping worker, even a slow-waking virtual CPU) keeps the team', () => {
    policy.teamObserve(2 * US, 100 * US); // wait 100 µs for a 2 µs share: a futex wake-up
    assert.equal(policy.teamSmall(2), 2);
    policy.teamObserve(2 * US, 5 * MS); // then one time slice late: still one strike
    assert.equal(policy.teamSmall(2), 2);
    policy.teamObserve(2 * US, 1 * US); // a quick region clears it
    policy.teamObserve(2 * US, 5 * MS);
    assert.equal(policy.teamSmall(2), 2);
  });

  it('a wait shorter than the caller\'s own share is not slowness', () => {
    for (let i = 0; i < 10; i++) policy.teamObserve(5 * MS, 1 * MS);
    assert.equal(calmRegions(), 0);
  });

  it('workers late twice in a row: small regions run alone for a while, then the team again', () => {
    policy.teamObserve(2 * US, 3 * MS);
    policy.teamObserve(2 * US, 3 * MS);
    assert.equal(calmRegions(), 64);
    assert.equal(policy.teamSmall(2), 2);
    assert.equal(policy.teamSmall(1), 1, 'one thread asked, one given');
  });

  it('calm periods double while the team stays slow, up to a cap, and shrink once it is quick', () => {
    const lengths: number[] = [];
    for (let i = 0; i < 9; i++) {
      policy.teamObserve(2 * US, 3 * MS);
      policy.teamObserve(2 * US, 3 * MS);
      lengths.push(calmRegions());
    }
    assert.deepEqual(lengths, [64, 128, 256, 512, 1024, 2048, 4096, 4096, 4096]);
    for (let i = 0; i < 3; i++) policy.teamObserve(2 * US, 1 * US); // quick: 4096 -> 512
    policy.teamObserve(2 * US, 3 * MS);
    policy.teamObserve(2 * US, 3 * MS);
    assert.equal(calmRegions(), 512);
  });
});

describe('big GEMM chunks', { skip: native ? false : 'native addon not built' }, () => {
  it('tall products (row chunks), wide ones (column chunks) and batches: same bits on 1 and 2 threads, and right', () => {
    const initial = native!.threads;
    try {
      for (const [M, N, K, tA] of [[2000, 96, 70, false], [1500, 200, 530, true], [20, 2000, 300, false], [100, 3000, 64, false]] as const) {
        const A = randn(M * K, M + N), B = randn(K * N, K + 1);
        const out = [1, 2].map((t) => {
          setThreads(t);
          const C = new Float32Array(M * N);
          native!.kernels.gemm(1, M, N, K, A, 0, tA, B, 0, false, C, 0, false);
          return C;
        });
        assert.deepEqual(out[1], out[0], `${M}x${K}x${N}: 2 threads differ from 1`);
        const ref = new Float32Array(M * N);
        tsKernels.gemm(1, M, N, K, A, 0, tA, B, 0, false, ref, 0, false);
        assertClose(out[1], ref, 2e-5 * Math.sqrt(K), 1e-5, `${M}x${K}x${N}`);
      }
      // many small matrices, one per thread at a time (per-head attention products)
      const [batch, M, N, K] = [64, 128, 128, 32];
      const A = randn(batch * M * K, 5), B = randn(batch * N * K, 6);
      const out = [1, 2].map((t) => {
        setThreads(t);
        const C = new Float32Array(batch * M * N);
        native!.kernels.gemm(batch, M, N, K, A, M * K, false, B, N * K, true, C, M * N, false);
        return C;
      });
      assert.deepEqual(out[1], out[0], 'batched: 2 threads differ from 1');
      const ref = new Float32Array(batch * M * N);
      tsKernels.gemm(batch, M, N, K, A, M * K, false, B, N * K, true, ref, M * N, false);
      assertClose(out[1], ref, 2e-5 * Math.sqrt(K), 1e-5, 'batched');
    } finally {
      setThreads(initial);
    }
  });
});
