// Llama 3, Qwen2 and Qwen3 through every inference path: the fused decode paths (one product over
// q, k, v with their biases, per-head norms and RoPE written straight into the cache) must give
// the logits of the plain full forward, for single rows, few-row batches and continuous batching.
import { test } from 'node:test';
import { Transformer } from '../../src/model/transformer.ts';
import { countParams } from '../../src/model/config.ts';
import { noGrad, withScope } from '../../src/tensor/index.ts';
import { assertClose } from '../helpers.ts';
import { VARIANTS, trainedLooking } from './variants.ts';
import assert from 'node:assert/strict';

function ids(n: number, seed: number, V: number): Int32Array {
  let s = seed;
  return Int32Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) % 2147483648) % V);
}

for (const [name, cfg] of Object.entries(VARIANTS)) {
  const V = cfg.vocab_size;

  test(`${name}: parameter count matches the parameters built`, () => {
    const m = new Transformer(cfg, 1);
    assert.equal(m.parameters().reduce((s, p) => s + p.size, 0), countParams(cfg));
  });

  test(`${name}: KV-cache decoding (prefill, then one and two rows at a time) gives the full forward's logits`, () => {
    const m = trainedLooking(cfg, 3);
    const T = 12, a = ids(T, 5, V), b = ids(T, 9, V);
    noGrad(() => withScope(() => {
      const full = [m.forward(a, 1, T).data.slice(), m.forward(b, 1, T).data.slice()];
      // One row: prefill 5 (the general path), then single tokens (the fused path).
      const cache = m.newCache(1, 16);
      assertClose(m.forward(a.subarray(0, 5), 1, 5, { cache }).data, full[0].subarray(0, 5 * V), 1e-5, 1e-4, 'prefill');
      for (let t = 5; t < T; t++) assertClose(m.forward(a.subarray(t, t + 1), 1, 1, { cache }).data, full[0].subarray(t * V, (t + 1) * V), 1e-5, 1e-4, `position ${t}`);
      // Two rows, two tokens per step (B·T = 4: still the fused path).
      const c2 = m.newCache(2, 16);
      for (let t = 0; t < T; t += 2) {
        const x = Int32Array.from([a[t], a[t + 1], b[t], b[t + 1]]);
        const y = m.forward(x, 2, 2, { cache: c2 }).data;
        for (let r = 0; r < 2; r++) assertClose(y.subarray(r * 2 * V, (r + 1) * 2 * V), full[r].subarray(t * V, (t + 2) * V), 1e-5, 1e-4, `row ${r} positions ${t}-${t + 1}`);
      }
    }));
  });

  for (const N of [2, 6]) {
    test(`${name}: decodeStep over ${N} sequences of different lengths gives each its own logits`, () => {
      const m = trainedLooking(cfg, 4);
      const seqs = Array.from({ length: N }, (_, i) => ids(10, 20 + i, V));
      noGrad(() => withScope(() => {
        const full = seqs.map((s) => m.forward(s, 1, s.length).data.slice());
        const caches = seqs.map(() => m.newCache(1, 16));
        // Sequence i starts with a prefill of i % 3 + 1 tokens, so positions differ within a step.
        const at = seqs.map((s, i) => { const p = (i % 3) + 1; m.forward(s.subarray(0, p), 1, p, { cache: caches[i] }); return p; });
        while (at[0] < 8) {
          const y = m.decodeStep(Int32Array.from(seqs.map((s, i) => s[at[i]])), caches).data;
          seqs.forEach((_, i) => {
            assertClose(y.subarray(i * V, (i + 1) * V), full[i].subarray(at[i] * V, (at[i] + 1) * V), 1e-5, 1e-4, `sequence ${i} position ${at[i]}`);
            at[i]++;
          });
        }
      }));
    });
  }
}
