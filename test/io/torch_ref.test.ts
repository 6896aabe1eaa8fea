// The PyTorch reference (bench/ref/llama.py) talks to ponder through safetensors files: weights in,
// logits and gradients out. These tests check that path end to end and the reference's self-test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { floatTensor, readSafetensors, writeSafetensors, type TensorToWrite } from '../../src/io/safetensors.ts';
import { runTorchRef, torchMissingReason } from '../../bench/ref/torch_env.ts';
import { forwardFlopsPerToken, matmulParams, trainFlopsPerToken } from '../../bench/flops.ts';

const skip = torchMissingReason() ?? false;
const dir = mkdtempSync(join(tmpdir(), 'ponder-ref-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const tinyPath = new URL('../../configs/tiny.json', import.meta.url).pathname;
const tiny = JSON.parse(readFileSync(tinyPath, 'utf8'));

test('llama.py selftest: reference = naive second implementation, KV cache = full forward', { skip }, async () => {
  const r = await runTorchRef(['selftest']);
  assert.ok(r && r.ok === true, JSON.stringify(r));
});

test('llama.py check: weights we write in, logits/loss/grads we read back are consistent', { skip }, async () => {
  // Weights: python initialises, we read them and write them again, so check reads our writer's file.
  const init = join(dir, 'init.safetensors');
  const r0 = await runTorchRef(['init', '--config', tinyPath, '--seed', '4', '--out', init]);
  assert.ok(r0);
  const st = readSafetensors(init);
  const names = Object.keys(st.tensors);
  assert.ok(names.includes('model.layers.1.self_attn.k_proj.weight') && !names.includes('lm_head.weight'));
  assert.deepEqual(floatTensor(st, 'model.layers.0.self_attn.k_proj.weight').shape,
    [tiny.n_kv_heads * tiny.d_model / tiny.n_heads, tiny.d_model]);
  const weights: Record<string, TensorToWrite> = {};
  for (const n of names) weights[n] = floatTensor(st, n);
  const ours = join(dir, 'ours.safetensors');
  writeSafetensors(ours, weights);

  const B = 2, T = 6, V: number = tiny.vocab_size;
  const ids = Array.from({ length: B }, (_, b) => Array.from({ length: T + 1 }, (_, t) => (b * 17 + t * 5 + 3) % V));
  const batch = join(dir, 'batch.json');
  writeFileSync(batch, JSON.stringify(ids));
  const out = join(dir, 'result.safetensors');
  const r = await runTorchRef(['check', '--weights', ours, '--config', tinyPath, '--batch', batch, '--out', out]);
  assert.ok(r && typeof r.loss === 'number');

  const res = readSafetensors(out);
  assert.equal(Number(res.metadata.loss), r.loss);
  const logits = floatTensor(res, 'logits');
  assert.deepEqual(logits.shape, [B, T, V]);
  // Cross-entropy recomputed here from the returned logits must match the reference's loss.
  let sum = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const row = logits.data.subarray((b * T + t) * V, (b * T + t + 1) * V);
      const m = Math.max(...row);
      let z = 0;
      for (const x of row) z += Math.exp(x - m);
      sum += m + Math.log(z) - row[ids[b][t + 1]];
    }
  }
  assert.ok(Math.abs(sum / (B * T) - r.loss) < 1e-5, `${sum / (B * T)} vs ${r.loss}`);
  for (const n of names) {
    const g = floatTensor(res, `grad.${n}`);
    assert.deepEqual(g.shape, st.tensors[n].shape, n);
  }
  // A token absent from the batch gets an embedding gradient only through the tied LM head.
  const unused = [...Array(V).keys()].find((v) => !ids.flat().includes(v))!;
  const C: number = tiny.d_model;
  const gRow = floatTensor(res, 'grad.model.embed_tokens.weight').data.subarray(unused * C, (unused + 1) * C);
  assert.ok(gRow.some((x) => x !== 0), 'tied head gives unused tokens a gradient');
});

test('FLOP formula: python mirror equals bench/flops.ts', { skip }, async () => {
  const r = await runTorchRef(['train-bench', '--config', tinyPath, '--steps', '1', '--warmup', '0']);
  assert.ok(r);
  const perToken = (r.gflops as number) * 1e9 / (r.tokens_per_s as number);
  assert.ok(Math.abs(perToken / trainFlopsPerToken(tiny) - 1) < 1e-9, `${perToken} vs ${trainFlopsPerToken(tiny)}`);
});

test('FLOP formula by hand for config a', () => {
  const a = JSON.parse(readFileSync(new URL('../../configs/a.json', import.meta.url), 'utf8'));
  // per layer: 4·128² attention projections + 3·128·352 MLP; LM head 512·128
  const N = 4 * (4 * 128 * 128 + 3 * 128 * 352) + 512 * 128;
  assert.equal(matmulParams(a), N);
  assert.equal(forwardFlopsPerToken(a, 10), 2 * N + 4 * 4 * 128 * 10);
  assert.equal(trainFlopsPerToken(a), 6 * N + 6 * 4 * 128 * 128);
  // GQA shrinks only k and v: tiny has hd 8, 2 kv heads -> k, v are (16, 32).
  assert.equal(matmulParams(tiny), 2 * (32 * 32 + 2 * 32 * 16 + 32 * 32 + 3 * 32 * 64) + 64 * 32);
});

test('FLOP formula with head_dim != d_model / n_heads counts projections and attention at the heads\' width', () => {
  const c = { vocab_size: 10, d_model: 8, n_layers: 1, n_heads: 2, n_kv_heads: 1, head_dim: 6, d_ff: 4, max_seq_len: 4 };
  // q: 8 -> 12, k and v: 8 -> 6 each, o: 12 -> 8, MLP 3·8·4, LM head 10·8; attention over 12 channels.
  const N = 8 * 12 + 2 * 8 * 6 + 12 * 8 + 3 * 8 * 4 + 10 * 8;
  assert.equal(matmulParams(c), N);
  assert.equal(forwardFlopsPerToken(c, 3), 2 * N + 4 * 12 * 3);
});
