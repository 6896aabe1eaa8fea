import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { heldOutSet } from '../../src/tasks/heldout.ts';
import { getTask } from '../../src/tasks/registry.ts';

const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'tasks', ...args], { encoding: 'utf8' });

test('ponder tasks sample prints the held-out set as JSONL, with traces on request', () => {
  const r = run('sample', '--task', 'linear', '--difficulty', '3', '--n', '4', '--seed', '9', '--trace');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const want = heldOutSet(getTask('linear'), 3, 4, 9);
  assert.deepEqual(lines.map(({ trace: _t, ...p }) => p), want);
  for (const l of lines) assert.equal(l.trace.split('\n').pop(), l.answer);
});

test('ponder tasks: bad flags are clear errors', () => {
  const r = run('sample', '--task', 'countdown', '--difficulty', '9');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^ponder: task 'countdown': difficulty must be an integer in 1\.\.4, got 9/);
  assert.match(run('sample', '--task', 'word', '--n', 'lots').stderr, /--n must be an integer, got 'lots'/);
  assert.match(execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'tasks', 'list'], { encoding: 'utf8' }), /countdown/);
});
