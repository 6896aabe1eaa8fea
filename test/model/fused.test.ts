// Fused projections (Q, K, V; gate and up): the parts' weights and gradients are views of one
// buffer, decoding a few rows uses one product over it, and everything else sees no change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { generate } from '../../src/infer/generate.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { trainStep, paramGroups } from '../../src/train/step.ts';
import { noGrad, withScope } from '../../src/tensor/index.ts';
import { assertClose } from '../helpers.ts';

const cfg = validateConfig({ vocab_size: 40, d_model: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 48, max_seq_len: 32 });

test('parts are views of the fused weight and gradient; names and shapes as before', () => {
  const m = new Transformer(cfg, 5);
  const a = m.blocks[0].attn, mlp = m.blocks[0].mlp;
  assert.deepEqual(a.qkv.shape, [32 + 2 * 16, 32]);
  assert.deepEqual(mlp.gateUp.shape, [96, 32]);
  assert.equal(a.k.weight.data.buffer, a.qkv.data.buffer);
  assert.equal(a.k.weight.data.byteOffset, 32 * 32 * 4);
  assert.deepEqual(Array.from(a.qkv.data.subarray(48 * 32, 64 * 32)), Array.from(a.v.weight.data));
  assert.equal(mlp.up.weight.grad!.data.buffer, mlp.gateUp.grad!.data.buffer);
  const names = m.namedParameters().map(([n, t]) => `${n} ${t.shape.join('x')}`);
  assert.ok(names.includes('model.layers.1.self_attn.k_proj.weight 16x32'));
  assert.ok(names.includes('model.layers.0.mlp.up_proj.weight 48x32'));
});

test('decoding one row through the fused weights gives the logits of the separate products', () => {
  const m = new Transformer(cfg, 6);
  // With gradients on, the forward takes the separate products; without, and one row, the fused one.
  const sep = withScope(() => Float32Array.from(m.forward(Int32Array.of(5), 1, 1).data));
  const fused = noGrad(() => withScope(() => Float32Array.from(m.forward(Int32Array.of(5), 1, 1).data)));
  assertClose(fused, sep, 1e-5, 1e-5, 'logits');
  // KV-cache greedy generation (fused, one row) equals recomputation over the whole sequence (separate products).
  const [g] = generate(m, [[3, 17, 5]], { maxNewTokens: 6, temperature: 0 });
  const seq = [3, 17, 5];
  noGrad(() => {
    for (let i = 0; i < 6; i++) withScope(() => {
      const l = m.forward(Int32Array.from(seq), 1, seq.length).data.subarray((seq.length - 1) * 40, seq.length * 40);
      let best = 0;
      for (let j = 1; j < 40; j++) if (l[j] > l[best]) best = j;
      seq.push(best);
    });
  });
  assert.deepEqual(g.tokens, seq.slice(3));
});

test('a training step updates the parts through their views (the fused weight follows)', () => {
  const m = new Transformer(cfg, 7);
  const opt = new AdamW(paramGroups(m, 0.1));
  const a = m.blocks[1].attn, before = Float32Array.from(a.v.weight.data);
  const inputs = Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 40), targets = Int32Array.from({ length: 16 }, (_, i) => (i * 7 + 1) % 40);
  trainStep(m, opt, [{ inputs, targets, B: 2, T: 8 }], 1e-2);
  assert.ok(a.v.weight.data.some((x, i) => x !== before[i]), 'v changed');
  assert.deepEqual(Array.from(a.qkv.data.subarray(48 * 32)), Array.from(a.v.weight.data));
  assert.ok(m.blocks[0].mlp.gate.weight.grad!.data.some((x) => x !== 0), 'gate has a gradient');
});
