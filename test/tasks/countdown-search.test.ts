import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countdownSearch, countdownSearchDefault, searchSolves } from '../../src/tasks/countdown-search.ts';
import { checkCountdown, parseCountdownQuestion } from '../../src/tasks/countdown.ts';
import { evaluateExpression } from '../../src/tasks/expression.ts';
import { Rng } from '../../src/tasks/rng.ts';

const LINE = /^\[([\d, ]+)\] (\d+)([-+*/])(\d+)=(\d+) (yes|no|-> \[([\d, ]+)\])$/;
const list = (s: string) => s.split(', ').map(Number).sort((a, b) => a - b);

test('search traces: every try is true arithmetic on numbers in play, states follow, a "yes" ends with a verified answer', () => {
  const rng = new Rng(4);
  let solved = 0, gaveUp = 0;
  for (const d of [1, 2]) {
    for (let i = 0; i < 100; i++) {
      const p = countdownSearchDefault.generate(rng, d);
      const { numbers, target } = parseCountdownQuestion(p.question);
      const lines = countdownSearchDefault.solveWithSteps(p).split('\n');
      const answer = lines.pop()!;
      const states = new Set([list(numbers.join(', ')).join(',')]);
      for (const l of lines) {
        if (l === 'give up') continue;
        const m = LINE.exec(l);
        assert.ok(m, `line shape: ${l}`);
        const inPlay = list(m[1]!);
        assert.ok(states.has(inPlay.join(',')), `state was reached before: ${l}`);
        const [x, op, y, v] = [Number(m[2]), m[3]!, Number(m[4]), Number(m[5])];
        assert.equal(evaluateExpression(`${x} ${op} ${y}`)!.value!.eq(evaluateExpression(String(v))!.value!), true, l);
        const left = [...inPlay];
        for (const u of [x, y]) { const k = left.indexOf(u); assert.ok(k >= 0, `uses numbers in play: ${l}`); left.splice(k, 1); }
        if (m[7]) { assert.deepEqual(list(m[7]), [...left, v].sort((a, b) => a - b)); states.add(list(m[7]).join(',')); }
        if (m[6] === 'yes') assert.equal(v, target);
      }
      if (answer === 'none') { gaveUp++; assert.equal(lines.at(-1), 'give up'); assert.equal(searchSolves(p), false); } else {
        solved++;
        assert.ok(checkCountdown(answer, numbers, target), `${answer} = ${target}`);
        assert.match(lines.at(-1)!, / yes$/);
        assert.equal(searchSolves(p), true);
      }
      assert.ok(lines.length <= 17);
    }
  }
  assert.ok(solved > 50 && gaveUp > 10, `${solved} solved, ${gaveUp} gave up`);
});

test('the search order is seeded: same seed, same trace; the budget bounds it', () => {
  const a = countdownSearch([6, 12, 10, 9], 84, 7, 40), b = countdownSearch([6, 12, 10, 9], 84, 7, 40);
  assert.deepEqual(a, b);
  assert.ok(countdownSearch([6, 12, 10, 9], 84, 7, 3).lines.length <= 4);
  assert.equal(countdownSearch([2, 3], 7, 1, 20).solution, null);
});
