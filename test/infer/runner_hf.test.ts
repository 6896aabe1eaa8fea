// The runner on Hugging Face folders, weights used in place: tiny random Llama (llama3 RoPE
// scaling, untied, head_dim != d/heads), Qwen2 (q/k/v biases, tied, GQA 5:1) and Qwen3 (q/k norms,
// untied, head_dim 12) written as f32, f16 and bf16 safetensors (one file, or two shards), each
// with a bf16 RoPE buffer (which loaders ignore) of odd length first so every weight after it sits at an offset that is only
// 2-byte aligned. Against the float32 Transformer loaded from the same folder (the same rounded
// values): teacher-forced logits and greedy continuations; every matrix is a view of its shard's
// mapped buffer at the header's offset, in the file's dtype (a copy, or an f32 conversion, fails
// that); a truncated shard is one error naming the file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createRunner } from '../../src/infer/runner/index.ts';
import type { HfModel } from '../../src/infer/runner/safetensors.ts';
import { loadAnyModel } from '../../src/model/load.ts';
import { hfConfigFromModel } from '../../src/model/hf-config.ts';
import { writeSafetensors, type FloatDtype, type TensorToWrite } from '../../src/io/safetensors.ts';
import type { Transformer } from '../../src/model/transformer.ts';
import { noGrad, withScope } from '../../src/tensor/index.ts';
import { GGML_TYPE } from '../../src/quant/blocks.ts';
import { backend } from '../../src/backend/index.ts';
import { VARIANTS, trainedLooking } from '../model/variants.ts';
import { randn } from '../helpers.ts';
import { writeRandomHfFolder } from '../../src/infer/runner/random-hf.ts';

const root = mkdtempSync(join(tmpdir(), 'ponder-runner-hf-'));
after(() => rmSync(root, { recursive: true, force: true }));

const GGML_OF: Record<FloatDtype, number> = { F32: GGML_TYPE.F32, F16: GGML_TYPE.F16, BF16: GGML_TYPE.BF16 };

/**
 * Writes model m as a Hugging Face folder in `dtype`, in one file or two shards with an index.
 * Embeddings and head are spread (std 1) so that greedy choices are not near-ties.
 */
function writeFolder(dir: string, m: Transformer, dtype: FloatDtype, shards: 1 | 2): void {
  mkdirSync(dir, { recursive: true });
  const named = m.namedParameters();
  let s = 900;
  for (const [name, p] of named) if (name.includes('embed') || name === 'lm_head.weight') p.data.set(randn(p.size, s++, 1));
  const files: Record<string, TensorToWrite>[] = shards === 1 ? [{}] : [{}, {}];
  const weightMap: Record<string, string> = {};
  const fileName = (i: number) => (shards === 1 ? 'model.safetensors' : `model-0000${i + 1}-of-00002.safetensors`);
  // A name lives in one shard only: shard i's RoPE buffer is layer i's.
  files.forEach((f, i) => {
    const odd = `model.layers.${i}.self_attn.rotary_emb.inv_freq`;
    f[odd] = { shape: [3], data: Float32Array.of(1, 0.5, 0.25), dtype: 'BF16' };
    weightMap[odd] = fileName(i);
  });
  named.forEach(([name, p], i) => {
    const f = shards === 1 ? 0 : i < named.length / 2 ? 0 : 1;
    files[f][name] = { shape: [...p.shape], data: p.data, dtype };
    weightMap[name] = fileName(f);
  });
  files.forEach((f, i) => writeSafetensors(join(dir, fileName(i)), f, { format: 'pt' }));
  if (shards === 2) writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(hfConfigFromModel(m.config)));
}

function modelLogits(m: Transformer, ids: Int32Array): Float32Array {
  return noGrad(() => withScope(() => Float32Array.from(m.forward(ids, 1, ids.length).data)));
}

/** max |a - b| / max |b|. */
function maxRel(a: Float32Array, b: Float32Array): number {
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
  return err / scale;
}

const argmax = (x: Float32Array): number => x.reduce((best, v, i) => (v > x[best] ? i : best), 0);

/** Greedy continuation of `prompt` by n tokens, one logits function per step over the whole sequence. */
function greedy(next: (seq: number[]) => Float32Array, prompt: number[], n: number): number[] {
  const seq = [...prompt];
  for (let i = 0; i < n; i++) seq.push(argmax(next(seq)));
  return seq.slice(prompt.length);
}

