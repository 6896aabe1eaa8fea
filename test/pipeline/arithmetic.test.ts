// CI's shortened arithmetic pipeline (`ponder speedrun --preset arithmetic-ci` with 60 of its 120
// GRPO steps; products by one digit, digits that carry their place): pretraining has every
// operation up to 6 digits (products 1x1-6x1); GRPO (answer-only reward) then trains 8x1, two
// digits longer than anything pretrained.
// 7x1 is in no training problem; 9x1 and 10x1 have an operand longer than any training problem's;
// 18 multiplicands are never written in any training line. Scored with thinking forced on, before
// and after RL.
// Measured (one thread, seed 1; 100 problems a set, so one problem is 1 point;
// docs/reasoning/ci-run-rl60/report.md), on AVX-512, base -> after 60 GRPO steps on 8x1:
//   3x1 89 -> 90, 6x1 83 -> 95, 7x1 81 -> 93, 8x1 45 -> 93 (+48), 9x1 15 -> 40, 10x1 5 -> 11,
//   held multiplicands 97 -> 98; 8x1's first wrong lines: copies 41 -> 3, step arithmetic 12 -> 4.
// Seed 2 of the same preset: 3x1 98 -> 98, 6x1 83 -> 94, 7x1 81 -> 90, 8x1 51 -> 92 (+41), 9x1 18 -> 35,
// 10x1 10 -> 14. From other bases (report, section 12: two sizes, two seeds) the same RL took 8x1
// from 10-43% to 84-100%, and 7x1 before RL was 60-92%.
// Asserted with margins: the base learnt its products; 7x1, longer than any pretrained operand,
// is mostly right already (place digits; the BPE preset before them: 11%); RL on 8x1 gains at least
// RL_GAIN points there, 7x1 gains, and 9x1 (never trained) does not lose. The 80% on
// never-trained shapes is not met (docs/reasoning/report.md, section 12).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARITHMETIC_PRESETS, runArithmetic } from '../../src/pipeline/arithmetic.ts';
import { writeArithmeticReport } from '../../src/pipeline/arithmetic-report.ts';
import { unseenKind } from '../../src/pipeline/arithmetic-data.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import { backend } from '../../src/backend/index.ts';

// Margins below the measured run (100 problems a set; one problem is 1 point).
const BASE_3X1 = 0.8, BASE_HELD = 0.7, BASE_7X1 = 0.5, BASE_8X1_MAX = 0.65, RL_GAIN = 0.3;

const skip = backend().name !== 'native' ? 'the pipeline needs the native kernels (the ts backend is 50-100x slower)' : false;

test('arithmetic (ci preset): place digits carry products one digit past pretraining; RL on a longer shape learns it', { skip, timeout: 1_200_000 }, (t) => {
  // On all cores: the kernels give the same bits on any thread count (work is split by output,
  // never a sum across threads), so the run is the same on any core count of one SIMD width.
  const dir = mkdtempSync(join(tmpdir(), 'ponder-arith-'));
  try {
    const p = structuredClone(ARITHMETIC_PRESETS['arithmetic-ci']!);
    p.pretrain.maxSeconds = p.grpo.maxSeconds = 1e9; // budgets in steps only
    p.grpo.steps = 60; // shortened: the preset's 120 steps add two minutes (its runs: docs/reasoning/ci-run/)
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
    // 9x1 and 10x1 have an operand longer than any operand of any training problem, RL's included.
    assert.deepEqual(Object.keys(r.heldOutCounts), ['3x1', '6x1', '7x1', '8x1', '9x1', '10x1', '3x1 held values']);
    assert.ok(Object.values(r.heldOutCounts).every((n) => n === 100));
    assert.ok(r.plan.unseen.every((s) => unseenKind(r.plan, s) === 'longer than any training operand'));
    assert.equal(r.tokenizer.kind, 'places');
    // Positions: every evaluated reference fits the pretrained window.
    assert.ok(r.context.longestReference <= r.context.seqLen, msg);
    // MARGINS
    assert.ok(acc(r.base, '3x1') >= BASE_3X1 && acc(r.base, '3x1 held values') >= BASE_HELD, `the base learnt its products, on multiplicands never in a training line too: ${msg}`);
    assert.ok(acc(r.base, '7x1') >= BASE_7X1, `a multiplicand one digit longer than any pretrained operand is mostly right before RL: ${msg}`);
    const rl = '8x1';
    assert.ok(acc(r.base, rl) <= BASE_8X1_MAX, `RL's shape is imperfect before RL, thinking forced on: ${msg}`);
    assert.ok(acc(r.afterRl, rl) >= acc(r.base, rl) + RL_GAIN, `RL on ${rl} (answer-only reward, thinking forced on both times) gains >= ${RL_GAIN * 100} points: ${msg}`);
    assert.ok(acc(r.afterRl, '7x1') > acc(r.base, '7x1'), `the shape between pretraining and RL gains too: ${msg}`);
    assert.ok(acc(r.afterRl, '9x1') >= acc(r.base, '9x1'), `the never-trained shape next to RL's does not lose: ${msg}`);
    const base = r.base.find((x) => x.shape === rl)!.stats, after = r.afterRl.find((x) => x.shape === rl)!.stats;
    const structural = (e: typeof base.errors) => e.copy + e['row or sum header'] + e['result line'];
    assert.ok(structural(after.errors) < structural(base.errors) / 2, `what RL fixed on ${rl} is mostly where the long trace went wrong (copies, headers, result lines): ${msg}`);
    const report = readFileSync(writeArithmeticReport(r), 'utf8');
    assert.match(report, /\| 10x1 \| never trained \(longer than any training operand\) \|/);
    assert.match(report, /\| 7x1 \| in no training problem/);
    assert.ok(existsSync(join(dir, 'rl', 'reward.svg')) && existsSync(join(dir, 'results.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
