// The independent reference: our model's exported safetensors loaded into a separate PyTorch
// implementation of the same architecture (bench/ref/llama.py, float64), comparing the logits of a
// batch and the gradient of every parameter for one training step's loss: the Llama ponder
// trains (tied and untied) and the Llama 3 / Qwen2 / Qwen3 variants it imports.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig, type ModelConfig } from '../../src/model/config.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { readSafetensors, floatTensor } from '../../src/io/safetensors.ts';
import { backward, crossEntropy, withScope, zeroGrad } from '../../src/tensor/index.ts';
import { runTorchRef, torchMissingReason } from '../../bench/ref/torch_env.ts';
import { VARIANTS, trainedLooking } from './variants.ts';

const skip = torchMissingReason() ?? false;

const cases: [string, ModelConfig][] = [
  ...[true, false].map((tied): [string, ModelConfig] => [`Llama, ${tied ? 'tied' : 'untied'} head, GQA`,
    validateConfig({ vocab_size: 96, d_model: 64, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 128, max_seq_len: 32, tie_embeddings: tied })]),
  ['Llama 3 (rope_scaling llama3, head_dim 10 != 48/6, GQA 3, untied)', VARIANTS.llama3],
  ['Qwen2 (q/k/v biases, GQA 5, tied)', VARIANTS.qwen2],
  ['Qwen3 (q/k norms, head_dim 12 != 32/4, untied)', VARIANTS.qwen3],
];

const B = 3, T = 20;
const dir = mkdtempSync(join(tmpdir(), 'ponder-torchref-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const models = cases.map(([, cfg]) => trainedLooking(cfg, 7));
const batches = cases.map(([, cfg]) => {
  const V = cfg.vocab_size;
  const inputs = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => (b * 31 + t * 7 + 5) % V));
  const targets = inputs.map((row, b) => row.map((_, t) => (t === 3 && b === 1 ? -100 : (b * 13 + t * 11 + 1) % V)));
  return { inputs, targets };
});
const refLoss: number[] = [];

// One reference process checks every case (torch starts once): weights and config from ponder's
// checkpoint writer, logits, loss and gradients back as safetensors.
before(async () => {
  if (skip) return;
  const jobs = cases.map((_, i) => {
    saveCheckpoint(join(dir, `ck${i}`), models[i]);
    writeFileSync(join(dir, `batch${i}.json`), JSON.stringify(batches[i]));
    return ['check', '--weights', join(dir, `ck${i}`, 'model.safetensors'), '--config', join(dir, `ck${i}`, 'config.json'),
      '--batch', join(dir, `batch${i}.json`), '--out', join(dir, `ref${i}.safetensors`)];
  });
  writeFileSync(join(dir, 'jobs.json'), JSON.stringify(jobs));
  const r = await runTorchRef(['many', '--jobs', join(dir, 'jobs.json')]);
  assert.ok(Array.isArray(r) && r.length === jobs.length);
  (r as unknown as { loss: number }[]).forEach((x) => refLoss.push(x.loss));
});

cases.forEach(([label], ci) => {
  test(`logits and gradients match PyTorch: ${label}`, { skip }, () => {
    const m = models[ci], { inputs, targets } = batches[ci];
    const ref = readSafetensors(join(dir, `ref${ci}.safetensors`));
    zeroGrad(m.parameters());
    const { logits, loss } = withScope(() => {
      const lg = m.forward(Int32Array.from(inputs.flat()), B, T);
      const l = crossEntropy(Transformer.rows(lg), Int32Array.from(targets.flat()));
      backward(l);
      return { logits: Float32Array.from(lg.data), loss: l.item() };
    });
    const refLogits = floatTensor(ref, 'logits').data;
    let worst = 0;
    for (let i = 0; i < logits.length; i++) worst = Math.max(worst, Math.abs(logits[i] - refLogits[i]));
    assert.ok(worst <= 1e-4, `max |logits - reference| = ${worst}`);
    assert.ok(Math.abs(loss - refLoss[ci]) < 1e-5, `loss ${loss} vs ${refLoss[ci]}`);
    for (const [name, p] of m.namedParameters()) {
      const g = floatTensor(ref, `grad.${name}`).data;
      let num = 0, den = 0, maxAbs = 0;
      for (let i = 0; i < g.length; i++) {
        num += (p.grad!.data[i] - g[i]) ** 2;
        den += g[i] ** 2;
        maxAbs = Math.max(maxAbs, Math.abs(p.grad!.data[i] - g[i]));
      }
      // Relative L2 error of the whole gradient; float32 against float64.
      assert.ok(Math.sqrt(num / Math.max(den, 1e-30)) < 1e-4, `${name}: relative gradient error ${Math.sqrt(num / den)} (max abs ${maxAbs})`);
    }
  });
});
