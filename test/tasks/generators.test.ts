// Generators: deterministic per seed, answers checked by an independent computation, difficulty
// changes sizes, verifiers accept right and reject wrong answers, traces end with the answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/tasks/rng.ts';
import { getTask, taskNames } from '../../src/tasks/registry.ts';
import type { Problem, Task } from '../../src/tasks/types.ts';

function sample(task: Task, difficulty: number, n: number, seed = 1): Problem[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => task.generate(rng, difficulty));
}
const lastLine = (s: string) => s.split('\n').pop()!;

test('every task: deterministic per seed, difficulty checked, verifier accepts its own answer', () => {
  for (const name of taskNames()) {
    const t = getTask(name);
    for (let d = t.difficulty.min; d <= Math.min(t.difficulty.max, 6); d++) {
      const a = sample(t, d, 20, 5), b = sample(t, d, 20, 5);
      assert.deepEqual(a, b, `${name} d=${d}`);
      assert.notDeepEqual(a, sample(t, d, 20, 6), `${name} d=${d} seed`);
      for (const p of a) {
        assert.equal(p.task, name);
        assert.ok(t.verify(p.answer, p), `${name}: own answer rejected: ${JSON.stringify(p)}`);
        assert.ok(t.verify(`<reasoning> Answer: ${p.answer}`, p));
        assert.ok(!t.verify('', p));
      }
    }
    assert.throws(() => t.generate(new Rng(1), t.difficulty.max + 1), /difficulty must be an integer/);
    assert.throws(() => t.generate(new Rng(1), 1.5), /difficulty/);
  }
});

test('arithmetic: answers by BigInt from the question text; digits follow difficulty; wrong answers rejected', () => {
  const t = getTask('arithmetic');
  const ops = new Set<string>();
  for (const d of [1, 2, 5, 12, 30]) {
    for (const p of sample(t, d, 30)) {
      const m = /^What is (\d+) ([-+*]) (\d+)\?$/.exec(p.question)!;
      assert.ok(m, p.question);
      assert.equal(m[1]!.length, d); assert.equal(m[3]!.length, d);
      const a = BigInt(m[1]!), b = BigInt(m[3]!);
      ops.add(m[2]!);
      const want = m[2] === '+' ? a + b : m[2] === '-' ? a - b : a * b;
      assert.equal(p.answer, want.toString());
      assert.ok(t.verify(`The result is ${want}.`, p));
      assert.ok(!t.verify(`The result is ${want + 1n}.`, p));
      assert.ok(t.verify(want.toLocaleString('en-US'), p)); // thousands commas
      const trace = t.solveWithSteps(p);
      assert.equal(lastLine(trace), p.answer);
      // every "x*y=z" and "x+y=z" line in a multiplication trace is true arithmetic
      if (m[2] === '*') {
        for (const line of trace.split('\n').slice(0, -1)) {
          const e = /^(\d+)([*+])(\d+)=(\d+)$/.exec(line);
          if (!e) continue;
          const [x, y, z] = [BigInt(e[1]!), BigInt(e[3]!), BigInt(e[4]!)];
          assert.equal(e[2] === '*' ? x * y : x + y, z, line);
        }
      } else if (a >= b || m[2] === '+') {
        // the column digits, reversed, are the answer's digits
        const rev = /digits reversed: (\d+)/.exec(trace)![1]!;
        assert.equal(BigInt(rev.split('').reverse().join('')), m[2] === '+' ? want : want);
      }
    }
  }
  assert.deepEqual([...ops].sort(), ['*', '+', '-']);
  for (const [name, op] of [['addition', '+'], ['subtraction', '-'], ['multiplication', '*']] as const) {
    for (const p of sample(getTask(name), 3, 10)) assert.ok(p.question.includes(` ${op} `));
  }
});

test('arithmetic trace is short at small difficulty (tens of tokens)', () => {
  for (const p of sample(getTask('arithmetic'), 3, 20)) {
    const tokensApprox = getTask('arithmetic').solveWithSteps(p).split(/[\s,=*+-]+/).length;
    assert.ok(tokensApprox < 40, `${tokensApprox}`);
  }
});

