// A training step allocates nothing new once the pool is warm: every buffer a step needs comes
// back from the previous step's scope. Bound: after warm-up, 200 more steps may grow the JS heap
// and the external (ArrayBuffer) memory by at most 4 MB together. Why this bound: the smallest
// activation of this model is 64 KB (8 × 32 × 64 floats), so leaking even one per step would add
// 12.8 MB over 200 steps, while V8's own bookkeeping (JIT code, small objects) stays well under
// 4 MB. The pool's size is checked exactly: no buffer is added to it or lost from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { trainStep, paramGroups } from '../../src/train/step.ts';
import { poolBytes } from '../../src/tensor/index.ts';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A real collection before each measurement, without needing node --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('200 training steps do not grow memory once the buffer pool is warm', () => {
  const cfg = validateConfig({ vocab_size: 64, d_model: 64, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 128, max_seq_len: 32 });
  const m = new Transformer(cfg, 1);
  const opt = new AdamW(paramGroups(m, 0.1));
  const B = 8, T = 32;
  const inputs = Int32Array.from({ length: B * T }, (_, i) => (i * 7) % 64);
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 1) % 64);
  const batch = [{ inputs, targets, B, T }];
  for (let i = 0; i < 20; i++) trainStep(m, opt, batch, 1e-3);
  gc();
  const used = () => { const u = process.memoryUsage(); return u.heapUsed + u.external + u.arrayBuffers; };
  const pool0 = poolBytes(), mem0 = used();
  for (let i = 0; i < 200; i++) trainStep(m, opt, batch, 1e-3);
  gc();
  assert.equal(poolBytes(), pool0);
  const grown = used() - mem0;
  assert.ok(grown < 4 * 2 ** 20, `memory grew by ${(grown / 2 ** 20).toFixed(2)} MB over 200 steps`);
});
