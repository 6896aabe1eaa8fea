// CI's shortened pipeline: the whole R1-Zero recipe on a tiny model in about two minutes, asserting
// that reinforcement learning makes the model better at held-out problems it was never trained on.
// Stated margins (measured: greedy 7% -> 52%, reasoning 0% -> 100%, RL reward 0.02 -> 0.29):
//   - held-out greedy accuracy rises by at least 25 points;
//   - the mean RL reward of the last 10 steps beats the first 10 by at least 0.1;
//   - the share of sampled completions that reason rises by at least 0.4, and they get longer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS, speedrun } from '../../src/pipeline/speedrun.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import { backend } from '../../src/backend/index.ts';

const skip = backend().name !== 'native' ? 'the speedrun needs the native kernels (the ts backend is 50-100x slower)' : false;

test('speedrun (ci preset): GRPO teaches a tiny model to reason and raises held-out accuracy', { skip, timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-speedrun-'));
  // On all cores: the kernels give the same bits on any thread count, so the run is the same on
  // any core count of one SIMD width.
  try {
    // Budgets in steps only (no wall-clock cut-offs), so a slow machine gets the same result.
    const p = structuredClone(PRESETS.ci);
    p.baseA.maxSeconds = p.baseC.maxSeconds = p.grpo.maxSeconds = 1e9;
    const r = speedrun({ preset: p, outDir: dir, seed: 1, progress: false, log: () => {} });
    const [start, zero] = r.stages;
    const rows = MetricsLog.read(join(dir, 'r1-zero', 'metrics.jsonl'));
    const mean = (xs: Record<string, unknown>[], k: string) => xs.reduce((s, x) => s + (x[k] as number), 0) / xs.length;
    const first = rows.slice(0, 10), last = rows.slice(-10);
    const msg = `greedy ${start.evals.free.pass1} -> ${zero.evals.free.pass1}; reward ${mean(first, 'reward')} -> ${mean(last, 'reward')}; reasoning ${mean(first, 'reasoning_fraction')} -> ${mean(last, 'reasoning_fraction')}`;
    assert.ok(start.evals.free.pass1 <= 0.3, `the base must be clearly imperfect: ${msg}`);
    assert.ok(zero.evals.free.pass1 >= start.evals.free.pass1 + 0.25, msg);
    assert.ok(mean(last, 'reward') >= mean(first, 'reward') + 0.1, msg);
    assert.ok(mean(last, 'reasoning_fraction') >= mean(first, 'reasoning_fraction') + 0.4, msg);
    assert.ok(mean(last, 'completion_length') > mean(first, 'completion_length'), msg);
    const report = readFileSync(join(dir, 'report.md'), 'utf8');
    assert.match(report, /## Before and after/);
    assert.ok(existsSync(join(dir, 'r1-zero', 'reward.svg')) && existsSync(join(dir, 'base-a', 'loss.svg')));
    assert.ok(existsSync(join(dir, 'final', 'model.safetensors')) && existsSync(join(dir, 'final', 'tokenizer.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
