import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultVerify, extractFinalAnswer, extractLastNumber, normaliseText, parseNumber } from '../../src/tasks/answer.ts';

const num = (s: string) => extractLastNumber(s)?.toString() ?? null;

test('extractFinalAnswer: last \\boxed{} (balanced), else after the last "Answer:", else all', () => {
  assert.equal(extractFinalAnswer('so \\boxed{3} no wait \\boxed{\\frac{1}{2}} done'), '\\frac{1}{2}');
  assert.equal(extractFinalAnswer('Answer: 12\nanswer:  13 '), '13');
  assert.equal(extractFinalAnswer('  just 7  '), 'just 7');
  assert.equal(extractFinalAnswer('\\boxed{unclosed Answer: 4'), '4');
});

test('extractLastNumber reads signs, thousands commas, decimals and fractions exactly', () => {
  assert.equal(num('x = -5'), '-5');
  assert.equal(num('x = \u22125'), '-5');
  assert.equal(num('10-5'), '5');             // a minus glued to a digit is subtraction
  assert.equal(num('total 1,234.'), '1234');
  assert.equal(num('1234.0'), '1234');
  assert.equal(num('it is 3/4'), '3/4');
  assert.equal(num('2.50'), '5/2');
  assert.equal(num('12345678901234567890123'), '12345678901234567890123'); // beyond 2^53
  assert.equal(num('3, 4, 5'), '5');
  assert.equal(num('no digits'), null);
  assert.equal(parseNumber('1,23'), null);
  assert.equal(parseNumber('4/0'), null);
});

test('normaliseText: trim, case-fold, collapse whitespace, strip trailing period', () => {
  assert.equal(normaliseText('  The   Eiffel\nTower. '), 'the eiffel tower');
});

test('defaultVerify: numbers as numbers, otherwise normalised exact match', () => {
  const p = (answer: string) => ({ question: 'q', answer, task: 'jsonl' });
  assert.ok(defaultVerify('The answer is 1,234.', p('1234')));
  assert.ok(defaultVerify('1234.0', p('1,234')));
  assert.ok(defaultVerify('x = -5', p('-5')));
  assert.ok(defaultVerify('I think 7... Answer: \\boxed{42}', p('42')));
  assert.ok(!defaultVerify('42 or maybe 41', p('42')));  // the last number counts
  assert.ok(!defaultVerify('5', p('-5')));
  assert.ok(!defaultVerify('', p('0')));
  assert.ok(defaultVerify('  paris. ', p('Paris')));
  assert.ok(!defaultVerify('I think Paris', p('Paris')));
  assert.ok(defaultVerify('Answer: Blue  whale', p('blue whale')));
});
