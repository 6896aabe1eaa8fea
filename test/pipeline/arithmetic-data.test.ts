import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CI_PLAN, CI_PLAN_6X1, DEFAULT_PLAN, HELD_VALUES, PRETRAIN_SHAPES, RL_SHAPE, UNSEEN_SHAPES, assertClean, cleanShapesTask, heldOutSets,
  longestTrainedOperand, mentionedHeldValue, traceOf, trainingProblems, unseenKind,
} from '../../src/pipeline/arithmetic-data.ts';
import { problemKey } from '../../src/tasks/heldout.ts';
import { ARITHMETIC_TOKENIZERS, arithmeticTokenizer, assertDigitsAlone, runArithmeticSpeedrun, type ArithmeticTokenizer } from '../../src/pipeline/arithmetic.ts';
import { documentTexts } from '../../src/data/reasoning.ts';
import { Rng } from '../../src/tasks/rng.ts';
import { MIN_VOCAB } from '../../src/tokenizer/index.ts';

const sets = heldOutSets(40, 1);
const held = Object.values(sets).flat();

test('unseen shapes have a multiplicand longer than any trained product', () => {
  const trainedMax = Math.max(...[...PRETRAIN_SHAPES, RL_SHAPE].filter((s) => s.op === '*').map((s) => s.a));
  assert.ok(UNSEEN_SHAPES.every((s) => s.op === '*' && s.a > trainedMax));
  for (const s of UNSEEN_SHAPES) {
    const name = `${s.a}x${s.b}`;
    assert.equal(sets[name]!.length, 40);
    assert.ok(sets[name]!.every((p) => /^What is (\d+) \* (\d+)\?$/.exec(p.question)![1]!.length === s.a));
  }
});

test('training problems and every line of their traces avoid the held-out sets and the held values', () => {
  const train = trainingProblems(PRETRAIN_SHAPES, 4000, 1, held);
  assertClean(train, held);
  const keys = new Set(held.map(problemKey));
  for (const p of train) {
    assert.ok(!keys.has(problemKey(p)));
    for (const line of `${p.question}\n${traceOf(p)}`.split('\n')) {
      for (const m of line.matchAll(/\d+/g)) {
        const held = HELD_VALUES.flatMap((v) => [v.toString(), v.toString().split('').reverse().join('')]);
        assert.ok(!held.includes(m[0]), `held value (or its digits reversed) in "${line}"`);
      }
    }
  }
  // The RL task draws clean problems too.
  const rl = cleanShapesTask('rl', [RL_SHAPE], held);
  const rng = new Rng(2);
  const drawn = Array.from({ length: 300 }, () => rl.generate(rng, 1));
  assertClean(drawn, held);
  assert.ok(drawn.every((p) => /^What is \d{3} \* \d{3}\?$/.test(p.question)));
});

test('the held-value set uses only held multiplicands, and the checks fire on a leak', () => {
  const hv = sets['3x2 held values']!;
  assert.equal(hv.length, 40);
  assert.ok(hv.every((p) => HELD_VALUES.includes(BigInt(/^What is (\d+)/.exec(p.question)![1]!))));
  assert.equal(mentionedHeldValue('347 7*8+0=56 6'), null);
  assert.equal(mentionedHeldValue(`What is ${HELD_VALUES[0]} * 12?`), HELD_VALUES[0]!.toString());
  // 117 reversed is 711: counted too, to be safe; a rest "11" of 117 is not the value.
  assert.equal(mentionedHeldValue('711 1*5+0=5 5'), '711');
  assert.equal(mentionedHeldValue('11 1*5+3=8 85'), null);
  assert.throws(() => assertClean([hv[0]!], []), /held value/);
  assert.throws(() => assertClean([sets['4x3']![0]!], held), /held-out problem/);
  // Without the filter, random training draws do hit held values (so the check is not vacuous).
  const open = trainingProblems(PRETRAIN_SHAPES, 3000, 1, []);
  assert.ok(open.length === 3000);
  const rng = new Rng(9);
  let hits = 0;
  for (let i = 0; i < 3000; i++) if (mentionedHeldValue(`${100 + rng.int(0, 899)}`) !== null) hits++;
  assert.ok(hits > 0);
});

