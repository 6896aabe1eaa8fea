import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { heldOutSet, problemKey, splitProblems } from '../../src/tasks/heldout.ts';
import { defaultEvalSet } from '../../src/tasks/evalsets.ts';
import { writeJsonl } from '../../src/tasks/jsonl.ts';
import { getTask } from '../../src/tasks/registry.ts';

const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'tasks', ...args], { encoding: 'utf8' });

test('ponder tasks sample never prints the set ponder eval scores by default; traces on request', () => {
  const r = run('sample', '--task', 'linear', '--difficulty', '3', '--n', '40', '--trace');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 40);
  const evalKeys = new Set(defaultEvalSet(getTask('linear'), 3).map(problemKey));
  assert.ok(lines.every((l) => !evalKeys.has(problemKey(l))), 'a sample is in the default eval set');
  // (the old behaviour printed exactly the start of that set)
  assert.ok(heldOutSet(getTask('linear'), 3, 40, 1).every((p) => evalKeys.has(problemKey(p))));
  for (const l of lines) assert.equal(l.trace.split('\n').pop(), l.answer);
  // Another seed also keeps clear of that seed's held-out set.
  const r9 = run('sample', '--task', 'linear', '--difficulty', '3', '--n', '40', '--seed', '9');
  const held9 = new Set(heldOutSet(getTask('linear'), 3, 500, 9).map(problemKey));
  assert.ok(r9.stdout.trim().split('\n').map((l) => JSON.parse(l)).every((l) => !held9.has(problemKey(l)) && !evalKeys.has(problemKey(l))));
});

test('ponder tasks sample on a file prints only its training part', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-sample-'));
  const path = join(dir, 'p.jsonl');
  const problems = Array.from({ length: 30 }, (_, i) => ({ question: `What is ${i} + 1?`, answer: `${i + 1}`, task: 'addition' }));
  writeJsonl(path, problems);
  const r = run('sample', '--task', path, '--n', '100');
  assert.equal(r.status, 0, r.stderr);
  const printed = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const held = new Set(splitProblems(problems).heldOut.map(problemKey));
  assert.equal(printed.length, 30 - held.size);
  assert.ok(printed.every((p) => !held.has(problemKey(p))));
});

test('ponder tasks: bad flags are clear errors', () => {
  const r = run('sample', '--task', 'countdown', '--difficulty', '9');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^ponder: task 'countdown': difficulty must be an integer in 1\.\.4, got 9/);
  assert.match(run('sample', '--task', 'word', '--n', 'lots').stderr, /--n must be an integer, got 'lots'/);
  assert.match(execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'tasks', 'list'], { encoding: 'utf8' }), /countdown/);
});