// Independent linear check: evaluate each side at x with a test-local evaluator (unary minus,
// implicit multiplication) and check both sides agree only at the stated answer.
function evalSide(s: string, x: number): number {
  const src = s.replace(/\s+/g, '').replace(/(\d)x/g, '$1*x').replace(/(\d)\(/g, '$1*(').replace(/-\(/g, '-1*(');
  let i = 0;
  const atom = (): number => {
    if (src[i] === '-') { i++; return -atom(); }
    if (src[i] === '(') { i++; const v = sum(); i++; return v; }
    if (src[i] === 'x') { i++; return x; }
    const m = /^\d+/.exec(src.slice(i))!; i += m[0].length; return Number(m[0]);
  };
  const prod = (): number => { let v = atom(); while (src[i] === '*') { i++; v *= atom(); } return v; };
  const sum = (): number => {
    let v = prod();
    while (src[i] === '+' || src[i] === '-') { const op = src[i++]; const r = prod(); v = op === '+' ? v + r : v - r; }
    return v;
  };
  const v = sum();
  assert.equal(i, src.length, `unparsed: ${s}`);
  return v;
}

test('linear: the answer satisfies the equation, uniquely; levels change the form', () => {
  const t = getTask('linear');
  const forms = [/^\d+x [-+] \d+ = -?\d+$/, /^\d+x( [-+] \d+)? = -?\d*x( [-+] \d+)?$/, /^\d+\(x [-+] \d+\) = /, /^\d+\(x [-+] \d+\)( [-+] \d+)? = \d+\(x/];
  for (let d = 1; d <= 4; d++) {
    for (const p of sample(t, d, 40)) {
      const [l, r] = /^Solve for x: (.+)\.$/.exec(p.question)![1]!.split(' = ');
      assert.match(`${l} = ${r}`, forms[d - 1]!, p.question);
      const x = Number(p.answer);
      assert.ok(Number.isInteger(x));
      assert.equal(evalSide(l!, x), evalSide(r!, x), p.question);
      assert.notEqual(evalSide(l!, x + 1), evalSide(r!, x + 1), `not unique: ${p.question}`);
      assert.ok(t.verify(`x = ${x}`, p));
      assert.ok(!t.verify(`x = ${x + 1}`, p));
      const trace = t.solveWithSteps(p);
      assert.equal(lastLine(trace), p.answer);
      assert.ok(trace.split('\n').length <= 6);
    }
  }
  assert.equal(t.solveWithSteps({ question: 'Solve for x: 3x + 7 = 22.', answer: '5', task: 'linear' }),
    '3x = 22 - 7\n3x = 15\nx = 15 / 3\n5');
  assert.equal(t.solveWithSteps({ question: 'Solve for x: 2(x - 3) = 4x + 2.', answer: '-4', task: 'linear' }),
    '2x - 6 = 4x + 2\n2x - 4x = 2 + 6\n-2x = 8\nx = 8 / -2\n-4');
  assert.throws(() => t.solveWithSteps({ question: 'Solve x please', answer: '1', task: 'linear' }), /cannot read the question/);
});

// Independent word-problem check: hand-written regexes per sentence kind.
function simulateWord(q: string): number {
  const sentences = q.split(/(?<=[.?])\s+/);
  let v = Number(/has (\d+) /.exec(sentences[0]!)![1]);
  for (const s of sentences.slice(1, -1)) {
    let m: RegExpExecArray | null;
    if ((m = /(\d+) (?:packs|boxes) .* (\d+) \w+ in each/.exec(s))) v += Number(m[1]) * Number(m[2]);
    else if ((m = /(?:finds|buys) (\d+) more|gives [A-Z][a-z]+ (\d+) /.exec(s))) v += Number(m[1] ?? m[2]);
    else if ((m = /(?:gives|loses|sells) (\d+) /.exec(s))) v -= Number(m[1]);
    else if ((m = /with (\d+) times as many/.exec(s))) v *= Number(m[1]);
    else if ((m = /into (\d+) equal groups/.exec(s))) v /= Number(m[1]);
    else if (/shares .* equally with/.test(s)) v /= 2;
    else assert.fail(`unknown sentence: ${s}`);
    assert.ok(Number.isInteger(v) && v >= 0, `${s} -> ${v}`);
  }
  return v;
}

test('word: answers by independent simulation; difficulty = number of steps', () => {
  const t = getTask('word');
  for (let d = 1; d <= 8; d++) {
    for (const p of sample(t, d, 40)) {
      assert.equal(p.question.split(/(?<=[.?])\s+/).length, d + 2, p.question);
      assert.equal(String(simulateWord(p.question)), p.answer, p.question);
      assert.ok(t.verify(`So the total is ${p.answer} ${'apples'}.`, p));
      assert.ok(!t.verify(`${Number(p.answer) + 1}`, p));
      const trace = t.solveWithSteps(p).split('\n');
      assert.equal(trace.length, d + 2);
      assert.equal(trace[trace.length - 1], p.answer);
    }
  }
});