/** Every matrix is a view of one shard's buffer at the header's byte offset, in the file's dtype. */
function assertInPlace(m: HfModel, dtype: FloatDtype): void {
  const buffers = new Set(m.shards.map((s) => s.buffer));
  const w = m.weights;
  const mats: [string, typeof w.embed][] = [['model.embed_tokens.weight', w.embed]];
  if (w.output !== w.embed) mats.push(['lm_head.weight', w.output]);
  w.layers.forEach((l, i) => {
    const p = `model.layers.${i}.`;
    mats.push([`${p}self_attn.q_proj.weight`, l.q], [`${p}self_attn.k_proj.weight`, l.k], [`${p}self_attn.v_proj.weight`, l.v],
      [`${p}self_attn.o_proj.weight`, l.o], [`${p}mlp.gate_proj.weight`, l.gate], [`${p}mlp.up_proj.weight`, l.up], [`${p}mlp.down_proj.weight`, l.down]);
  });
  for (const [name, mat] of mats) {
    const at = m.parts.locate(name);
    assert.equal(mat.type, GGML_OF[dtype], `${name}: type`);
    assert.ok(buffers.has(mat.bytes.buffer as ArrayBuffer), `${name}: its bytes are not a view of a shard's buffer`);
    assert.equal(mat.bytes.buffer, m.shards.find((s) => s.file === at.file)!.buffer, `${name}: not its own shard's buffer`);
    assert.equal(mat.bytes.byteOffset, at.dataStart + at.entry.begin, `${name}: offset`);
  }
  // The odd RoPE buffer first: f32 weights all start 2 mod 4, 16-bit ones at least some of them.
  const unaligned = mats.filter(([, mat]) => mat.bytes.byteOffset % 4 !== 0).length;
  assert.ok(dtype === 'F32' ? unaligned === mats.length : unaligned > 0, `${unaligned} of ${mats.length} matrices at offsets not 4-byte aligned`);
  for (const s of m.shards) assert.equal(s.buffer.byteLength, statSync(s.file).size, `${s.file}: the buffer is the whole file`);
  if (backend().name === 'native') assert.ok(m.mapped, 'the shards are memory-mapped');
}

const CASES: [string, FloatDtype, 1 | 2][] = [
  ['llama3', 'F32', 1], ['llama3', 'BF16', 2], ['llama3', 'F16', 1],
  ['qwen2', 'F32', 2], ['qwen2', 'BF16', 1], ['qwen2', 'F16', 2],
  ['qwen3', 'F32', 1], ['qwen3', 'BF16', 1], ['qwen3', 'F16', 2],
];

for (const [variant, dtype, shards] of CASES) {
  test(`runner on a Hugging Face folder = the f32 Transformer of the same folder: ${variant}, ${dtype}, ${shards} file(s)`, () => {
    const dir = join(root, `${variant}-${dtype}-${shards}`);
    writeFolder(dir, trainedLooking(VARIANTS[variant], 3), dtype, shards);
    const ref = loadAnyModel(dir).model;
    const { runner, model } = createRunner(dir, { maxBatchTokens: 8 });
    assertInPlace(model as HfModel, dtype);

    const c = ref.config, V = c.vocab_size, T = 24;
    const seq = Int32Array.from({ length: T }, (_, i) => (i * 37 + 11) % V);
    const want = modelLogits(ref, seq);
    const got = runner.forward(seq, 1, T).data; // three prefill chunks of 8
    // f32 and f16 multiply f32 activations (only the summation order differs); bf16 rounds the
    // activations to bf16 as llama.cpp does, an error of about 2^-9 per value.
    const tol = dtype === 'BF16' ? 5e-3 : 1e-5;
    for (let t = 0; t < T; t++) {
      const rel = maxRel(got.subarray(t * V, (t + 1) * V), want.subarray(t * V, (t + 1) * V));
      assert.ok(rel < tol, `position ${t}: ${rel}`);
    }

    const prompt = [...seq.subarray(0, 6)], n = 12;
    const refTokens = greedy((s) => modelLogits(ref, Int32Array.from(s)).subarray((s.length - 1) * V), prompt, n);
    const cache = runner.newCache(1, prompt.length + n);
    let logits = runner.forward(Int32Array.from(prompt), 1, prompt.length, { cache, lastOnly: true }).data;
    const runTokens: number[] = [];
    for (let i = 0; i < n; i++) {
      runTokens.push(argmax(logits));
      if (i < n - 1) logits = runner.decodeStep(Int32Array.of(runTokens[i]), [cache]).data;
    }
    assert.deepEqual(runTokens, refTokens);
  });
}

test('a truncated shard is one error naming the file', () => {
  const dir = join(root, 'truncated');
  writeFolder(dir, trainedLooking(VARIANTS.qwen2, 4), 'BF16', 2);
  const shard = join(dir, 'model-00002-of-00002.safetensors');
  truncateSync(shard, statSync(shard).size - 100);
  assert.throws(() => createRunner(dir), (e: Error) => {
    assert.match(e.message, /^safetensors \S*model-00002-of-00002\.safetensors: /);
    return true;
  });
});

test('writeRandomHfFolder (the measurement\'s real-shape writer) writes a folder both loaders read as one model', () => {
  const dir = join(root, 'random-qwen2');
  const shape = { name: 'tiny', vocab: 200, d: 64, layers: 2, heads: 4, kvHeads: 2, ff: 96, context: 64 };
  writeRandomHfFolder(dir, shape, 'BF16', { tied: false });
  const ref = loadAnyModel(dir);
  assert.equal(ref.info.dtype, 'bf16');
  assert.equal(ref.config.architecture, 'Qwen2ForCausalLM');
  const { runner } = createRunner(dir);
  const seq = Int32Array.from({ length: 10 }, (_, i) => (i * 53) % shape.vocab);
  const rel = maxRel(runner.forward(seq, 1, seq.length).data, modelLogits(ref.model, seq));
  assert.ok(rel < 5e-3, `${rel}`);
});
