import assert from 'node:assert/strict';
import { test } from 'node:test';
import { columnTrace, shapeProblem, type Shape } from '../../src/tasks/columns.ts';
import { getTask } from '../../src/tasks/registry.ts';
import { Rng } from '../../src/tasks/rng.ts';
import { stepArithmeticHolds } from '../../src/pipeline/arithmetic-analysis.ts';

const STEP = /^(\S+) (?:(\S+) )?(1?\d)[-+*](\d)[-+](\d)=(\d+) (\d+)$/;
const shapes: Shape[] = [
  { op: '*', a: 1, b: 1 }, { op: '*', a: 3, b: 2 }, { op: '*', a: 4, b: 3 }, { op: '*', a: 6, b: 3 },
  { op: '+', a: 7, b: 7 }, { op: '+', a: 2, b: 6 }, { op: '-', a: 5, b: 5 }, { op: '-', a: 2, b: 7 },
];

/**
 * Every step is local: its own arithmetic holds, it uses the last digit of each rest, its rests
 * are the rests above minus one digit, and its RUN is its units digit before the RUN above.
 */
function checkLocal(trace: string): number {
  const lines = trace.split('\n');
  let prev: RegExpExecArray | null = null, steps = 0;
  for (const line of lines) {
    const m = STEP.exec(line);
    if (!m) { prev = null; continue; }
    assert.equal(stepArithmeticHolds(line), true, line);
    const [restA, restB] = [m[1]!, m[2]];
    const top = Number(m[3]) % 10;
    assert.equal(restA === '_' ? 0 : Number(restA.at(-1)), top, `last digit of rest: ${line}`);
    if (restB !== undefined) assert.equal(restB === '_' ? 0 : Number(restB.at(-1)), Number(m[4]), line);
    const unit = m[6]!.at(-1)!;
    if (prev) {
      const drop = (r: string) => (r.length <= 1 ? '_' : r.slice(0, -1));
      assert.equal(restA, drop(prev[1]!), `rest copies the line above minus one digit: ${line}`);
      if (restB !== undefined) assert.equal(restB, drop(prev[2]!), line);
      assert.equal(m[7], unit + prev[7], `run: ${line}`);
    } else assert.equal(m[7], unit, line);
    prev = m;
    steps++;
  }
  return steps;
}

test('column traces: the answer is the exact result, every step is local, result lines collect the steps', () => {
  const rng = new Rng(5);
  for (const s of shapes) {
    for (let i = 0; i < 60; i++) {
      const p = shapeProblem(rng, s, 'x');
      const [, a, op, b] = /^What is (\d+) ([-+*]) (\d+)\?$/.exec(p.question)!;
      const A = BigInt(a!), B = BigInt(b!);
      const want = op === '+' ? A + B : op === '-' ? A - B : A * B; // BigInt, independent of the digit algorithm
      const trace = columnTrace(A, op as '+' | '-' | '*', B);
      const lines = trace.split('\n');
      assert.equal(lines.at(-1), want.toString());
      assert.equal(p.answer, want.toString());
      const steps = checkLocal(trace);
      // Only a zero factor skips the steps; elsewhere a trace whose lines STEP misses checks nothing.
      if (A !== 0n && B !== 0n) assert.ok(steps > 0, `no step lines matched: ${trace}`);
      // A result line repeats the RUN of the step above it.
      lines.forEach((l, k) => { if (l.startsWith('=')) assert.equal(l.slice(1), STEP.exec(lines[k - 1]!)![7], trace); });
    }
  }
});

test('a longer multiplicand is only more lines of the kinds a shorter one has', () => {
  const kinds = (t: string) => new Set(t.split('\n').slice(1, -1).map((l) => (STEP.test(l) ? `step${l.split(' ').length}` : l.startsWith('=') ? 'result' : /^\d+\*\d+$/.test(l) ? 'row' : /^\d+\+\d+$/.test(l) ? 'sum' : l)));
  const short = kinds(columnTrace(347n, '*', 586n)), long = kinds(columnTrace(48213n, '*', 586n));
  assert.deepEqual([...long].sort(), [...short].sort());
  assert.equal(columnTrace(347n, '*', 58n).split('\n').slice(0, 4).join('|'), '347*58|347*8|347 7*8+0=56 6|34 4*8+5=37 76');
});

test('the column tasks are registered, deterministic, and verify their own answers', () => {
  for (const name of ['column-addition', 'column-subtraction', 'column-multiplication']) {
    const t = getTask(name);
    const a = t.generate(new Rng(3), 4), b = t.generate(new Rng(3), 4);
    assert.deepEqual(a, b);
    assert.equal(t.solveWithSteps(a).split('\n').at(-1), a.answer);
    assert.ok(t.verify(a.answer, a) && !t.verify(`${a.answer}1`, a));
  }
  // Zero factors and borrows through zeros.
  assert.equal(columnTrace(0n, '*', 58n).split('\n').at(-1), '0');
  assert.equal(columnTrace(1000n, '-', 999n).split('\n').at(-1), '1');
  assert.equal(columnTrace(47n, '*', 30n).split('\n').at(-1), '1410');
});
