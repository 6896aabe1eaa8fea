// llama.cpp as referee for quantised GGUF files ponder writes and reads: Q8_0, and Q4_K_M (Q4_K
// with Q6_K for the output head and some attn_v/ffn_down), on a random-weight llama whose rows
// fill Q4_K super-blocks. llama.cpp runs the quantised blocks; ponder dequantises them (the TS
// reference, bit-exact with ggml's) and runs f32: teacher-forced probabilities must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGgufModel } from '../../src/io/gguf-model.ts';
import { loadAnyModel } from '../../src/model/load.ts';
import { openGguf } from '../../src/io/gguf.ts';
import { blockFormat } from '../../src/quant/blocks.ts';
import { llama, ponderProbs } from './gguf-llama.ts';
import { compareOnFile, TEST_CONFIGS, testModelSource, TEXT } from './gguf-models.ts';

const dir = mkdtempSync(join(tmpdir(), 'ponder-gguf-quant-'));
test.after(async () => { rmSync(dir, { recursive: true, force: true }); await (await llama()).dispose(); });

const f32Path = join(dir, 'f32.gguf');
writeGgufModel(f32Path, testModelSource(TEST_CONFIGS.llama256, 14), 'f32');
const full = ponderProbs(loadAnyModel(f32Path).model, TEXT);

// llama.cpp multiplies quantised weights by activations it quantises too (Q8_0 / Q8_K), ponder by
// the dequantised weights in f32: the distributions differ by that rounding, far less than the
// quantisation itself moves them away from the f32 model's (a misread block would show there).
function maxDistance(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((p, t) => p.forEach((v, i) => { m = Math.max(m, Math.abs(v - b[t][i])); }));
  return m;
}

for (const [dtype, maxDiff] of [['q8_0', 0.03], ['q4_k_m', 0.05]] as const) {
  test(`llama256 (${dtype}): llama.cpp on the quantised file agrees with ponder's dequantised weights`, async (t) => {
    const path = join(dir, `${dtype}.gguf`);
    const a = await compareOnFile(path, 'llama256', dtype, 14);
    const g = openGguf(path);
    const types = [...new Set(g.tensors.filter((x) => x.shape.length === 2).map((x) => blockFormat(x.type).name))].sort();
    g.close();
    assert.deepEqual(types, dtype === 'q8_0' ? ['Q8_0'] : ['Q4_K', 'Q6_K']);
    const moved = maxDistance(a.ours, full);
    t.diagnostic(JSON.stringify({ ...a, ours: undefined, quantisationMovedProbabilitiesBy: moved }));
    assert.ok(a.maxDiff < maxDiff, `largest probability difference ${a.maxDiff}`);
    // Q8_0 moves probabilities about as little as llama.cpp's own activation rounding; Q4_K far more.
    if (dtype === 'q4_k_m') assert.ok(a.maxDiff < moved / 5, `llama.cpp differs from ponder by ${a.maxDiff}, the quantisation itself moved probabilities by ${moved}`);
    assert.equal(a.top1Decisive, 1, 'where ponder is decisive, llama.cpp picks the same token');
    assert.ok(a.top1 >= 0.9, `top-1 agrees at ${a.top1} of positions`);
  });
}
