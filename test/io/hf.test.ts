// Hugging Face folders in: written by an independent writer (bench/ref/llama.py write-hf: PyTorch,
// its own safetensors code, transformers' key names) in f32, f16 and bf16, single-file and
// sharded; ponder's logits must match the PyTorch reference reading the same folder. Out: ponder's
// writer, read back by the reference and by ponder.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnyModel } from '../../src/model/load.ts';
import { hfConfigFromModel } from '../../src/model/hf-config.ts';
import { readHfFolder, writeHfFolder } from '../../src/io/hf.ts';
import { floatTensor, readSafetensors } from '../../src/io/safetensors.ts';
import { noGrad, withScope } from '../../src/tensor/index.ts';
import { runTorchRef, torchMissingReason } from '../../bench/ref/torch_env.ts';
import { VARIANTS, trainedLooking } from '../model/variants.ts';
import type { Transformer } from '../../src/model/transformer.ts';

const skip = torchMissingReason() ?? false;
const dir = mkdtempSync(join(tmpdir(), 'ponder-hf-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const B = 2, T = 9;
function batchFor(V: number): number[][] {
  return Array.from({ length: B }, (_, b) => Array.from({ length: T + 1 }, (_, t) => (b * 29 + t * 11 + 3) % V));
}

/** Runs argument lists of llama.py in one process (torch starts once); null when torch is missing. */
async function refMany(jobs: string[][], tag: string): Promise<Record<string, unknown>[]> {
  const file = join(dir, `${tag}-jobs.json`);
  writeFileSync(file, JSON.stringify(jobs));
  const r = await runTorchRef(['many', '--jobs', file]);
  assert.ok(Array.isArray(r) && r.length === jobs.length);
  return r as unknown as Record<string, unknown>[];
}

function ponderLogits(m: Transformer): Float32Array {
  const ids = Int32Array.from(batchFor(m.config.vocab_size).flatMap((row) => row.slice(0, T)));
  return noGrad(() => withScope(() => m.forward(ids, B, T).data.slice()));
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
}

const layouts: [string, 'f32' | 'f16' | 'bf16', number][] = [['f32', 'f32', 1], ['bf16 in 3 shards', 'bf16', 3], ['f16 in 2 shards', 'f16', 2]];
const independent = (name: string, dtype: string) => join(dir, `${name}-${dtype}`);
const ponderWritten = (name: string) => join(dir, `${name}-ponder`);
const written = new Map<string, Record<string, unknown>>(); // folder -> write-hf's result
const refLogits = new Map<string, Float32Array>(); // folder -> the reference's logits
const ponderModels = new Map<string, Transformer>();

// Two reference runs: the independent writer makes its folders; then the reference reads those
// and ponder's own, and computes logits of the same batch for each.
before(async () => {
  if (skip) return;
  const writes: string[][] = [];
  for (const [name, cfg] of Object.entries(VARIANTS)) {
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(hfConfigFromModel(cfg)));
    writeFileSync(join(dir, `${name}-batch.json`), JSON.stringify(batchFor(cfg.vocab_size)));
    for (const [, dtype, shards] of layouts) writes.push(['write-hf', '--config', join(dir, `${name}.json`), '--seed', '3', '--out', independent(name, dtype), '--dtype', dtype, '--shards', String(shards)]);
    const m = trainedLooking(cfg, 11);
    ponderModels.set(name, m);
    writeHfFolder(ponderWritten(name), {
      hfConfig: hfConfigFromModel(cfg, { eos_token_id: [2, 5] }),
      tensors: m.namedParameters().map(([n, t]) => [n, { shape: [...t.shape], data: t.data }]),
      generationConfig: { eos_token_id: [2, 5] },
    });
  }
  (await refMany(writes, 'write')).forEach((r, i) => written.set(writes[i][6], r));
  const folders = [...written.keys(), ...Object.keys(VARIANTS).map(ponderWritten)];
  const checks = folders.map((f, i) => ['check', '--weights', f, '--batch', join(dir, `${f.slice(dir.length + 1).split('-')[0]}-batch.json`), '--out', join(dir, `ref-${i}.safetensors`)]);
  await refMany(checks, 'check');
  folders.forEach((f, i) => refLogits.set(f, floatTensor(readSafetensors(join(dir, `ref-${i}.safetensors`)), 'logits').data));
});

for (const [name, cfg] of Object.entries(VARIANTS)) {
  for (const [label, dtype, shards] of layouts) {
    test(`${name} folder from an independent writer (${label}): ponder's logits = PyTorch's within 1e-4`, { skip }, () => {
      const folder = independent(name, dtype);
      if (shards > 1) assert.ok(existsSync(join(folder, 'model.safetensors.index.json')) && existsSync(join(folder, `model-00001-of-0000${shards}.safetensors`)));
      const loaded = loadAnyModel(folder);
      assert.equal(loaded.info.format, 'hf');
      assert.equal(loaded.info.architecture, cfg.architecture);
      assert.equal(loaded.info.dtype, dtype);
      assert.equal(loaded.info.parameters, written.get(folder)!.params);
      assert.deepEqual(loaded.config, cfg);
      const d = maxDiff(ponderLogits(loaded.model), refLogits.get(folder)!);
      assert.ok(d <= 1e-4, `max |logits - reference| = ${d}`);
    });
  }

  test(`${name}: ponder's HF writer -> the reference and ponder read the same model`, { skip }, () => {
    const m = ponderModels.get(name)!, out = ponderWritten(name);
    assert.deepEqual(readdirSync(out).sort(), ['config.json', 'generation_config.json', 'model.safetensors']);
    const again = loadAnyModel(out);
    assert.deepEqual(again.eosIds, [2, 5]);
    const orig = new Map(m.namedParameters());
    for (const [n, p] of again.model.namedParameters()) assert.deepEqual(p.data, orig.get(n)!.data, n);
    const d = maxDiff(ponderLogits(m), refLogits.get(out)!);
    assert.ok(d <= 1e-4, `max |logits - reference| = ${d}`);
  });
}

test('bf16 export rounds to nearest-even and the reference reads the same values', () => {
  const cfg = VARIANTS.qwen3, m = trainedLooking(cfg, 2);
  const out = join(dir, 'qwen3-bf16-out');
  writeHfFolder(out, { hfConfig: hfConfigFromModel(cfg), tensors: m.namedParameters().map(([n, t]) => [n, { shape: [...t.shape], data: t.data }]) }, 'bf16');
  assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
  const parts = readHfFolder(out);
  assert.equal(parts.dtype, 'bf16');
  const w = m.namedParameters()[1][1].data, r = parts.tensor(m.namedParameters()[1][0]);
  for (let i = 0; i < w.length; i++) {
    // bf16 keeps 8 bits of mantissa: the nearest value is within half a unit in the last place.
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(w[i]))) - 7);
    assert.ok(Math.abs(r[i] - w[i]) <= ulp / 2, `${w[i]} -> ${r[i]}`);
  }
});
