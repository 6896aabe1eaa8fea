import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { pretrain } from '../../src/train/pretrain.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import { loadCheckpoint, saveCheckpoint } from '../../src/io/checkpoint.ts';
import { writeTokenFile, readTokenFile } from '../../src/data/tokens.ts';

const cfg = validateConfig({ vocab_size: 24, d_model: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 64, max_seq_len: 32 });

/** A corpus with structure to learn: counting sequences modulo 20 with a random start. */
function corpus(n: number): Int32Array {
  const out = new Int32Array(n);
  let s = 7;
  for (let i = 0; i < n; i++) {
    if (i % 40 === 0) s = (s * 31 + 11) % 20;
    out[i] = (s + i) % 20;
  }
  return out;
}

const base = (dir: string, steps: number) => ({
  tokens: corpus(6000), outDir: dir, steps, batchSize: 4, seqLen: 16, lr: 3e-3, warmupSteps: 2,
  evalEvery: 5, checkpointEvery: 5, progress: false, seed: 3,
});

test('resuming from a checkpoint gives the loss curve of an uninterrupted run, bit for bit', () => {
  const d1 = mkdtempSync(join(tmpdir(), 'ponder-pt1-')), d2 = mkdtempSync(join(tmpdir(), 'ponder-pt2-'));
  try {
    const full = pretrain({ ...base(d1, 20), model: new Transformer(cfg, 9) });
    // A zero time budget stops after the first step with a checkpoint; then continue to 20 from it.
    pretrain({ ...base(d2, 20), model: new Transformer(cfg, 9), maxSeconds: 0 });
    const ck = loadCheckpoint(join(d2, 'checkpoint'));
    assert.equal(ck.state.step, 1);
    const resumed = pretrain({ ...base(d2, 20), model: new Transformer(cfg, 12345), resume: true });
    const a = MetricsLog.read(join(d1, 'metrics.jsonl')).map((r) => r.loss);
    const b = MetricsLog.read(join(d2, 'metrics.jsonl')).map((r) => r.loss);
    assert.equal(a.length, 20);
    assert.deepEqual(b, a);
    assert.equal(resumed.valLoss, full.valLoss);
    assert.ok(full.valLoss < 2.6, `validation loss ${full.valLoss} should fall below log(24) = 3.18`);
    assert.ok(existsSync(join(d1, 'loss.svg')) && readFileSync(join(d1, 'loss.svg'), 'utf8').includes('<polyline'));
  } finally {
    rmSync(d1, { recursive: true, force: true });
    rmSync(d2, { recursive: true, force: true });
  }
});

test('corrupt, truncated or mismatched checkpoints fail clearly and a failed save keeps the old one', () => {
  const d = mkdtempSync(join(tmpdir(), 'ponder-ck-'));
  try {
    const ck = join(d, 'ck');
    const m = new Transformer(cfg, 1);
    saveCheckpoint(ck, m, { state: { step: 1 } });
    const again = loadCheckpoint(ck);
    assert.deepEqual(again.model.embed.data, m.embed.data);
    // A config that does not match the weights.
    const conf = JSON.parse(readFileSync(join(ck, 'config.json'), 'utf8'));
    writeFileSync(join(ck, 'config.json'), JSON.stringify({ ...conf, d_ff: 96 }));
    assert.throws(() => loadCheckpoint(ck), /mlp\.gate_proj\.weight" has shape \[64, 32\], but config.json implies \[96, 32\]/);
    writeFileSync(join(ck, 'config.json'), JSON.stringify(conf));
    // A truncated weights file.
    const w = join(ck, 'model.safetensors');
    const size = readFileSync(w).length;
    truncateSync(w, size - 100);
    assert.throws(() => loadCheckpoint(ck), (e: Error) => e.name === 'PonderError' && e.message.includes('model.safetensors'));
    // A save that fails midway (a tokenizer that cannot be written) leaves the previous checkpoint in place.
    saveCheckpoint(ck, m, { state: { step: 2 } });
    const bad = { vocabSize: 1, tokens: null } as never;
    assert.throws(() => saveCheckpoint(ck, new Transformer(cfg, 2), { tokenizer: bad, state: { step: 3 } }));
    const kept = loadCheckpoint(ck);
    assert.equal(kept.state.step, 2);
    assert.deepEqual(kept.model.embed.data, m.embed.data);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('token files round-trip and refuse corruption', () => {
  const d = mkdtempSync(join(tmpdir(), 'ponder-tok-'));
  try {
    const ids = Int32Array.from([0, 5, 65535, 17]);
    writeTokenFile(join(d, 'a.bin'), ids, 65536);
    assert.deepEqual(readTokenFile(join(d, 'a.bin')), ids);
    const big = Int32Array.from([0, 70000]);
    writeTokenFile(join(d, 'b.bin'), big, 80000);
    assert.deepEqual(readTokenFile(join(d, 'b.bin')), big);
    truncateSync(join(d, 'b.bin'), 27);
    assert.throws(() => readTokenFile(join(d, 'b.bin')), /truncated or corrupt/);
    assert.throws(() => writeTokenFile(join(d, 'c.bin'), [3, 9], 5), /token id 9 at 1 is outside/);
    assert.throws(() => pretrain({ ...base(d, 2), tokens: new Int32Array(0), model: new Transformer(cfg) }), /corpus is empty/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
