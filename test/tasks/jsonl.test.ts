import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PonderError } from '../../src/errors.ts';
import { heldOutSet } from '../../src/tasks/heldout.ts';
import { loadJsonlProblems, parseJsonlProblems, writeJsonl } from '../../src/tasks/jsonl.ts';
import { getTask, resolveTask, verifyProblem } from '../../src/tasks/registry.ts';

const dir = mkdtempSync(join(tmpdir(), 'ponder-tasks-'));

test('round trip: generated problems written and loaded back unchanged, verifiers still apply', () => {
  const probs = [...heldOutSet(getTask('countdown'), 2, 5, 1), ...heldOutSet(getTask('word'), 3, 5, 1)];
  const path = join(dir, 'mix.jsonl');
  writeJsonl(path, probs);
  const { problems, skipped } = loadJsonlProblems(path);
  assert.deepEqual(skipped, []);
  assert.deepEqual(problems, probs);
  for (const p of problems) assert.ok(verifyProblem(p.answer, p));
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), []); // no temp file left
  assert.equal(readFileSync(path, 'utf8').split('\n').length, 11); // 10 lines + final newline
});

test('bad lines are counted with their line numbers, not thrown', () => {
  const text = [
    '{"question": "What is 2+2?", "answer": "4"}',
    '{"question": "no answer"}',
    'not json',
    '',
    '[1, 2]',
    '{"question": "Capital of France?", "answer": "Paris", "task": "geo"}',
    '{"question": "", "answer": "1"}',
    '{"question": "n", "answer": 1234}',
    '{"question": "t", "answer": "1", "task": 5}',
  ].join('\n');
  const { problems, skipped } = parseJsonlProblems(text);
  assert.deepEqual(problems.map((p) => [p.answer, p.task]), [['4', 'jsonl'], ['Paris', 'geo'], ['1234', 'jsonl']]);
  assert.deepEqual(skipped.map((s) => s.line), [2, 3, 5, 7, 9]);
  assert.match(skipped[0]!.reason, /answer/);
  assert.match(skipped[1]!.reason, /bad JSON/);
});

test('a JSONL file works where a built-in task does, with the default verifier', () => {
  const path = join(dir, 'own.jsonl');
  writeFileSync(path, '{"question": "How many legs has a spider?", "answer": "8"}\n{"question":"Largest ocean?","answer":"the Pacific"}\nbroken\n');
  const { task, skipped } = resolveTask(path);
  assert.deepEqual(skipped.map((s) => s.line), [3]);
  const [a, b] = heldOutSet(task, 1, 2, 1).sort((x, y) => x.answer.localeCompare(y.answer));
  assert.ok(task.verify('It has 8.0 legs', a!));
  assert.ok(!task.verify('It has 6 legs', a!));
  assert.ok(task.verify('Answer: The  Pacific.', b!));
  assert.throws(() => task.solveWithSteps(a!), /no reasoning trace/);
});

test('unreadable or empty files are PonderErrors naming the file', () => {
  assert.throws(() => loadJsonlProblems(join(dir, 'missing.jsonl')), (e: unknown) => e instanceof PonderError && /missing\.jsonl/.test(e.message));
  const empty = join(dir, 'bad.jsonl');
  writeFileSync(empty, 'nope\n');
  assert.throws(() => resolveTask(empty), /bad\.jsonl' has no usable problems .*line 1/);
  assert.throws(() => writeJsonl(join(dir, 'no/such/dir.jsonl'), []), PonderError);
});
