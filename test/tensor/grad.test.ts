// Every op's backward against central finite differences on small random inputs.
import { test } from 'node:test';
import {
  Tensor, parameter, tensor, backward, noGrad, withScope, matmul, add, sub, mul, div, minimum, maximum,
  scale, exp, log, silu, clamp, where, sum, mean, reshape, transpose, slice, concat, embedding, rmsnorm,
  rope, swiglu, softmax, logSoftmax, tokenLogprobs, crossEntropy, attention, affine,
} from '../../src/tensor/index.ts';
import { randn, assertClose } from '../helpers.ts';

/**
 * Checks d(Σ f(inputs)·R)/d(input) from backward() against (L(x+h) - L(x-h)) / 2h for every element.
 * R is a fixed random projection so that every output element's gradient path is exercised.
 */
function gradCheck(name: string, inputs: Tensor[], f: (...xs: Tensor[]) => Tensor, h = 1e-2, atol = 3e-3, rtol = 3e-2): void {
  withScope(() => {
    for (const x of inputs) x.grad = null;
    const out0 = noGrad(() => f(...inputs));
    const R = tensor(randn(out0.size, 99), out0.shape);
    const lossOf = () => sum(mul(f(...inputs), R));
    backward(lossOf());
    for (const [xi, x] of inputs.entries()) {
      const analytic = Float32Array.from(x.grad!.data);
      const numeric = new Float32Array(x.size);
      for (let i = 0; i < x.size; i++) {
        const v = x.data[i];
        x.data[i] = v + h;
        const lp = noGrad(() => lossOf().item());
        x.data[i] = v - h;
        const lm = noGrad(() => lossOf().item());
        x.data[i] = v;
        numeric[i] = (lp - lm) / (2 * h);
      }
      assertClose(analytic, numeric, atol, rtol, `${name}: input ${xi}`);
    }
  });
}

const P = (shape: number[], seed: number, s = 1) => parameter(randn(shape.reduce((a, b) => a * b, 1), seed, s), shape);

test('matmul: plain, transposed, batched, shared right operand', () => {
  gradCheck('mm', [P([3, 4], 1), P([4, 5], 2)], (a, b) => matmul(a, b));
  gradCheck('mm tA', [P([4, 3], 1), P([4, 5], 2)], (a, b) => matmul(a, b, { transA: true }));
  gradCheck('mm tB', [P([3, 4], 1), P([5, 4], 2)], (a, b) => matmul(a, b, { transB: true }));
  gradCheck('mm tAtB', [P([4, 3], 1), P([5, 4], 2)], (a, b) => matmul(a, b, { transA: true, transB: true }));
  gradCheck('bmm', [P([2, 3, 4], 3), P([2, 4, 5], 4)], (a, b) => matmul(a, b));
  gradCheck('bmm tA tB', [P([2, 4, 3], 3), P([2, 5, 4], 4)], (a, b) => matmul(a, b, { transA: true, transB: true }));
  gradCheck('linear', [P([2, 3, 4], 5), P([6, 4], 6)], (x, w) => matmul(x, w, { transB: true }));
  gradCheck('shared tA', [P([2, 4, 3], 5), P([4, 6], 6)], (x, w) => matmul(x, w, { transA: true }));
});

test('binary ops with broadcasting over leading dimensions', () => {
  for (const [name, op] of [['add', add], ['sub', sub], ['mul', mul], ['div', div]] as const) {
    gradCheck(name, [P([2, 3, 4], 7), P([3, 4], 8)], (a, b) => op(a, name === 'div' ? affine(exp(b), 1, 0.5) : b));
    gradCheck(`${name} small first`, [P([4], 9), P([3, 4], 10)], (a, b) => op(a, name === 'div' ? affine(exp(b), 1, 0.5) : b));
  }
  gradCheck('add scalar tensor', [P([3, 4], 11), P([1], 12)], (a, b) => add(a, b));
  // min/max away from ties: shift one operand so no pair is within h of equal.
  const a = P([12], 13), b = parameter(a.data.map((x, i) => x + (i % 2 ? 0.5 : -0.5)), [12]);
  gradCheck('minimum', [a, b], minimum);
  gradCheck('maximum', [a, b], maximum);
});