test('never-trained shapes are checked in code: the CI plan\'s are longer than any training operand, sums and RL included', () => {
  // RL trains 8x1, so 9x1 and 10x1 are never trained; 7x1 is in no training problem but no longer than RL's.
  assert.equal(longestTrainedOperand(CI_PLAN), 8);
  assert.equal(longestTrainedOperand(CI_PLAN_6X1), 6);
  for (const plan of [CI_PLAN, CI_PLAN_6X1]) for (const s of plan.unseen) assert.equal(unseenKind(plan, s), 'longer than any training operand');
  assert.throws(() => unseenKind(CI_PLAN, CI_PLAN.between![0]!), /no longer than a trained shape/);
  assert.throws(() => heldOutSets(5, 1, { ...CI_PLAN, between: [{ op: '*', a: 6, b: 1 }] }), /'between' shape 6x1 is trained/);
  // The full plan trains 7-digit sums, so its 4-digit multiplicands are unseen only as products (said so in its report).
  for (const s of UNSEEN_SHAPES) assert.equal(unseenKind(DEFAULT_PLAN, s), 'longer multiplicand than any trained product');
  const bad = { ...CI_PLAN, unseen: [{ op: '*' as const, a: 6, b: 1 }] };
  assert.throws(() => unseenKind(bad, bad.unseen[0]!), /no longer than a trained shape/);
  assert.throws(() => heldOutSets(5, 1, bad), /6x1/);
});

test('both preset tokenizers write every digit as its own token, so a longer number is only more of the same tokens', () => {
  const train = trainingProblems(CI_PLAN.pretrain, 800, 1, []);
  const task = cleanShapesTask('column-arithmetic', CI_PLAN.pretrain, []);
  for (const kind of ARITHMETIC_TOKENIZERS) {
    const tok = arithmeticTokenizer(kind, 300, documentTexts(task, train));
    assertDigitsAlone(tok);
    const ids = tok.encode('What is 61917283 * 3?');
    const digits = ids.map((i) => tok.decode([i])).filter((s) => /\d/.test(s));
    assert.deepEqual(digits, [...'619172833'], kind);
  }
});

test("the 'chars' tokenizer is one token per character; 'bpe' merges; a wrong kind is one clear error", () => {
  const train = trainingProblems(CI_PLAN.pretrain, 800, 1, []);
  const task = cleanShapesTask('column-arithmetic', CI_PLAN.pretrain, []);
  const texts = documentTexts(task, train);
  const chars = arithmeticTokenizer('chars', 300, texts), bpe = arithmeticTokenizer('bpe', 300, texts);
  const trace = traceOf({ question: 'What is 75339238 * 6?', answer: '452035428', task: 'column-multiplication' });
  const ids = chars.encode(trace);
  // ASCII text: the character count is the independent reference.
  assert.equal(ids.length, trace.length);
  assert.equal(chars.decode(ids), trace);
  assert.ok(ids.every((i, k) => chars.decode([i]) === trace[k]));
  assert.equal(chars.vocabSize, MIN_VOCAB);
  assert.ok(bpe.vocabSize > MIN_VOCAB);
  assert.ok(bpe.encode(texts[0]!).length < chars.encode(texts[0]!).length, 'BPE merges some non-digit pieces (the question\'s words)');
  assert.throws(() => arithmeticTokenizer('words' as ArithmeticTokenizer, 300, texts), /tokenizer must be one of chars, bpe, places, got 'words'/);
  assert.throws(() => runArithmeticSpeedrun('arithmetic-ci', 'unused', 1, 'words'), /--tokenizer must be one of chars, bpe, places, got 'words'/);
});
