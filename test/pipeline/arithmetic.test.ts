// CI's shortened arithmetic pipeline (`ponder speedrun --preset arithmetic-ci`, products by one
// digit): held-out sets by shape, including multiplicands longer than any training problem and
// multiplicands never written in any training line; the base is scored with thinking forced on,
// then GRPO (answer-only reward) on a shape pretraining never showed, then scored again.
// Stated margins, set from the measured run (30 problems a set, so one problem is 3.3 points):
//   measured base (forced on): 2x1 93%, 3x1 83%, 3x1 with held multiplicands 67%, 4x1 17%, 5x1 10%;
//   after 20 GRPO steps on 3x1: 3x1 90%, held multiplicands 80%, 4x1 17%, 5x1 10%.
//   - the base has learnt its pretrained products: 2x1 >= 80%, 3x1 >= 70%;
//   - multiplicands never written in any training line: >= 50% (so not memorised lines);
//   - RL on 3x1 raises 3x1 and held-multiplicand accuracy together (60 problems) by >= 5 points;
//   - the longer, never-trained multiplicands (4x1, 5x1) fail, as measured, at the header or copy
//     of the long multiplicand, not at a step's arithmetic: >= 80% of their errors. (The issue's
//     80% target on unseen shapes is not met; this pins down why.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARITHMETIC_PRESETS, runArithmetic } from '../../src/pipeline/arithmetic.ts';
import { writeArithmeticReport, meanAccuracy } from '../../src/pipeline/arithmetic-report.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import { backend } from '../../src/backend/index.ts';
import { setThreads } from '../../src/backend/native/index.ts';

const skip = backend().name !== 'native' ? 'the pipeline needs the native kernels (the ts backend is 50-100x slower)' : false;

test('arithmetic (ci preset): column reasoning transfers to longer multiplicands; RL on an unpretrained shape', { skip, timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-arith-'));
  const threads = backend().threads;
  setThreads(1); // one thread: the same bits on every machine
  try {
    const p = structuredClone(ARITHMETIC_PRESETS['arithmetic-ci']!);
    p.pretrain.maxSeconds = p.grpo.maxSeconds = 1e9; // budgets in steps only
    const r = runArithmetic({ preset: p, outDir: dir, seed: 1, progress: false, log: () => {} });
    const acc = (rs: typeof r.base, s: string) => rs.find((x) => x.shape === s)!.stats.accuracy;
    const unseen = r.plan.unseen.map((s) => `${s.a}x${s.b}`);
    const rows = MetricsLog.read(join(dir, 'rl', 'metrics.jsonl'));
    const mean = (xs: Record<string, unknown>[], k: string) => xs.reduce((s, x) => s + (x[k] as number), 0) / xs.length;
    const msg = JSON.stringify({
      base: r.base.map((x) => [x.shape, x.stats.accuracy]), rl: r.afterRl.map((x) => [x.shape, x.stats.accuracy]),
      reward: [mean(rows.slice(0, 5), 'accuracy'), mean(rows.slice(-5), 'accuracy')],
    });
    // Held-out sets as promised, none of them trained on (assertClean ran inside the pipeline).
    assert.deepEqual(Object.keys(r.heldOutCounts), ['2x1', '3x1', '4x1', '5x1', '3x1 held values']);
    assert.ok(Object.values(r.heldOutCounts).every((n) => n === 30));
    // MARGINS
    assert.ok(acc(r.base, '2x1') >= 0.8 && acc(r.base, '3x1') >= 0.7, `the base learnt its pretrained products: ${msg}`);
    assert.ok(acc(r.base, '3x1 held values') >= 0.5, `multiplicands never in a training line: ${msg}`);
    const both = (rs: typeof r.base) => (acc(rs, '3x1') + acc(rs, '3x1 held values')) / 2;
    assert.ok(both(r.afterRl) >= both(r.base) + 0.05, `RL on 3x1 raises its held-out accuracy: ${msg}`);
    const unseenErrors = r.base.filter((x) => unseen.includes(x.shape)).map((x) => x.stats.errors);
    const total = unseenErrors.reduce((s, e) => s + Object.values(e).reduce((a, b) => a + b, 0), 0);
    const header = unseenErrors.reduce((s, e) => s + e['row or sum header'] + e.copy, 0);
    assert.ok(total > 0 && header >= 0.8 * total, `unseen shapes fail at copying the long multiplicand: ${msg}`);
    const report = readFileSync(writeArithmeticReport(r), 'utf8');
    assert.match(report, /\| 5x1 \| never trained \(longer\) \|/);
    assert.ok(existsSync(join(dir, 'rl', 'reward.svg')) && existsSync(join(dir, 'results.json')));
  } finally {
    setThreads(threads);
    rmSync(dir, { recursive: true, force: true });
  }
});
