// Types ponder reads but does not write (Q4_1, Q5_0, Q5_1, Q5_K; and Q4_0), with llama.cpp as
// referee: a llama model whose matrices are random blocks of those types (a valid model:
// agreement does not need trained values), run by llama.cpp on the blocks and by ponder on its
// dequantisation. Q5_0 and Q5_1 are what llama-quantize's Q4_K_M falls back to when rows do not
// fill 256-value blocks (Qwen2.5-0.5B's 896).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufParts, writeGgufModel } from '../../src/io/gguf-model.ts';
import { openGguf } from '../../src/io/gguf.ts';
import { writeGguf } from '../../src/io/gguf-write.ts';
import { loadAnyModel } from '../../src/model/load.ts';
import { GGML_TYPE, f32ToF16, rowBytes, blockFormat } from '../../src/quant/blocks.ts';
import { llama, loadLlamaModel, llamaProbs, ponderProbs, topK } from './gguf-llama.ts';
import { TEST_CONFIGS, testModelSource, TEXT } from './gguf-models.ts';
import { rng } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'ponder-gguf-read-'));
test.after(async () => { rmSync(dir, { recursive: true, force: true }); await (await llama()).dispose(); });

/** Random blocks whose values have roughly the spread of the f32 test weights (about ±0.2). */
function randomBlocks(type: number, n: number, seed: number): Uint8Array {
  const r = rng(seed), out = new Uint8Array(rowBytes(type, n));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  const put = (at: number, x: number) => { const h = f32ToF16(x); out[at] = h & 0xff; out[at + 1] = h >> 8; };
  const { typeSize } = blockFormat(type);
  for (let b = 0; b < out.length; b += typeSize) {
    const sign = r() < 0.5 ? -1 : 1, u = 0.5 + r();
    if (type === GGML_TYPE.Q4_0) put(b, sign * 0.03 * u);
    else if (type === GGML_TYPE.Q5_0) put(b, sign * 0.015 * u);
    else if (type === GGML_TYPE.Q4_1) { put(b, 0.03 * u); put(b + 2, -0.22 * u); } // d, m: values m .. m + 15d
    else if (type === GGML_TYPE.Q5_1) { put(b, 0.015 * u); put(b + 2, -0.22 * u); }
    else { put(b, 2e-4 * u); put(b + 2, 2e-3 * (0.5 + r())); } // Q5_K: d, dmin
  }
  return out;
}

async function probsOf(path: string): Promise<Map<number, number>[]> {
  const model = await loadLlamaModel(path);
  try { return await llamaProbs(model, TEXT, 64); } finally { await model.dispose(); }
}

function dense(m: Map<number, number>, n: number): Float32Array {
  const q = new Float32Array(n);
  for (const [id, v] of m) q[id] = v;
  return q;
}

// Every matrix gets the next of these types in turn: all of them meet llama.cpp in one model.
const READ_ONLY = [GGML_TYPE.Q4_0, GGML_TYPE.Q4_1, GGML_TYPE.Q5_0, GGML_TYPE.Q5_1, GGML_TYPE.Q5_K];

test('Q4_0, Q4_1, Q5_0, Q5_1 and Q5_K files: llama.cpp\'s next-token probabilities agree with ponder\'s dequantised weights', async (t) => {
  const base = join(dir, 'base.gguf');
  writeGgufModel(base, testModelSource(TEST_CONFIGS.llama256, 41), 'f32');
  const g = openGguf(base);
  let seed = 1;
  const tensors = g.tensors.map((x) => {
    if (x.shape.length !== 2) return { name: x.name, shape: x.shape, type: x.type, data: g.readBytes(x) };
    const type = READ_ONLY[(seed - 1) % READ_ONLY.length];
    return { name: x.name, shape: x.shape, type, data: randomBlocks(type, x.nelements, seed++) };
  });
  const path = join(dir, 'q4_0-q5_k.gguf');
  writeGguf(path, { metadata: [...g.metadata.entries], tensors });
  g.close();
  // The same values as f32: llama.cpp's arithmetic without its activation rounding.
  const asF32 = join(dir, 'dequantised.gguf');
  writeGgufModel(asF32, readGgufParts(path), 'f32');
  const ours = ponderProbs(loadAnyModel(path).model, TEXT);
  const theirs = await probsOf(path), theirsF32 = await probsOf(asF32);
  let maxDiff = 0, maxDiffF32 = 0, decisive = 0, same = 0;
  ours.forEach((p, i) => {
    const q = dense(theirs[i], p.length), f = dense(theirsF32[i], p.length);
    p.forEach((v, k) => { maxDiff = Math.max(maxDiff, Math.abs(v - q[k])); maxDiffF32 = Math.max(maxDiffF32, Math.abs(v - f[k])); });
    const [a, b] = topK(p, 2);
    if (p[a] - p[b] > 0.05) { decisive++; if (topK(q, 1)[0] === a) same++; }
  });
  t.diagnostic(JSON.stringify({ maxDiff, maxDiffF32, decisive, same }));
  assert.deepEqual(new Set(tensors.filter((x) => x.shape.length === 2).map((x) => x.type)), new Set(READ_ONLY));
  assert.ok(maxDiffF32 < 2e-5, `on the dequantised values as f32, llama.cpp differs from ponder by ${maxDiffF32}`);
  assert.ok(decisive >= TEXT.length / 4, `only ${decisive} decisive positions: the test model is too flat to compare`);
  assert.equal(same, decisive, 'where ponder is decisive, llama.cpp picks the same token');
  // llama.cpp rounds activations to 8 bits (Q8_0 / Q8_K) against these blocks; on random,
  // non-centred blocks that moves probabilities by up to about 0.1 (the f32 run above shows the rest agrees).
  assert.ok(maxDiff < 0.15, `largest probability difference ${maxDiff}`);
});
