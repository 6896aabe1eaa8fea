import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALIGNED, TAIL, WINDOW, HINTS, tailRows, MAX_DIGITS, PAD, WIDTH, hintStart, hintedProductTrace, hintedTraceOf, isHintedProduct, type HintLayout } from '../../src/tasks/hinted-columns.ts';
import { classifyHinted, hintedStepHolds } from '../../src/tasks/hinted-analysis.ts';
import { Rng } from '../../src/tasks/rng.ts';
import { randomDigits } from '../../src/tasks/arithmetic.ts';

const STEP = /^([a-p])(\d)\*(\d)\+(\d)=(\d\d)$/;

/**
 * Reads a trace the way the format promises a model can: every value found by a letter or by a
 * fixed distance, never by counting digits. Returns the answer it reads, or throws naming the
 * broken invariant.
 */
function readByContent(trace: string, layout: HintLayout): string {
  const lines = trace.split('\n');
  let pairs: string[], d: number, readLines: number;
  if (layout === 'pairs') {
    const m = /^((?:[a-p]\d)+)\*(\d)$/.exec(lines[0]!);
    if (!m) throw new Error(`reading line ${lines[0]}`);
    pairs = m[1]!.match(/[a-p]\d/g)!;
    d = Number(m[2]);
    readLines = 1;
  } else if (layout === 'tail') {
    const [row, letters, pairLine] = lines as [string, string, string];
    assert.equal(row.length, TAIL);
    assert.equal(letters.length, TAIL);
    // A letter under every digit and a pad under everything else; the pairs line lists each
    // letter, last first, with the digit above it, and ends where the letters row has no letter.
    for (let c = 0; c < TAIL; c++) assert.equal(/\d/.test(row[c]!), letters[c] !== PAD, `column ${c}`);
    const listed = pairLine.match(/[a-p]\d/g)!;
    assert.equal(listed.join(''), pairLine);
    for (const [k, p] of listed.entries()) {
      assert.equal(row[letters.indexOf(p[0]!)], p[1], `pair ${p}`);
      if (k > 0) assert.equal(HINTS.indexOf(p[0]!), HINTS.indexOf(listed[k - 1]![0]!) - 1);
    }
    assert.equal(letters.includes(HINTS[HINTS.indexOf(listed[listed.length - 1]![0]!) - 1]!), false, 'the pairs stop at the first absent letter');
    // The product's own letters: the multiplier's letter (the first pair) is not a step of the multiplicand.
    pairs = listed.slice(1).reverse();
    d = Number(listed[0]![1]);
    assert.equal(row.slice(-3), ` ${d}?`.slice(-3));
    readLines = 3;
  } else if (layout === 'tail-rows') {
    const [row, letters] = lines as [string, string];
    const all: string[] = [];
    for (let c = 0; c < TAIL; c++) {
      assert.equal(/\d/.test(row[c]!), letters[c] !== PAD, `column ${c}`);
      if (letters[c] !== PAD) all.push(letters[c]! + row[c]!);
    }
    pairs = all.slice(0, -1); // the last letter is the multiplier's
    d = Number(all[all.length - 1]![1]);
    readLines = 2;
  } else {
    const width = layout === 'aligned' ? ALIGNED : WINDOW;
    const m = /^(.*)\*(\d)$/.exec(lines[0]!);
    if (!m || m[1]!.length !== width || lines[1]!.length !== width) throw new Error(`reading rows ${lines[0]} / ${lines[1]}`);
    // Column c of the letters row needs only column c of the row above (a pad under anything but
    // a digit) and the letter to its left: the row above is a fixed distance away.
    pairs = [];
    for (let c = 0; c < width; c++) {
      const digit: string = m[1]![c]!, letter: string = lines[1]![c]!;
      assert.equal(!/\d/.test(digit), letter === PAD, `column ${c} of ${lines[0]} / ${lines[1]}`);
      if (letter !== PAD) pairs.push(letter + digit);
    }
    d = Number(m[2]);
    readLines = 2;
  }
  const digitOf = new Map(pairs.map((p) => [p[0]!, Number(p[1])]));
  // Letters of the reading are a contiguous run of HINTS.
  pairs.forEach((p, i) => { if (i > 0 && HINTS.indexOf(p[0]!) !== HINTS.indexOf(pairs[i - 1]![0]!) + 1) throw new Error(`reading letters not contiguous: ${pairs.join('')}`); });
  const steps: RegExpExecArray[] = [];
  let i = readLines;
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

for (const layout of ['tail', 'tail-rows', 'aligned', 'window', 'pairs'] as const) {
  test(`hinted traces (${layout}) read, by letters and fixed distances alone, the exact product`, () => {
    const rng = new Rng(7);
    const longest = layout.startsWith('tail') ? TAIL - 5 : layout === 'aligned' ? ALIGNED : layout === 'window' ? WINDOW : MAX_DIGITS;
    for (let k = 0; k < 600; k++) {
      const digits = 1 + (k % longest);
      const a = randomDigits(rng, digits), d = BigInt(rng.int(1, 9));
      if (a === 0n) continue;
      const q = `What is ${a} * ${d}?`;
      const trace = hintedTraceOf(q, 'test', layout);
      assert.equal(readByContent(trace, layout), (a * d).toString(), q);
      // After the reading, no line holds a run of more than two digits until the answer rows: no
      // step copies a number whose length grows with the operand.
      for (const line of trace.split('\n').slice(layout === 'pairs' ? 0 : layout === 'tail' ? 3 : 2, -3)) assert.ok(!/\d{3}/.test(line), `${q}: ${line}`);
    }
  });
}

for (const [layout, width] of [['tail', TAIL], ['aligned', ALIGNED], ['window', WINDOW]] as const) {
  test(`the ${layout} reading puts each question character it copies a fixed distance before its column, for any length`, () => {
    // Question and template tokens between the multiplicand's last digit and the reading are the
    // same for every product by one digit (" * d?", then the chat tokens), so with the row
    // right-aligned the distance from a character to its copy does not depend on the length.
    const distances = new Set<number>();
    for (const a of ['7', '4821', '75339238', '123456789']) {
      const q = `What is ${a} * 6?`;
      const row = hintedTraceOf(q, 'test', layout).split('\n')[0]!;
      const text = `${q}|${row}`; // '|' stands for the fixed chat tokens
      const lastDigit = q.indexOf(' *') - 1, lastColumn = q.length + 1 + width - 1 - (layout === 'tail' ? 5 : 0);
      const copied = layout === 'aligned' ? a.length : width - (layout === 'tail' ? 5 : 0); // the window copies every character, pads included
      for (let k = 0; k < copied; k++) assert.equal(text[lastColumn - k], text[lastDigit - k], `${q} column ${width - 1 - k}`);
      distances.add(lastColumn - lastDigit);
    }
    assert.equal(distances.size, 1, `one distance for every length: ${[...distances]}`);
  });
}

test('sums and differences share the tail rows; a long sum\'s first operand may start before the row', () => {
  assert.deepEqual(tailRows('What is 123456 + 654321?', 2), ['3456 + 654321?', 'cdef...ghijkl.', 'l1k2j3i4h5g6f6e5d4c3']);
  assert.deepEqual(tailRows('What is 7 - 12?', 1), ['hat is 7 - 12?', '.......b...cd.', 'd2c1b7']);
  assert.throws(() => tailRows('What is 123456 + 654321?', 7), /do not fit 16 hints/);
});

test('readings longer than their rows are one clear error', () => {
  assert.throws(() => hintedProductTrace(1234567890n, 3n, 1, 'tail'), /do not fit a 14-character tail reading/);
  assert.throws(() => hintedProductTrace(12345678901n, 3n, 1, 'aligned'), /do not fit 10 aligned columns/);
  assert.throws(() => hintedProductTrace(1234567890n, 3n, 1, 'window'), /do not fit a 9-character window/);
});

test('the letters row starts at the carry letter exactly when the carry is not 0', () => {
  const withCarry = hintedProductTrace(75339238n, 6n, 1, 'aligned').split('\n');
  assert.deepEqual(withCarry.slice(0, 3), ['..75339238*6', '..bcdefghi', 'i8*6+0=48']);
  assert.equal(withCarry[withCarry.length - 3], 'abcdefghi.......');
  const noCarry = hintedProductTrace(12n, 3n, 4, 'pairs').split('\n');
  assert.deepEqual(noCarry, ['e1f2*3', 'f2*3+0=06', 'e1*3+0=03', 'd0*3+0=00', 'ef..............', '36..............', '36']);
});

test('a zero factor ends after the reading', () => {
  assert.deepEqual(hintedProductTrace(4071n, 0n, 2, 'pairs').split('\n'), ['c4d0e7f1*0', 'a factor is 0', '0']);
  assert.deepEqual(hintedProductTrace(0n, 8n, 1, 'aligned').split('\n'), ['.........0*8', '.........b', 'a factor is 0', '0']);
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
    const rewrite = hintedTraceOf(q, 'test', 'aligned').split('\n')[1]!.replace(/\./g, '');
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
  const pairs = think(hintedProductTrace(75339238n, 6n, 3, 'pairs'));
  assert.equal(classifyHinted(q, pairs, 'pairs'), 'answer');
  assert.equal(classifyHinted(q, pairs.replace('d7e5f3g3h9i2j3k8*6', 'd7e5f3g3h9i2*6'), 'pairs'), 'reading stops early');
  assert.equal(classifyHinted(q, pairs.replace('d7e5f3g3h9i2j3k8*6', 'd7e5f3g3h9i2j4k8*6'), 'pairs'), 'reading digit');
  assert.equal(classifyHinted(q, pairs.replace('j3*6+4=22', 'j3*6+4=23'), 'pairs'), 'step arithmetic');
  assert.equal(classifyHinted(q, pairs.replace('j3*6+4=22', 'j2*6+4=16'), 'pairs'), 'step lookup');
  const aligned = think(hintedProductTrace(75339238n, 6n, 5, 'aligned'));
  assert.equal(classifyHinted(q, aligned, 'aligned'), 'answer');
  assert.equal(classifyHinted(q, aligned.replace('..75339238*6', '....753392*6'), 'aligned'), 'reading stops early');
  assert.equal(classifyHinted(q, aligned.replace('..fghijklm', '..fghijklk'), 'aligned'), 'reading letters');
  assert.equal(classifyHinted(q, aligned.replace('m8*6+0=48', 'm8*6+0=47'), 'aligned'), 'step arithmetic');
  assert.equal(classifyHinted(q, aligned.replace('abcdefghi', 'efghijklm').replace(/^efghijklm\.*$/m, 'efghijkl........'), 'aligned'), 'letters row');
  const tail = think(hintedProductTrace(75339238n, 6n, 1));
  assert.equal(classifyHinted(q, tail), 'answer');
  assert.equal(classifyHinted(q, tail.replace(' 75339238 * 6?', 'is 339238 * 6?')), 'reading stops early');
  assert.equal(classifyHinted(q, tail.replace('.bcdefghi...j.', '...bcdefg...h.')), 'reading letters');
  assert.equal(classifyHinted(q, tail.replace('j6i8h3g2f9e3d3c5b7', 'j6i8h3g2f9e3d3c5')), 'reading pairs');
  assert.equal(classifyHinted(q, tail.replace('b7*6+3=45\na0*6+4=04', 'b0*6+3=03')), 'step lookup');
  assert.equal(classifyHinted(q, 'nonsense'), 'no trace');
});
