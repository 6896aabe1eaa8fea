import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HINTS, MAX_DIGITS, PAD, WIDTH, hintStart, hintedProductTrace, hintedTraceOf, isHintedProduct } from '../../src/tasks/hinted-columns.ts';
import { classifyHinted, hintedStepHolds } from '../../src/tasks/hinted-analysis.ts';
import { Rng } from '../../src/tasks/rng.ts';
import { randomDigits } from '../../src/tasks/arithmetic.ts';

const STEP = /^([a-p])(\d)\*(\d)\+(\d)=(\d\d)$/;

/**
 * Reads a trace the way the format promises a model can: every value found by a letter or by a
 * fixed distance, never by counting digits. Returns the answer it reads, or throws naming the
 * broken invariant.
 */
function readByContent(trace: string): string {
  const lines = trace.split('\n');
  const rewrite = lines[0]!;
  const m = /^((?:[a-p]\d)+)\*(\d)$/.exec(rewrite);
  if (!m) throw new Error(`rewrite line ${rewrite}`);
  const pairs = m[1]!.match(/[a-p]\d/g)!;
  const digitOf = new Map(pairs.map((p) => [p[0]!, Number(p[1])]));
  // Letters of the rewrite are a contiguous run of HINTS.
  pairs.forEach((p, i) => { if (i > 0 && HINTS.indexOf(p[0]!) !== HINTS.indexOf(pairs[i - 1]![0]!) + 1) throw new Error(`rewrite letters not contiguous: ${rewrite}`); });
  const d = Number(m[2]);
  const steps: RegExpExecArray[] = [];
  let i = 1;
  for (; STEP.test(lines[i] ?? ''); i++) steps.push(STEP.exec(lines[i]!)!);
  const unitsOf = new Map<string, number>();
  let carry = 0, prev = HINTS.indexOf(pairs[pairs.length - 1]![0]!) + 1;
  for (const [k, s] of steps.entries()) {
    const letter = s[1]!;
    // Each step's letter is the one before the step above; its digit is the rewrite's after that letter.
    assert.equal(HINTS.indexOf(letter), prev - 1, `step letter ${s[0]}`);
    prev = HINTS.indexOf(letter);
    assert.equal(Number(s[2]), digitOf.get(letter) ?? 0, `step digit ${s[0]}`);
    assert.equal(Number(s[3]), d);
    assert.equal(Number(s[4]), carry, `carry of ${s[0]}`);
    assert.equal(hintedStepHolds(s[0]), true);
    // The steps stop exactly at the first letter the rewrite lacks (a content stop).
    assert.equal(digitOf.has(letter), k < steps.length - 1, `stop at ${s[0]}`);
    carry = Number(s[5]![0]);
    unitsOf.set(letter, Number(s[5]![1]));
  }
  const [letters, digits] = [lines[i]!, lines[i + 1]!];
  assert.equal(letters.length, WIDTH);
  assert.equal(digits.length, WIDTH);
  let answer = '';
  for (let c = 0; c < WIDTH; c++) {
    // A digit sits under each letter and a pad under each pad: column c of row 2 needs only column c of row 1.
    if (letters[c] === PAD) { assert.equal(digits[c], PAD); continue; }
    assert.equal(digits[c], String(unitsOf.get(letters[c]!)), `column ${c}`);
    answer += digits[c];
  }
  assert.equal(lines[i + 2], answer);
  assert.equal(lines.length, i + 3);
  return answer;
}

test('hinted traces of products up to MAX_DIGITS digits read, by content alone, the exact product', () => {
  const rng = new Rng(7);
  for (let k = 0; k < 600; k++) {
    const digits = 1 + (k % MAX_DIGITS);
    const a = randomDigits(rng, digits), d = BigInt(rng.int(1, 9));
    if (a === 0n) continue;
    const q = `What is ${a} * ${d}?`;
    const trace = hintedTraceOf(q);
    assert.equal(readByContent(trace), (a * d).toString(), q);
    // No line before the answer rows holds a run of more than two digits: nothing is copied as a whole number.
    for (const line of trace.split('\n').slice(0, -3)) assert.ok(!/\d{3}/.test(line), `${q}: ${line}`);
  }
});

