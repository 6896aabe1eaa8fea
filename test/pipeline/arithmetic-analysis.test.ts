// Where a column trace goes wrong: the first line that leaves the reference, by kind, on real
// traces from the task's own solver (src/tasks/columns.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyError, stepArithmeticHolds, traceLines } from '../../src/pipeline/arithmetic-analysis.ts';
import { traceOf } from '../../src/pipeline/arithmetic-data.ts';

const problem = { question: 'What is 75339238 * 6?', answer: '452035428', task: 'column-multiplication' };
const reference = traceOf(problem).split('\n').slice(0, -1); // the think block: the trace without its answer line
const edit = (lines: string[], i: number, line: string) => lines.map((l, k) => (k === i ? line : l)).join('\n');

test('a one-row product repeats its header; a trace without the repeat is the same trace', () => {
  assert.equal(reference[0], reference[1], 'the solver writes the header twice');
  const dropped = [reference[0]!, ...reference.slice(2)];
  assert.deepEqual(traceLines(dropped.join('\n')), traceLines(reference.join('\n')));
  assert.equal(classifyError(dropped.join('\n'), reference), 'answer', 'no line differs: only the answer can be wrong');
});

test('the first wrong line is classified by what went wrong in it', () => {
  // reference[3] is "7533923 3*6+4=22 28".
  assert.equal(stepArithmeticHolds(reference[3]!), true);
  assert.equal(classifyError(edit(reference, 3, '7533923 3*6+4=21 18'), reference), 'step arithmetic');
  assert.equal(classifyError(edit(reference, 3, '7533923 8*6+4=52 28'), reference), 'copy', 'right arithmetic on the wrong digit');
  assert.equal(classifyError(edit(reference, 0, '7533923*6'), reference), 'row or sum header');
  assert.equal(classifyError(edit(reference, reference.length - 1, '=452035429'), reference), 'result line');
  assert.equal(classifyError(reference.slice(0, 5).join('\n'), reference), 'stops early');
});
