// Makes test/fixtures/products-d256-q4_k_m.gguf: a small model trained on products (peaked, not
// tied, predictions) whose rows fill Q4_K super-blocks (d_model 256, d_ff 768; ponder's embedded
// model has d_model 128, which Q4_K cannot hold), written by ponder's GGUF writer as Q4_K_M.
// llama.cpp and ponder must continue it greedily alike (test/io/gguf-llama-greedy-q4k.test.ts).
//   PONDER_THREADS=1 npx tsx scripts/make-q4k-fixture.ts   (about 5 minutes on one core; it runs the CI
// speedrun's pipeline with a wider model and keeps base A)
import { join } from 'node:path';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PRESETS, speedrun } from '../src/pipeline/speedrun.ts';
import { loadAnyModel } from '../src/model/load.ts';
import { hfFolderOf } from '../src/model/hf-export.ts';
import { ggufSourceOf, writeGgufModel } from '../src/io/gguf-model.ts';

const out = join(import.meta.dirname, '..', 'test', 'fixtures', 'products-d256-q4_k_m.gguf');
const ci = PRESETS.ci!;
const preset = {
  ...ci,
  model: { ...ci.model, d_model: 256, n_layers: 2, n_heads: 4, n_kv_heads: 4, d_ff: 768, max_seq_len: 96 },
  baseA: { ...ci.baseA, batch: 16, maxSeconds: 240 },
  baseC: { ...ci.baseC, maxSeconds: 1 },
  grpo: { ...ci.grpo, steps: 1, maxSeconds: 5 },
};
const dir = mkdtempSync(join(tmpdir(), 'ponder-q4k-fixture-'));
try {
  speedrun({ preset, outDir: dir, seed: 7 });
  // Base A: pretrained on documents half of which reason, so thinking forced on writes a trace.
  const baseA = join(dir, 'base-a', 'checkpoint');
  if (!existsSync(baseA)) throw new Error(`no checkpoint at ${baseA}`);
  const loaded = loadAnyModel(baseA);
  writeGgufModel(out, ggufSourceOf(hfFolderOf(loaded), baseA), 'q4_k_m');
  console.log(`wrote ${out}`);
} finally { rmSync(dir, { recursive: true, force: true }); }
