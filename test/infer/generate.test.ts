import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { generate } from '../../src/infer/generate.ts';
import { argmax, sampleToken } from '../../src/infer/sampling.ts';
import { noGrad, withScope } from '../../src/tensor/index.ts';
import { Rng } from '../../src/tensor/random.ts';

const cfg = validateConfig({ vocab_size: 40, d_model: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 64, max_seq_len: 48 });
const model = new Transformer(cfg, 3);

/** Greedy decoding by full recomputation, one forward over the whole sequence per token. */
function greedyByRecompute(prompt: number[], n: number): number[] {
  const seq = [...prompt];
  noGrad(() => {
    for (let i = 0; i < n; i++) {
      withScope(() => {
        const logits = model.forward(Int32Array.from(seq), 1, seq.length).data;
        seq.push(argmax(logits.subarray((seq.length - 1) * 40, seq.length * 40)));
      });
    }
  });
  return seq.slice(prompt.length);
}

test('batched KV-cache greedy generation equals full recomputation for prompts of different lengths', () => {
  const prompts = [[1, 2, 3, 4, 5, 6, 7], [9, 8], [5]];
  const gens = generate(model, prompts, { maxNewTokens: 12, temperature: 0 });
  prompts.forEach((p, i) => assert.deepEqual(gens[i].tokens, greedyByRecompute(p, 12), `prompt ${i}`));
  assert.ok(gens.every((g) => g.finish === 'length'));
});

test('stop tokens end a row, the others go on; the callback sees every token', () => {
  const free = generate(model, [[1, 2, 3], [7, 7]], { maxNewTokens: 10, temperature: 0 });
  const stopAt = free[0].tokens[3];
  const seen: number[][] = [[], []];
  const gens = generate(model, [[1, 2, 3], [7, 7]], {
    maxNewTokens: 10, temperature: 0, stopTokens: [stopAt], onToken: (r, t) => { seen[r].push(t); },
  });
  const idx = free[0].tokens.indexOf(stopAt);
  assert.deepEqual(gens[0].tokens, free[0].tokens.slice(0, idx + 1));
  assert.equal(gens[0].finish, 'stop');
  assert.deepEqual(seen[0], gens[0].tokens);
  assert.deepEqual(seen[1], gens[1].tokens);
});

test('sampling is seeded: same seed same text, other seed other text', () => {
  const a = generate(model, [[1, 2]], { maxNewTokens: 20, temperature: 1.5, seed: 11 });
  const b = generate(model, [[1, 2]], { maxNewTokens: 20, temperature: 1.5, seed: 11 });
  const c = generate(model, [[1, 2]], { maxNewTokens: 20, temperature: 1.5, seed: 12 });
  assert.deepEqual(a[0].tokens, b[0].tokens);
  assert.notDeepEqual(a[0].tokens, c[0].tokens);
});

test('top-k and top-p keep only the most likely tokens', () => {
  const logits = Float32Array.from([0, 5, 1, 4.9, -2]);
  const rng = new Rng(1), probs = new Float32Array(5), order = new Int32Array(5);
  const seen = new Set<number>();
  for (let i = 0; i < 300; i++) seen.add(sampleToken(logits, { topK: 2 }, rng, probs, order));
  assert.deepEqual([...seen].sort(), [1, 3]);
  seen.clear();
  // p(1) ≈ 0.49, p(3) ≈ 0.45: top-p 0.9 keeps exactly those two.
  for (let i = 0; i < 300; i++) seen.add(sampleToken(logits, { topP: 0.9 }, rng, probs, order));
  assert.deepEqual([...seen].sort(), [1, 3]);
  // Empirical frequencies follow the temperature-scaled softmax.
  let ones = 0;
  for (let i = 0; i < 4000; i++) if (sampleToken(Float32Array.from([0, Math.log(3)]), {}, rng, probs, order) === 1) ones++;
  assert.ok(Math.abs(ones / 4000 - 0.75) < 0.03, `p(1) = ${ones / 4000}, expected 0.75`);
});

test('prompts that leave no room, or hold unknown ids, are refused clearly', () => {
  assert.throws(() => generate(model, [new Array(48).fill(1)], { maxNewTokens: 1 }), /context is 48/);
  assert.throws(() => generate(model, [[1, 99]], { maxNewTokens: 1 }), /token id 99 is outside the vocabulary/);
});
