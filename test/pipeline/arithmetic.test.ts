// CI's shortened arithmetic pipeline (`ponder speedrun --preset arithmetic-ci`, products by one
// digit): every operation is trained up to 6 digits (products 1x1-6x1), so 7x1 and 8x1 have an
// operand longer than any training problem's; 18 multiplicands are never written in any training
// line. The base is scored with thinking forced on, then GRPO (answer-only reward) on the hardest
// trained shape, 6x1, then scored again, thinking forced on.
// Measured (one thread, seed 1; 100 problems a set, so one problem is 1 point;
// docs/reasoning/ci-run/report.md), on AVX-512:
//   base: 3x1 69%, 6x1 57%, 7x1 11%, 8x1 12%, 3x1 held multiplicands 45%;
//   after 60 GRPO steps on 6x1: 3x1 77%, 6x1 63% (+6), 7x1 11%, 8x1 12%, held multiplicands 61% (+16);
//   6x1's first wrong lines: step arithmetic 43 -> 36. 7x1/8x1: 177 of 177 errors at the header.
// On AVX2 (no AVX-512: the kernels sum in another order, so the run is another run of the same
// recipe): base 3x1 61%, 6x1 42%, held multiplicands 31%; after RL 65%, 52% (+10), 46% (+15).
// Asserted with margins: the base learnt its products (3x1 >= 50%, held multiplicands >= 25%); 6x1
// is imperfect before RL (<= 75%); RL gains >= 3 points on 6x1 and >= 8 on the held multiplicands,
// with fewer step-arithmetic errors on 6x1; the never-trained shapes fail at copying the long
// multiplicand (>= 80% of their errors). The targets (+10 on the hardest trained shape,
// 80% on never-trained shapes) are not met; other settings of the same RL gave +0 to +12
// on 6x1 (docs/reasoning/report.md, section 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARITHMETIC_PRESETS, runArithmetic } from '../../src/pipeline/arithmetic.ts';
import { writeArithmeticReport } from '../../src/pipeline/arithmetic-report.ts';
import { unseenKind } from '../../src/pipeline/arithmetic-data.ts';

// Margins below the measured run (100 problems a set; one problem is 1 point).
const BASE_3X1 = 0.5, BASE_HELD = 0.25, RL_GAIN = 0.03, HELD_GAIN = 0.08;
import { MetricsLog } from '../../src/train/metrics.ts';
import { backend } from '../../src/backend/index.ts';

const skip = backend().name !== 'native' ? 'the pipeline needs the native kernels (the ts backend is 50-100x slower)' : false;

test('arithmetic (ci preset): RL improves the reasoning on the hardest trained shape; longer operands fail at the copy', { skip, timeout: 1_200_000 }, (t) => {
  // On all cores: the kernels give the same bits on any thread count (work is split by output,
  // never a sum across threads), so the run is the same on any core count of one SIMD width.
  const dir = mkdtempSync(join(tmpdir(), 'ponder-arith-'));
  try {
    const p = structuredClone(ARITHMETIC_PRESETS['arithmetic-ci']!);
    p.pretrain.maxSeconds = p.grpo.maxSeconds = 1e9; // budgets in steps only
    const r = runArithmetic({ preset: p, outDir: dir, seed: 1, progress: false, log: () => {} });
    const acc = (rs: typeof r.base, s: string) => rs.find((x) => x.shape === s)!.stats.accuracy;
    const rows = MetricsLog.read(join(dir, 'rl', 'metrics.jsonl'));
    const mean = (xs: Record<string, unknown>[], k: string) => xs.reduce((s, x) => s + (x[k] as number), 0) / xs.length;
    const msg = JSON.stringify({
      base: r.base.map((x) => [x.shape, x.stats.accuracy]), rl: r.afterRl.map((x) => [x.shape, x.stats.accuracy]),
      reward: [mean(rows.slice(0, 10), 'accuracy'), mean(rows.slice(-10), 'accuracy')],
    });
    t.diagnostic(msg);
    // Held-out sets as promised, none of them trained on (assertClean ran inside the pipeline);
    // 7x1 and 8x1 have an operand longer than any operand of any training problem.
    assert.deepEqual(Object.keys(r.heldOutCounts), ['3x1', '6x1', '7x1', '8x1', '3x1 held values']);
    assert.ok(Object.values(r.heldOutCounts).every((n) => n === 100));
    assert.ok(r.plan.unseen.every((s) => unseenKind(r.plan, s) === 'longer than any training operand'));
    // Positions are not why longer shapes fail: every evaluated reference fits the trained window.
    assert.ok(r.context.longestReference <= r.context.seqLen, msg);
    // MARGINS
    assert.ok(acc(r.base, '3x1') >= BASE_3X1 && acc(r.base, '3x1 held values') >= BASE_HELD, `the base learnt its products, on multiplicands never in a training line too: ${msg}`);
    const hardest = '6x1';
    assert.ok(acc(r.base, hardest) <= 0.75, `the hardest trained shape is imperfect before RL: ${msg}`);
    assert.ok(acc(r.afterRl, hardest) >= acc(r.base, hardest) + RL_GAIN, `RL on ${hardest} (thinking forced on both times) gains >= ${RL_GAIN * 100} points: ${msg}`);
    assert.ok(acc(r.afterRl, '3x1 held values') >= acc(r.base, '3x1 held values') + HELD_GAIN, `the gain carries to multiplicands never trained: ${msg}`);
    const base = r.base.find((x) => x.shape === hardest)!.stats, after = r.afterRl.find((x) => x.shape === hardest)!.stats;
    assert.ok(after.errors['step arithmetic'] < base.errors['step arithmetic'], `what RL fixed is step arithmetic: ${msg}`);
    const unseenErrors = r.base.filter((x) => ['7x1', '8x1'].includes(x.shape)).map((x) => x.stats.errors);
    const total = unseenErrors.reduce((s, e) => s + Object.values(e).reduce((a, b) => a + b, 0), 0);
    const header = unseenErrors.reduce((s, e) => s + e['row or sum header'] + e.copy, 0);
    assert.ok(total > 0 && header >= 0.8 * total, `longer operands fail at copying the long multiplicand: ${msg}`);
    const report = readFileSync(writeArithmeticReport(r), 'utf8');
    assert.match(report, /\| 8x1 \| never trained \(longer than any training operand\) \|/);
    assert.ok(existsSync(join(dir, 'rl', 'reward.svg')) && existsSync(join(dir, 'results.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
