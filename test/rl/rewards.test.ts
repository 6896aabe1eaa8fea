import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseThink } from '../../src/infer/think.ts';
import { accuracyReward, formatReward, overlongPenalty, RewardCombiner, type RewardContext } from '../../src/rl/rewards.ts';
import { getTask } from '../../src/tasks/registry.ts';
import { Rng } from '../../src/tasks/rng.ts';
import type { Problem } from '../../src/tasks/types.ts';

const arith: Problem = { question: 'What is 12 * 3?', answer: '36', task: 'arithmetic' };
const ctx = (completion: string, problem: Problem = arith, completionTokens?: number): RewardContext =>
  ({ problem, completion, parsed: parseThink(completion), completionTokens });

test('accuracy: the task verifier on the parsed answer; 0 without an answer', () => {
  assert.equal(accuracyReward(ctx('<think>12*3=36</think>36')), 1);
  assert.equal(accuracyReward(ctx('<think>12*3=36</think>The answer is 35')), 0);
  assert.equal(accuracyReward(ctx('<think>so 36</think>')), 0);          // reasoning is not the answer
  assert.equal(accuracyReward(ctx('<think>thinking 36 ...')), 0);        // unclosed: no answer
  assert.equal(accuracyReward(ctx('36')), 1);                            // format is a separate reward
  const cd = getTask('countdown').generate(new Rng(1), 2);
  assert.equal(accuracyReward(ctx(`<think>search</think>${cd.answer}`, cd)), 1);
  assert.equal(accuracyReward(ctx('<think>search</think>1 + 1', cd)), 0);
});

test('format: well-formed think block then a non-empty answer', () => {
  assert.equal(formatReward(ctx('<think>r</think> 36')), 1);
  assert.equal(formatReward(ctx('<think>r</think>  ')), 0);
  assert.equal(formatReward(ctx('36')), 0);
  assert.equal(formatReward(ctx('<think>a</think>1<think>b</think>2')), 0);
  assert.equal(formatReward(ctx('hi <think>r</think>36')), 0);
});

test('overlong penalty (DAPO): 0, then linear, then -1', () => {
  const f = overlongPenalty(100, 20);
  const at = (L: number) => f(ctx('x', arith, L));
  assert.equal(at(10), 0);
  assert.equal(at(80), 0);
  assert.equal(at(90), -0.5);
  assert.equal(at(100), -1);
  assert.equal(at(150), -1);
  assert.throws(() => f(ctx('x')), /completionTokens/);
  assert.throws(() => overlongPenalty(10, 20));
});

test('combiner: weighted totals, per-function values and means, null skips', () => {
  const c = new RewardCombiner([
    { name: 'accuracy', fn: accuracyReward, weight: 1 },
    { name: 'format', fn: formatReward, weight: 0.5 },
    { name: 'only-long', fn: (x) => (x.completion.length > 20 ? 1 : null), weight: 2 },
  ]);
  const r = c.score([ctx('<think>12*3=36</think>36'), ctx('35'), ctx('<think>twelve threes</think>36')]);
  assert.deepEqual(r.perFunction.accuracy, [1, 0, 1]);
  assert.deepEqual(r.perFunction.format, [1, 0, 1]);
  assert.deepEqual(r.perFunction['only-long'], [1, null, 1]);
  assert.deepEqual(r.total, [3.5, 0, 3.5]);
  assert.deepEqual(r.means, { accuracy: 2 / 3, format: 2 / 3, 'only-long': 1 });
  assert.deepEqual(r.failures, {});
  assert.equal(r.allSkipped, 0);
});

test('combiner: NaN, infinity and throws are caught, counted per function, and skipped', () => {
  let calls = 0;
  const c = new RewardCombiner([
    { name: 'accuracy', fn: accuracyReward, weight: 1 },
    { name: 'flaky', fn: () => { calls++; if (calls % 2) throw new Error('boom'); return NaN; }, weight: 1 },
    { name: 'inf', fn: () => Infinity, weight: 1 },
  ]);
  const bad: Problem = { question: 'not a countdown question', answer: '1', task: 'countdown' };
  const r = c.score([ctx('36'), ctx('36'), ctx('36', bad)]);
  assert.deepEqual(r.perFunction.flaky, [null, null, null]);
  assert.deepEqual(r.perFunction.accuracy, [1, 1, null]);  // the countdown verifier threw
  assert.deepEqual(r.total, [1, 1, 0]);
  assert.equal(r.allSkipped, 1);
  assert.equal(r.means.flaky, null);
  assert.deepEqual(r.failures.flaky, { nonFinite: 1, thrown: 2, firstError: 'boom' });
  assert.deepEqual(r.failures.inf, { nonFinite: 3, thrown: 0 });
  assert.match(r.failures.accuracy!.firstError!, /cannot read the question/);
  c.score([ctx('36')]);
  assert.deepEqual(c.runFailures.inf, { nonFinite: 4, thrown: 0 });
  assert.throws(() => new RewardCombiner([{ name: 'a', fn: formatReward, weight: 1 }, { name: 'a', fn: formatReward, weight: 1 }]));
});
