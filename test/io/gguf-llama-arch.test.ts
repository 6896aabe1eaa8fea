// llama.cpp as referee for the architectures ponder reads and writes as GGUF: random-weight models
// of llama (GQA, head_dim != d/heads, Llama 3 RoPE scaling as rope_freqs, untied head), qwen2
// (q/k/v biases, tied head) and qwen3 (per-head q/k RMSNorm), written by ponder, read by both.
// On teacher-forced text, llama.cpp's next-token probabilities must match ponder's; quantised
// files are checked in gguf-llama-quant.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { llama } from './gguf-llama.ts';
import { compareOnFile } from './gguf-models.ts';

const dir = mkdtempSync(join(tmpdir(), 'ponder-gguf-arch-'));
test.after(async () => { rmSync(dir, { recursive: true, force: true }); await (await llama()).dispose(); });

for (const [name, seed] of [['llama', 11], ['qwen2', 12], ['qwen3', 13]] as const) {
  test(`${name} (f32): llama.cpp's next-token probabilities equal ponder's`, async (t) => {
    const a = await compareOnFile(join(dir, `${name}.gguf`), name, 'f32', seed);
    t.diagnostic(JSON.stringify({ ...a, ours: undefined }));
    // With an f32 KV cache and no flash attention, only the order of float sums differs.
    assert.ok(a.maxDiff < 2e-5, `largest probability difference ${a.maxDiff}`);
    assert.equal(a.top1, 1);
    assert.equal(a.top5, 1);
  });
}


