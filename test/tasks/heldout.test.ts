import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heldOutSet, problemKey, sampleSet, splitProblems, TrainingSampler } from '../../src/tasks/heldout.ts';
import { getTask, problemsTask } from '../../src/tasks/registry.ts';
import type { Problem } from '../../src/tasks/types.ts';

test('held-out sets are distinct, deterministic per seed, and seed-dependent', () => {
  const t = getTask('linear');
  const a = heldOutSet(t, 2, 50, 1);
  assert.equal(new Set(a.map(problemKey)).size, 50);
  assert.deepEqual(a, heldOutSet(t, 2, 50, 1));
  assert.notDeepEqual(a, heldOutSet(t, 2, 50, 2));
});

test('training never yields a held-out problem, even where the problem space is small', () => {
  // 1-digit addition has only 100 problems: with 60 held out, collisions are frequent.
  const t = getTask('addition');
  const held = heldOutSet(t, 1, 60, 7);
  const sampler = new TrainingSampler(t, 7, held);
  const keys = new Set(held.map(problemKey));
  const seen = new Set<string>();
  for (const p of sampler.sampleMany(1, 2000)) {
    assert.ok(!keys.has(problemKey(p)), `held-out problem sampled: ${p.question}`);
    seen.add(problemKey(p));
  }
  assert.ok(sampler.rejected > 0, 'the exclusion was exercised');
  assert.equal(seen.size, 40); // everything else is reachable
  // Without exclusion the same stream does hit held-out problems (so the check above can fail).
  const open = new TrainingSampler(t, 7);
  assert.ok(open.sampleMany(1, 2000).some((p) => keys.has(problemKey(p))));
});

test('exhausted spaces give a clear error', () => {
  const t = getTask('addition');
  assert.throws(() => heldOutSet(t, 1, 101, 1), /only 100 distinct problems/);
  const sampler = new TrainingSampler(t, 1, heldOutSet(t, 1, 100, 1));
  assert.throws(() => sampler.sample(1), /every drawn problem is held out/);
});

test('keys normalise whitespace and case, and one question under two task names is one problem', () => {
  const p = { question: 'What is 2 + 2?', answer: '4', task: 'addition' };
  assert.equal(problemKey(p), problemKey({ ...p, question: ' what  is 2 + 2? ' }));
  const asArithmetic: Problem = { ...p, task: 'arithmetic' };
  assert.equal(problemKey(p), problemKey(asArithmetic));
  assert.notEqual(problemKey(p), problemKey({ ...p, question: 'What is 2 + 3?' }));
  // So a multiplication held-out set also keeps `arithmetic` training off those questions.
  const held = heldOutSet(getTask('multiplication'), 1, 30, 2);
  const keys = new Set(held.map(problemKey));
  const drawn = new TrainingSampler(getTask('arithmetic'), 2, held).sampleMany(1, 3000);
  assert.ok(drawn.every((q) => !keys.has(problemKey(q))));
  assert.ok(new TrainingSampler(getTask('arithmetic'), 2).sampleMany(1, 3000).some((q) => keys.has(problemKey(q))), 'the stream does hit them unguarded');
});

test('a problem file splits by content: deterministic, order-free, copies together, both sides non-empty', () => {
  const problems = Array.from({ length: 50 }, (_, i) => ({ question: `Question ${i}?`, answer: `${i}`, task: 'jsonl' }));
  const withCopy = [...problems, { ...problems[7]!, question: ' question 7? ', task: 'other' }];
  const a = splitProblems(withCopy);
  assert.equal(new Set(a.heldOut.map(problemKey)).size, 10); // ceil(0.2 x 50 distinct)
  assert.equal(a.train.length + a.heldOut.length, 51);
  const heldKeys = new Set(a.heldOut.map(problemKey));
  assert.ok(a.train.every((p) => !heldKeys.has(problemKey(p))));
  const copies = withCopy.filter((p) => problemKey(p) === problemKey(problems[7]!));
  assert.ok(copies.every((p) => heldKeys.has(problemKey(p))) || copies.every((p) => !heldKeys.has(problemKey(p))));
  const b = splitProblems([...withCopy].reverse());
  assert.deepEqual(new Set(b.heldOut.map(problemKey)), heldKeys);
  assert.deepEqual(splitProblems(problems.slice(0, 2)).heldOut.length, 1);
  assert.deepEqual(splitProblems(problems.slice(0, 1)).heldOut.length, 0);
  assert.throws(() => splitProblems(problems, 1), /fraction/);
});

test('samples for a person never come from an excluded (evaluation) set', () => {
  const t = getTask('addition');
  const held = heldOutSet(t, 1, 60, 1);
  const keys = new Set(held.map(problemKey));
  const s = sampleSet(t, 1, 40, 1, held);
  assert.equal(new Set(s.map(problemKey)).size, 40);
  assert.ok(s.every((p) => !keys.has(problemKey(p))));
  assert.throws(() => sampleSet(t, 1, 41, 1, held), /distinct problems/);
});

test('a fixed problem list works as a task: held out and training are disjoint', () => {
  const problems = Array.from({ length: 30 }, (_, i) => ({ question: `q${i}`, answer: `${i}`, task: 'jsonl' }));
  const t = problemsTask('mine.jsonl', problems);
  const held = heldOutSet(t, 1, 10, 3);
  const keys = new Set(held.map(problemKey));
  const train = new TrainingSampler(t, 3, held).sampleMany(1, 500);
  assert.ok(train.every((p) => !keys.has(problemKey(p))));
  assert.equal(new Set(train.map(problemKey)).size, 20);
});
