import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { trainBpe } from '../../src/tokenizer/index.ts';
import { getTask } from '../../src/tasks/registry.ts';
import { heldOutSet } from '../../src/tasks/heldout.ts';
import { trainGrpo, DEFAULT_REWARDS } from '../../src/rl/trainer.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import { documentTexts } from '../../src/data/reasoning.ts';
import { TrainingSampler } from '../../src/tasks/heldout.ts';

const task = getTask('addition');
const tok = trainBpe(documentTexts(task, new TrainingSampler(task, 1).sampleMany(1, 200)), 300);
const cfg = validateConfig({ vocab_size: 300, d_model: 32, n_layers: 1, n_heads: 2, n_kv_heads: 2, d_ff: 64, max_seq_len: 48 });
const base = {
  tokenizer: tok, task, difficulty: 1, steps: 4, promptsPerStep: 4, groupSize: 4, maxNewTokens: 8,
  lr: 1e-3, seed: 3, progress: false, checkpointEvery: 2, dynamicSampling: false,
};
// A reward that varies within groups (so every step updates), plus one that is NaN and one that
// throws: both are counted and skipped, never fatal.
const rewards = [
  ...DEFAULT_REWARDS,
  { name: 'length', fn: (c: { completion: string }) => c.completion.length / 100, weight: 1 },
  { name: 'nan', fn: () => NaN, weight: 1 },
  { name: 'throws', fn: () => { throw new Error('verifier exploded'); }, weight: 1 },
];

test('GRPO resumes from its checkpoint with the same metrics as an uninterrupted run; bad rewards are counted', () => {
  const d1 = mkdtempSync(join(tmpdir(), 'ponder-grpo1-')), d2 = mkdtempSync(join(tmpdir(), 'ponder-grpo2-'));
  try {
    const held = heldOutSet(task, 1, 10, 1);
    const full = trainGrpo({ ...base, rewards, heldOut: held, policy: new Transformer(cfg, 5), outDir: d1 });
    assert.equal(full.steps, 4);
    // Interrupted after step 2 (the checkpoint), then resumed in a fresh policy object.
    trainGrpo({ ...base, rewards, heldOut: held, policy: new Transformer(cfg, 5), outDir: d2, steps: 2 });
    trainGrpo({ ...base, rewards, heldOut: held, policy: new Transformer(cfg, 999), outDir: d2, resume: true });
    const strip = (r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).filter(([k]) => !/seconds|per_s/.test(k)));
    const a = MetricsLog.read(join(d1, 'metrics.jsonl')).map(strip), b = MetricsLog.read(join(d2, 'metrics.jsonl')).map(strip);
    assert.equal(a.length, 4);
    assert.deepEqual(b, a);
    assert.ok(a.every((r) => r.trained_samples === 16 && Number.isFinite(r.loss)));
    assert.ok(a.every((r) => r.reward_failures === 32), 'every sample: one NaN and one throw');
    assert.ok(existsSync(join(d1, 'samples.jsonl')) && existsSync(join(d1, 'reward.svg')) && existsSync(join(d1, 'length.svg')));
  } finally {
    rmSync(d1, { recursive: true, force: true });
    rmSync(d2, { recursive: true, force: true });
  }
});
