import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCountdown, countdown, extractCountdownExpression, parseCountdownQuestion, solveCountdown } from '../../src/tasks/countdown.ts';
import { Rng } from '../../src/tasks/rng.ts';

// Independent brute force: every value reachable from any sub-multiset with + - * / over exact
// fractions (any intermediate, not only positive integers), as [num, den] strings.
function reachable(nums: number[]): Set<string> {
  const n = nums.length;
  const memo = new Map<number, Map<string, [bigint, bigint]>>();
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
  const mk = (p: bigint, q: bigint): [bigint, bigint] => {
    if (q < 0n) { p = -p; q = -q; }
    const g = gcd(p, q) || 1n;
    return [p / g, q / g];
  };
  const go = (mask: number): Map<string, [bigint, bigint]> => {
    const hit = memo.get(mask);
    if (hit) return hit;
    const out = new Map<string, [bigint, bigint]>();
    const bits = [...Array(n).keys()].filter((i) => mask & (1 << i));
    if (bits.length === 1) out.set(`${nums[bits[0]!]}/1`, [BigInt(nums[bits[0]!]!), 1n]);
    for (let sub = (mask - 1) & mask; sub > 0; sub = (sub - 1) & mask) {
      const rest = mask ^ sub;
      if (sub < rest) continue; // each split once; both orders of - and / are tried below
      for (const [a, b] of go(sub).values()) {
        for (const [c, d] of go(rest).values()) {
          const cands: [bigint, bigint][] = [[a * d + c * b, b * d], [a * d - c * b, b * d], [c * b - a * d, b * d], [a * c, b * d]];
          if (c !== 0n) cands.push([a * d, b * c]);
          if (a !== 0n) cands.push([c * b, d * a]);
          for (const [p, q] of cands) { const r = mk(p, q); out.set(`${r[0]}/${r[1]}`, r); }
        }
      }
    }
    memo.set(mask, out);
    return out;
  };
  const all = new Set<string>();
  for (let mask = 1; mask < 1 << n; mask++) for (const k of go(mask).keys()) all.add(k);
  return all;
}

test('generated instances are solvable (brute force), and the answer uses the given numbers', () => {
  for (let d = 1; d <= 3; d++) {
    const rng = new Rng(11 + d);
    for (let i = 0; i < (d === 3 ? 4 : 15); i++) {
      const p = countdown.generate(rng, d);
      const { numbers, target } = parseCountdownQuestion(p.question);
      assert.equal(numbers.length, d + 2);
      assert.ok(!numbers.includes(target));
      assert.ok(reachable(numbers).has(`${target}/1`), p.question);
      assert.ok(countdown.verify(p.answer, p));
    }
  }
});

test('the brute force and the solver agree on unsolvable and solvable instances', () => {
  assert.equal(solveCountdown([2, 3], 7), null);
  assert.ok(!reachable([2, 3]).has('7/1'));
  assert.equal(solveCountdown([1, 1, 1], 10), null);
  const s = solveCountdown([25, 50, 75, 100, 3, 6], 952)!;
  assert.ok(checkCountdown(s.expr, [25, 50, 75, 100, 3, 6], 952), s.expr);
});

test('verifier: exact rational arithmetic, each number at most once, no eval', () => {
  const nums = [3, 7, 25, 50];
  assert.ok(checkCountdown('25 * 7 - 3', nums, 172));
  assert.ok(checkCountdown('(50 - 25) * 7 + 3', nums, 178));
  assert.ok(checkCountdown('50 \u00f7 25 \u00d7 3', nums, 6));
  assert.ok(checkCountdown('7 / 3 * 3', [7, 3, 3], 7));    // exact: 7/3 * 3 = 7
  assert.ok(!checkCountdown('7 / 3 * 3', nums, 7));        // 3 used twice
  assert.ok(checkCountdown('(7 - 3/3) * 2', [7, 3, 3, 2], 12));
  assert.ok(!checkCountdown('50 + 50', nums, 100));        // reuse
  assert.ok(!checkCountdown('50 + 4', nums, 54));          // 4 not given
  assert.ok(!checkCountdown('25 * 7 - 3', nums, 171));     // wrong value
  assert.ok(!checkCountdown('7 / (3 - 3)', [7, 3, 3], 0)); // division by zero
  assert.ok(!checkCountdown('-3 + 10', [3, 10], 7));       // no unary minus
  assert.ok(!checkCountdown('(3 + 7', nums, 10));
  assert.ok(!checkCountdown('3 + 7)', nums, 10));
  assert.ok(!checkCountdown('3 ** 7', nums, 2187));
  assert.ok(!checkCountdown('process.exit(1)', nums, 1));
  assert.ok(!checkCountdown('', nums, 0));
  assert.ok(!checkCountdown('('.repeat(200) + '3' + ')'.repeat(200), nums, 3)); // too deep
});

test('answer extraction for Countdown', () => {
  const p = countdown.generate(new Rng(2), 2);
  assert.ok(countdown.verify(`Some words.\nAnswer: ${p.answer} = ${parseCountdownQuestion(p.question).target}.`, p));
  assert.ok(countdown.verify(`\\boxed{${p.answer}}`, p));
  assert.equal(extractCountdownExpression('first try 1+2\n`(3 + 4) * 5`.'), '(3 + 4) * 5');
  assert.equal(extractCountdownExpression('Answer: 25 * 3 + 96 = 171'), '25 * 3 + 96');
  assert.throws(() => countdown.verify('1', { question: 'Make 10 from 1 2 3', answer: '', task: 'countdown' }), /cannot read the question/);
});

test('trace: each step is true integer arithmetic and the last line is the answer', () => {
  const rng = new Rng(4);
  for (let d = 1; d <= 4; d++) {
    for (let i = 0; i < 5; i++) {
      const p = countdown.generate(rng, d);
      const lines = countdown.solveWithSteps(p).split('\n');
      assert.equal(lines[lines.length - 1], p.answer);
      for (const line of lines.slice(0, -1)) {
        const m = /^(\d+)([-+*/])(\d+)=(\d+)$/.exec(line)!;
        assert.ok(m, line);
        const [a, b, c] = [Number(m[1]), Number(m[3]), Number(m[4])];
        assert.equal({ '+': a + b, '-': a - b, '*': a * b, '/': a / b }[m[2] as '+'], c, line);
      }
    }
  }
});

test('answer extraction keeps the trailing expression after words', () => {
  assert.equal(extractCountdownExpression('The expression is 25 * 3 + 96'), '25 * 3 + 96');
  assert.equal(extractCountdownExpression('So: (3 + 4) \u00d7 5 = 35'), '(3 + 4) \u00d7 5');
  assert.ok(!checkCountdown(extractCountdownExpression('I give up'), [3, 4], 7));
});
