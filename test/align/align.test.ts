// Preference optimisation: DPO's and KTO's loss and gradients against an independent float64
// PyTorch computation (bench/ref/prefs.py: each sequence alone, no packing), a few DPO steps raise
// the implicit reward margin, and bad preference lines are counted and reported by line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors, floatTensor } from '../../src/io/safetensors.ts';
import { zeroGrad } from '../../src/tensor/index.ts';
import { trainBpe } from '../../src/tokenizer/index.ts';
import { parsePairs, parseRatings, pairsToRatings, type PreferencePair } from '../../src/align/data.ts';
import { encodeItems, batchLoss, trainAlign } from '../../src/align/trainer.ts';
import { dpoLoss } from '../../src/align/dpo.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import { runPython, torchMissingReason, REF_DIR } from '../../bench/ref/torch_env.ts';

const skip = torchMissingReason() ?? false;
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const PAIRS = [
  { prompt: [{ role: 'user', content: 'Say hello.' }], chosen: 'Hello! How can I help?', rejected: 'No.' },
  { prompt: 'What is 2 + 2?', chosen: '4', rejected: '5' },
  { prompt: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'How do I kill a Python process?' }], chosen: 'Use kill with its PID.', rejected: 'I cannot help with that.' },
];
const TEXT = PAIRS.map((p) => JSON.stringify(p)).join('\n');
const tok = trainBpe([TEXT], 300);
const cfg = validateConfig({ vocab_size: 300, d_model: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 64, max_seq_len: 64 });