test('unary ops', () => {
  gradCheck('scale', [P([5], 14)], (a) => scale(a, -2.5));
  gradCheck('exp', [P([5], 15)], exp);
  gradCheck('log', [P([5], 16)], (a) => log(affine(exp(a), 1, 0.1)));
  gradCheck('silu', [P([7], 17)], silu);
  const x = parameter(Float32Array.from([-2, -0.7, -0.3, 0.2, 0.6, 1.8]), [6]);
  gradCheck('clamp', [x], (a) => clamp(a, -0.5, 0.5));
  const cond = tensor([1, 0, 1, 0, 0, 1], [6]);
  gradCheck('where', [P([6], 18), P([6], 19)], (a, b) => where(cond, a, b));
});

test('reductions', () => {
  gradCheck('sum all', [P([2, 3], 20)], (a) => sum(a));
  gradCheck('sum axis 1', [P([2, 3, 4], 21)], (a) => sum(a, 1));
  gradCheck('mean axis -1 keep', [P([2, 3, 4], 22)], (a) => mean(a, -1, true));
  gradCheck('mean all', [P([5], 23)], (a) => mean(a));
});

test('shape ops', () => {
  gradCheck('reshape', [P([2, 6], 24)], (a) => mul(reshape(a, [3, -1]), reshape(a, [3, 4])));
  gradCheck('transpose', [P([2, 3, 4], 25)], (a) => transpose(a, 0, 2));
  gradCheck('slice', [P([3, 5], 26)], (a) => slice(a, 1, 1, 4));
  gradCheck('concat', [P([2, 2], 27), P([2, 3], 28)], (a, b) => concat([a, b], 1));
});

test('embedding (scatter-add with repeated ids)', () => {
  const ids = Int32Array.from([1, 3, 1, 0]);
  gradCheck('embedding', [P([4, 3], 29)], (t) => embedding(t, ids, [2, 2]));
});

test('rmsnorm, rope, swiglu', () => {
  gradCheck('rmsnorm', [P([3, 8], 30), P([8], 31)], (x, w) => rmsnorm(x, w, 1e-5));
  gradCheck('rope', [P([2, 3, 2, 4], 32)], (x) => rope(x, 5, 10000, 16));
  gradCheck('swiglu', [P([10], 33), P([10], 34)], swiglu);
});

test('softmax and log-softmax', () => {
  gradCheck('softmax', [P([3, 5], 35)], softmax);
  gradCheck('logSoftmax', [P([3, 5], 36)], logSoftmax);
});

test('token log-probabilities and cross-entropy with ignore index and weights', () => {
  const t = Int32Array.from([2, -100, 0, 4]);
  gradCheck('tokenLogprobs', [P([4, 5], 37)], (l) => tokenLogprobs(l, t));
  gradCheck('crossEntropy', [P([2, 2, 5], 38)], (l) => crossEntropy(l, t));
  gradCheck('crossEntropy weighted', [P([4, 5], 39)], (l) => crossEntropy(l, t, { weights: Float32Array.from([0.5, 1, 2, 1]) }));
});

test('attention: causal, grouped-query, offset, left padding', () => {
  gradCheck('attn', [P([2, 4, 2, 4], 40), P([2, 4, 2, 4], 41), P([2, 4, 2, 4], 42)], (q, k, v) => attention(q, k, v));
  gradCheck('attn gqa', [P([1, 3, 4, 4], 43), P([1, 3, 2, 4], 44), P([1, 3, 2, 4], 45)], (q, k, v) => attention(q, k, v));
  gradCheck('attn offset+pad', [P([2, 2, 2, 4], 46), P([2, 5, 1, 4], 47), P([2, 5, 1, 4], 48)],
    (q, k, v) => attention(q, k, v, { qOffset: 3, keyStart: Int32Array.from([0, 2]) }));
});