test('the letters row starts at the carry letter exactly when the carry is not 0', () => {
  const withCarry = hintedProductTrace(75339238n, 6n, 1).split('\n');
  assert.equal(withCarry[withCarry.length - 3], 'abcdefghi.......');
  const noCarry = hintedProductTrace(12n, 3n, 4).split('\n');
  assert.deepEqual(noCarry, ['e1f2*3', 'f2*3+0=06', 'e1*3+0=03', 'd0*3+0=00', 'ef..............', '36..............', '36']);
});

test('a zero factor ends after the rewrite', () => {
  assert.deepEqual(hintedProductTrace(4071n, 0n, 2).split('\n'), ['c4d0e7f1*0', 'a factor is 0', '0']);
  assert.deepEqual(hintedProductTrace(0n, 8n, 1).split('\n'), ['b0*8', 'a factor is 0', '0']);
});

test('hint starts fit, favour b, and over operands of at most 6 digits use every letter and letter pair', () => {
  const rng = new Rng(3);
  const letters = new Set<string>(), pairs = new Set<string>(), ends = new Set<string>();
  let atB = 0;
  const N = 3000;
  for (let k = 0; k < N; k++) {
    const digits = rng.int(1, 6), a = randomDigits(rng, digits);
    const q = `What is ${a} * ${rng.int(1, 9)}?`;
    const s = hintStart(q, a.toString().length);
    assert.equal(hintStart(q, a.toString().length), s, 'deterministic');
    assert.ok(s >= 1 && s + a.toString().length <= WIDTH);
    if (s === 1) atB++;
    const rewrite = hintedTraceOf(q).split('\n')[0]!.replace(/[\d*]/g, '');
    for (let i = 0; i < rewrite.length; i++) { letters.add(rewrite[i]!); if (i > 0) pairs.add(rewrite.slice(i - 1, i + 1)); }
    ends.add(rewrite[rewrite.length - 1]!);
  }
  assert.equal(letters.size, WIDTH - 1, 'every letter but a (the carry) hints a digit');
  assert.equal(pairs.size, WIDTH - 2, 'every adjacent pair from b');
  assert.equal(ends.size, WIDTH - 1, 'the rewrite ends at every letter, so no letter means "stop"');
  // b is the most common start by far, so a greedy model starts long operands where they fit.
  assert.ok(atB / N > 0.3, `start b in ${atB} of ${N}`);
});

test('bad input is one clear error', () => {
  assert.throws(() => hintedProductTrace(123n, 12n, 1), /not a multiplicand times one digit/);
  assert.throws(() => hintedProductTrace(123n, 4n, 14), /does not fit 3 digits/);
  assert.throws(() => hintedProductTrace(123n, 4n, 0), /does not fit/);
  assert.throws(() => hintStart('q', MAX_DIGITS + 1), /16 hints/);
  assert.throws(() => hintedTraceOf('What is 12 + 3?'), /not a product by one digit/);
  assert.equal(isHintedProduct('What is 12 * 3?'), true);
  assert.equal(isHintedProduct('What is 12 * 34?'), false);
  assert.equal(isHintedProduct('hello'), false);
});

test('classifyHinted names the first wrong line, with the model\'s own start letter', () => {
  const q = 'What is 75339238 * 6?';
  const think = (t: string) => t.split('\n').slice(0, -1).join('\n');
  const right = think(hintedProductTrace(75339238n, 6n, 3));
  assert.equal(classifyHinted(q, right), 'answer');
  assert.equal(classifyHinted(q, right.replace('d7e5f3g3h9i2j3k8*6', 'd7e5f3g3h9i2*6')), 'rewrite stops early');
  assert.equal(classifyHinted(q, right.replace('d7e5f3g3h9i2j3k8*6', 'd7e5f3g3h9i2j4k8*6')), 'rewrite digit');
  assert.equal(classifyHinted(q, right.replace('j3*6+4=22', 'j3*6+4=23')), 'step arithmetic');
  assert.equal(classifyHinted(q, right.replace('j3*6+4=22', 'j2*6+4=16')), 'step lookup');
  assert.equal(classifyHinted(q, 'nonsense'), 'no trace');
});