function tmp(t: { after: (f: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'ponder-align-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A policy a little away from its reference, so log-ratios are not all zero. */
function policyAndRef(): { policy: Transformer; ref: Transformer } {
  const ref = new Transformer(cfg, 7), policy = new Transformer(cfg, 7), noise = new Transformer(cfg, 8);
  policy.parameters().forEach((p, i) => p.data.forEach((v, j) => { p.data[j] = v + 0.5 * noise.parameters()[i].data[j]; }));
  return { policy, ref };
}

for (const method of ['dpo', 'kto'] as const) {
  test(`${method.toUpperCase()} loss and gradients match PyTorch (float64, unpacked)`, { skip }, async (t) => {
    const dir = tmp(t);
    const { policy, ref } = policyAndRef();
    const pairs = parsePairs(TEXT).items;
    const tooLong: number[] = [];
    const items = encodeItems(tok, { method }, pairs, pairsToRatings(pairs), cfg.max_seq_len, tooLong);
    assert.equal(tooLong.length, 0);
    saveCheckpoint(join(dir, 'p'), policy);
    saveCheckpoint(join(dir, 'r'), ref);
    const data = method === 'dpo'
      ? items.map((x) => ({ prompt: x.prompt, chosen: x.a, rejected: x.b }))
      : items.map((x) => ({ prompt: x.prompt, completion: x.a, label: x.desirable }));
    writeFileSync(join(dir, 'items.json'), JSON.stringify(data));
    const beta = 0.5;
    const out = await runPython(join(REF_DIR, 'prefs.py'), ['--method', method, '--policy', join(dir, 'p', 'model.safetensors'), '--ref', join(dir, 'r', 'model.safetensors'),
      '--config', join(dir, 'p', 'config.json'), '--data', join(dir, 'items.json'), '--beta', String(beta), '--nll-weight', '0.5', '--out', join(dir, 'g.safetensors')]);
    const want = JSON.parse(out.trim().split('\n').pop()!) as { loss: number; margin: number; accuracy: number };
    zeroGrad(policy.parameters());
    const got = batchLoss({ method, beta, nllWeight: 0.5 }, policy, ref, items, true); // nllWeight: DPO only (RPO)
    assert.ok(Math.abs(got.loss - want.loss) < 1e-5, `loss ${got.loss} vs PyTorch ${want.loss}`);
    assert.ok(Math.abs(got.margin - want.margin) < 1e-4, `margin ${got.margin} vs ${want.margin}`);
    assert.equal(got.accuracy, want.accuracy);
    assert.ok(got.kl > 0, 'the policy differs from its reference');
    const g = readSafetensors(join(dir, 'g.safetensors'));
    for (const [name, p] of policy.namedParameters()) {
      const r = floatTensor(g, `grad.${name}`).data;
      let num = 0, den = 0;
      for (let i = 0; i < r.length; i++) { num += (p.grad!.data[i] - r[i]) ** 2; den += r[i] ** 2; }
      assert.ok(Math.sqrt(num / Math.max(den, 1e-30)) < 1e-3, `${name}: relative gradient error ${Math.sqrt(num / den)}`);
    }
  });
}

test('DPO loss: -log σ(β·margin), its gradient by finite differences, and the reference cancels', () => {
  const pol = [-3, -5, -4, -2], ref = [-3.5, -4, -4, -2.5];
  const l = dpoLoss(pol, ref, 0.3);
  const z0 = 0.3 * ((-3 + 3.5) - (-4 + 4)), z1 = 0.3 * ((-5 + 4) - (-2 + 2.5));
  assert.ok(Math.abs(l.loss - (Math.log1p(Math.exp(-z0)) + Math.log1p(Math.exp(-z1))) / 2) < 1e-12);
  for (let i = 0; i < 4; i++) {
    const up = [...pol], dn = [...pol];
    up[i] += 1e-6; dn[i] -= 1e-6;
    assert.ok(Math.abs((dpoLoss(up, ref, 0.3).loss - dpoLoss(dn, ref, 0.3).loss) / 2e-6 - l.grad[i]) < 1e-6);
  }
  assert.equal(dpoLoss(ref, ref, 0.3).loss, Math.log(2), 'at the reference every pair costs log 2');
});

test('a few DPO steps raise the reward margin and the chosen answers\' share; KL grows from 0', (t) => {
  const dir = tmp(t);
  const pairs = parsePairs(TEXT).items;
  const r = trainAlign({ method: 'dpo', policy: new Transformer(cfg, 3), tokenizer: tok, pairs, valPairs: pairs, outDir: dir, steps: 12, batchSize: 3, beta: 0.1, lr: 3e-3, evalEvery: 4, sampleEvery: 6, progress: false });
  assert.ok(Math.abs(r.rows[0].margin) < 1e-6 && r.rows[0].kl < 1e-9, 'step 1 starts at the reference');
  const last = r.rows[r.rows.length - 1];
  assert.ok(last.val_margin > 0.5, `validation margin after 12 steps: ${last.val_margin}`);
  assert.equal(last.val_accuracy, 1);
  assert.ok(last.kl > 1e-4);
  assert.equal(MetricsLog.read(join(dir, 'samples.jsonl')).length, 6, 'three prompts sampled at steps 6 and 12');
  assert.ok(existsSync(join(dir, 'reward.svg')) && existsSync(join(dir, 'loss.svg')));
  // KTO from the same data as thumbs: desirable answers rise against undesirable ones.
  const k = trainAlign({ method: 'kto', policy: new Transformer(cfg, 3), tokenizer: tok, ratings: pairsToRatings(pairs), outDir: join(dir, 'kto'), steps: 12, batchSize: 6, beta: 0.1, lr: 3e-3, progress: false });
  assert.ok(k.rows[k.rows.length - 1].margin > 0.2, `KTO margin ${k.rows[k.rows.length - 1].margin}`);
});

test('bad preference lines are counted and reported by line; ponder align skips them', (t) => {
  const lines = [
    JSON.stringify(PAIRS[0]),
    JSON.stringify({ prompt: 'hi', chosen: 'same', rejected: 'same' }),
    JSON.stringify({ prompt: [{ role: 'robot', content: 'x' }], chosen: 'a', rejected: 'b' }),
    JSON.stringify({ prompt: 'hi', chosen: '', rejected: 'b' }),
    '[1, 2]',
    JSON.stringify(PAIRS[1]),
  ];
  const r = parsePairs(lines.join('\n'));
  assert.deepEqual(r.items.map((p: PreferencePair) => p.line), [1, 6]);
  assert.deepEqual(r.bad.map((b) => [b.line, b.reason]), [
    [2, 'chosen and rejected are identical (no preference to learn)'],
    [3, 'prompt[0] has unknown role "robot" (system, user, assistant)'],
    [4, 'chosen must be a non-empty string'],
    [5, 'not a JSON object'],
  ]);
  const k = parseRatings([JSON.stringify({ prompt: 'q', completion: 'a', label: true }), JSON.stringify({ prompt: 'q', completion: 'a', label: 'up' })].join('\n'));
  assert.equal(k.items.length, 1);
  assert.match(k.bad[0].reason, /label must be true/);

  const dir = tmp(t);
  saveCheckpoint(join(dir, 'base'), new Transformer(cfg, 3), { tokenizer: tok });
  writeFileSync(join(dir, 'prefs.jsonl'), lines.join('\n') + '\n');
  const run = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'align', '--checkpoint', join(dir, 'base'), '--data', join(dir, 'prefs.jsonl'), '--out', join(dir, 'out'), '--steps', '2', '--batch', '2'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /skipped 4 lines .*\n\s+line 2: chosen and rejected are identical/);
  assert.match(run.stdout, /align \(dpo\): 2 steps; loss/);
  assert.ok(existsSync(join(dir, 'out', 'final', 'model.safetensors')));
});
