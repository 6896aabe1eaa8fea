import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { accumulateGrpoGradient, completionLogprobs, pack, type Sample } from '../../src/rl/grpo.ts';
import { groupAdvantages } from '../../src/rl/advantages.ts';
import { backward, scale, sum, mul, tensor, tokenLogprobs, withScope, zeroGrad } from '../../src/tensor/index.ts';
import { assertClose } from '../helpers.ts';

const cfg = validateConfig({ vocab_size: 20, d_model: 16, n_layers: 1, n_heads: 2, n_kv_heads: 1, d_ff: 32, max_seq_len: 32 });
const samples: Sample[] = [
  { prompt: [1, 4, 9, 5], completion: [6, 11, 7, 12, 2], advantage: 1.5 },
  { prompt: [1, 4, 5], completion: [13, 2], advantage: -0.7 },
  { prompt: [1, 4, 10, 10, 5], completion: [6, 7, 14, 2], advantage: 0.3 },
];

function grads(m: Transformer): Float32Array[] {
  return m.parameters().map((p) => Float32Array.from(p.grad!.data));
}

test('pack puts each completion token as the target of the position before it, and nothing else', () => {
  const b = pack(samples);
  assert.equal(b.tokens, 11);
  assert.equal(b.T, 5 + 5 - 1);
  // Row 1: prompt of 3 left-padded by 2; completion [13, 2] is predicted from positions 4 and 5.
  const row = Array.from(b.targets.subarray(b.T, 2 * b.T));
  assert.deepEqual(row, [-100, -100, -100, -100, 13, 2, -100, -100, -100]);
  assert.deepEqual(Array.from(b.ids.subarray(b.T + 2, b.T + 6)), [1, 4, 5, 13]);
  assert.equal(b.keyStart[1], 2);
});

test('on fresh rollouts (ratio 1) the GRPO gradient is the policy gradient -Σ A·∇log π / N_tokens', () => {
  const m = new Transformer(cfg, 4);
  const b = pack(samples);
  zeroGrad(m.parameters());
  accumulateGrpoGradient(m, b, null, null, b.tokens, { epsLow: 0.2, epsHigh: 0.28, beta: 0 });
  const grpo = grads(m);
  // Independent: the REINFORCE loss written directly from the token log-probabilities.
  zeroGrad(m.parameters());
  withScope(() => {
    const logp = tokenLogprobs(Transformer.rows(m.forward(b.ids, b.n, b.T, { keyStart: b.keyStart })), b.targets);
    backward(scale(sum(mul(logp, tensor(b.advantage))), -1 / b.tokens));
  });
  grads(m).forEach((g, i) => assertClose(grpo[i], g, 1e-7, 1e-4, `param ${i}`));
  assert.ok(grpo.some((g) => g.some((x) => x !== 0)));
});

test('tokens whose ratio is past the clip range in the advantage direction get no gradient', () => {
  const m = new Transformer(cfg, 5);
  const one = [{ ...samples[0], advantage: 1 }];
  const b = pack(one);
  const now = completionLogprobs(m, b);
  // Old log-probs 0.5 lower: ratio e^0.5 = 1.65 > 1 + ε_high for every token, A > 0: all clipped.
  const old = now.map((x, i) => (b.targets[i] >= 0 ? x - 0.5 : 0));
  zeroGrad(m.parameters());
  const r = accumulateGrpoGradient(m, b, old, null, b.tokens, { epsLow: 0.2, epsHigh: 0.28, beta: 0 });
  assert.equal(r.clipped, b.tokens);
  assert.ok(grads(m).every((g) => g.every((x) => x === 0)));
  // With a negative advantage the same ratio is not clipped (min picks the unclipped term).
  const neg = pack([{ ...samples[0], advantage: -1 }]);
  zeroGrad(m.parameters());
  accumulateGrpoGradient(m, neg, old, null, neg.tokens, { epsLow: 0.2, epsHigh: 0.28, beta: 0 });
  assert.ok(grads(m).some((g) => g.some((x) => x !== 0)));
});

test('the k3 KL term is zero against an identical reference and positive against another', () => {
  const m = new Transformer(cfg, 6), other = new Transformer(cfg, 7);
  const b = pack(samples.map((s) => ({ ...s, advantage: 0 })));
  const same = accumulateGrpoGradient(m, b, null, completionLogprobs(m, b), b.tokens, { epsLow: 0.2, epsHigh: 0.2, beta: 0.1 });
  assert.ok(Math.abs(same.klSum) < 1e-5);
  const diff = accumulateGrpoGradient(m, b, null, completionLogprobs(other, b), b.tokens, { epsLow: 0.2, epsHigh: 0.2, beta: 0.1 });
  assert.ok(diff.klSum > 1e-3);
});

test('group advantages: centred per group, scaled by the sample std or not, flat groups marked', () => {
  const r = [1, 0, 0, 1, 1, 1, 0.5, 0.5];
  const g = [0, 0, 0, 0, 1, 1, 2, 2];
  const a = groupAdvantages(r, g);
  const std = Math.sqrt((4 * 0.25) / 3);
  assertClose(Array.from(a.advantages), [0.5 / (std + 1e-4), -0.5 / (std + 1e-4), -0.5 / (std + 1e-4), 0.5 / (std + 1e-4), 0, 0, 0, 0], 1e-9, 1e-9);
  assert.deepEqual(a.flat, [false, true, true]);
  const dr = groupAdvantages(r, g, { scaleByStd: false });
  assert.deepEqual(Array.from(dr.advantages), [0.5, -0.5, -0.5, 0.5, 0, 0, 0, 0]);
});
