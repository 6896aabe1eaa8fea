// Bad input to an op is an error that names the op and the shapes, never a silent wrong answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  tensor, zeros, matmul, add, reshape, transpose, slice, concat, embedding, rmsnorm, rope, attention, crossEntropy,
  tokenLogprobs, sum, where, clamp, backward, ShapeError, ValueError,
} from '../../src/tensor/index.ts';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { trainStep, paramGroups } from '../../src/train/step.ts';

const is = (cls: typeof ShapeError, re: RegExp) => (e: unknown) => e instanceof cls && re.test((e as Error).message);

test('shape mismatches name the op and both shapes', () => {
  assert.throws(() => matmul(zeros([2, 3]), zeros([4, 5])), is(ShapeError, /matmul: inner dimensions differ \(3 vs 4\) for \[2, 3\] · \[4, 5\]/));
  assert.throws(() => matmul(zeros([3]), zeros([3, 3])), is(ShapeError, /matmul: operands need rank >= 2, got \[3\]/));
  assert.throws(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 2])), is(ShapeError, /matmul: batch dimensions differ: \[2, 2, 3\] and \[3, 3, 2\]/));
  assert.throws(() => add(zeros([2, 3]), zeros([2])), is(ShapeError, /add: shapes \[2, 3\] and \[2\] do not broadcast/));
  assert.throws(() => reshape(zeros([2, 3]), [4, 2]), is(ShapeError, /reshape: cannot reshape \[2, 3\] \(6\) to \[4, 2\]/));
  assert.throws(() => transpose(zeros([2, 3]), 0, 2), is(ShapeError, /transpose: axes 0, 2 out of range for \[2, 3\]/));
  assert.throws(() => slice(zeros([2, 3]), 1, 2, 5), is(ShapeError, /slice: range \[2, 5\) out of bounds for axis 1 of \[2, 3\]/));
  assert.throws(() => concat([zeros([2, 3]), zeros([3, 3])], 1), is(ShapeError, /concat: shapes \[2, 3\], \[3, 3\] differ outside axis 1/));
  assert.throws(() => rmsnorm(zeros([2, 4]), zeros([3]), 1e-5), is(ShapeError, /rmsnorm: weight \[3\] does not match the last axis of \[2, 4\]/));
  assert.throws(() => rope(zeros([2, 3, 4]), 0, 1e4, 8), is(ShapeError, /rope: x must be \(B, T, H, D\), got \[2, 3, 4\]/));
  assert.throws(() => rope(zeros([1, 4, 1, 4]), 6, 1e4, 8), is(ShapeError, /rope: positions 6..9 exceed the context of 8/));
  assert.throws(() => attention(zeros([1, 2, 3, 4]), zeros([1, 2, 2, 4]), zeros([1, 2, 2, 4])), is(ShapeError, /attention: 3 query heads are not a multiple of 2 kv heads/));
  assert.throws(() => where(zeros([2]), zeros([3]), zeros([3])), is(ShapeError, /where: shapes differ/));
  assert.throws(() => clamp(zeros([2]), 1, 0), is(ShapeError, /clamp: lo 1 must not exceed hi 0/));
  assert.throws(() => sum(zeros([2, 3]), 2), is(ShapeError, /sum: axis 2 out of range for \[2, 3\]/));
  assert.throws(() => backward(zeros([2])), is(ShapeError, /backward\(\) needs a scalar loss, got \[2\]/));
});

test('values an op cannot take are refused by name', () => {
  const table = tensor(new Float32Array(12), [4, 3]);
  assert.throws(() => embedding(table, Int32Array.from([1, 4])), is(ValueError, /embedding: token id 4 at position 1 is outside the vocabulary \[0, 4\)/));
  assert.throws(() => crossEntropy(zeros([2, 5]), Int32Array.from([1, 7])), is(ValueError, /crossEntropy: target 7 at row 1 is outside the vocabulary \[0, 5\)/));
  assert.throws(() => crossEntropy(zeros([2, 5]), Int32Array.from([-100, -100])), is(ValueError, /every target is ignored/));
  assert.throws(() => tokenLogprobs(zeros([2, 5]), Int32Array.from([1])), is(ShapeError, /tokenLogprobs: 1 targets for logits \[2, 5\] \(2 rows\)/));
  // A loss that goes non-finite stops training with a message instead of corrupting the weights.
  const cfg = validateConfig({ vocab_size: 16, d_model: 16, n_layers: 1, n_heads: 2, n_kv_heads: 2, d_ff: 32, max_seq_len: 8 });
  const m = new Transformer(cfg);
  m.embed.data[0] = NaN;
  const before = Float32Array.from(m.parameters()[1].data);
  const b = { inputs: new Int32Array(8), targets: new Int32Array(8), B: 1, T: 8 };
  assert.throws(() => trainStep(m, new AdamW(paramGroups(m, 0)), [b], 1e-3), /training loss became NaN/);
  assert.deepEqual(m.parameters()[1].data, before);
});
