// Products by one digit with index hints: a trace in which every copy stops on content, not on a
// count, so that operands longer than any trained one are only more of the same lines.
//
// The column traces (columns.ts) copy whole numbers: a model trained on multiplicands of up to 6
// digits copies a 7- or 8-digit one as exactly 6 (docs/reasoning/report.md, section 4). Here the
// multiplicand is read once, then every step finds what it needs by a hint letter (Zhou et al.
// 2023, "What algorithms can transformers learn?") or at a fixed distance. The hints are a
// contiguous run of HINTS starting at a letter chosen per problem, so every letter and every letter
// pair is trained although no trained operand is long.
//
//   What is 75339238 * 6?
//    75339238 * 6?     the reading (layout 'tail', the default): the question's last TAIL
//   .bcdefghi...j.       characters, each column a fixed distance from the character it copies
//                        whatever the length; a letter under each digit, the first one chosen,
//                        each next one the letter after the one to its left;
//   j6i8h3g2f9e3d3c5b7   then each letter, last first, with the digit above it
//   i8*6+0=48          one line per letter of the multiplicand, last first: the letter before the
//   h3*6+4=22            one above, the digit after that letter in the pairs line, the multiplier,
//   ...                  the carry (the tens digit of the value above), the value in two digits
//   b7*6+3=45
//   a0*6+4=04          the letter before the first has no digit: 0, and the steps stop (the carry)
//   abcdefghi.......   the letters in order from the carry's (skipped when the carry is 0), ending
//                        where a letter has no step line; '.' fills WIDTH columns
//   452035428.......   under each letter, the units digit of its step line
//   452035428          the answer: row 2 up to its first '.'
//
// The rows have fixed widths, so a row's column is a constant distance from the same column of the
// row above, and the answer (written after </think>) is a constant distance from the digits row.
// Sums and differences can start with the same reading rows (tailRows), which puts digits in every
// column in training. Other readings, measured on the way (docs/reasoning/report.md, section 9):
// 'tail-rows' (no pairs line: a step finds the digit above its letter), 'aligned' (the digits
// right-aligned in ALIGNED columns), 'window' (the question's last WINDOW characters up to the
// multiplicand's end) and 'pairs' (letter-digit pairs, "b7c5d3e3f9g2h3i8*6").
// A multiplier 0 or a multiplicand 0 ends after the reading with "a factor is 0".
import { applyOp, type ArithOp } from './arithmetic.ts';
import { PonderError } from '../errors.ts';

/** The hint letters, in order. Their count is the width of both answer rows. */
export const HINTS = 'abcdefghijklmnop';
export const WIDTH = HINTS.length;
/** Filler of the answer rows beyond the last letter. */
export const PAD = '.';

/** The longest multiplicand a trace can hint (one letter stays free for the carry). */
export const MAX_DIGITS = WIDTH - 1;

/**
 * The letter index of a problem's first digit: deterministic in the question (so a trace is a pure
 * function of its problem), 1 ('b') for a third of questions and otherwise uniform over every start
 * that fits. Training thus sees every letter, while greedy decoding of a long multiplicand starts
 * at 'b', leaving room for up to MAX_DIGITS digits.
 */
export function hintStart(question: string, digits: number): number {
  if (digits < 1 || digits > MAX_DIGITS) throw new PonderError(`hinted trace: ${digits} digits (1..${MAX_DIGITS} fit ${WIDTH} hints)`);
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < question.length; i++) h = Math.imul(h ^ question.charCodeAt(i), 0x01000193) >>> 0;
  const last = WIDTH - digits; // the first digit's letter can be 1..last
  if (h % 3 === 0) return 1;
  return 1 + ((h >>> 2) % last);
}

/** How the multiplicand is read from the question: letter-digit pairs, or right-aligned rows. */
export type HintLayout = 'tail' | 'tail-rows' | 'aligned' | 'window' | 'pairs';

/** The layouts that read the question's tail (they need one letter more: the multiplier's). */
export const readsTail = (layout: HintLayout): boolean => layout === 'tail' || layout === 'tail-rows';

/** Columns of the aligned reading: the longest multiplicand it holds. Column 0 looks back
 *  ALIGNED - 1 tokens from the question's last digit, which stays inside "<|user|>What is ". */
export const ALIGNED = 10;

/** The 'pairs' reading: each digit after its letter, then "*" and the multiplier. */
export function rewriteLine(a: string, d: number, start: number): string {
  return a.split('').map((x, i) => `${HINTS[start + i]}${x}`).join('') + `*${d}`;
}

/** The 'aligned' reading: the digits right-aligned in ALIGNED columns then "*d", and the letters under them. */
export function alignedRows(a: string, d: number, start: number): [string, string] {
  if (a.length > ALIGNED) throw new PonderError(`hinted trace: ${a.length} digits do not fit ${ALIGNED} aligned columns`);
  return [a.padStart(ALIGNED, PAD) + `*${d}`, HINTS.slice(start, start + a.length).padStart(ALIGNED, PAD)];
}

/** Columns of the window reading: the question's last WINDOW characters up to the multiplicand's end. */
export const WINDOW = 9;

/**
 * The 'window' reading: the question's text ending at the multiplicand's last digit, WINDOW
 * characters ("What is 7", " 75339238"), then "*d"; under it the letters, a pad under each
 * character that is not a digit. Every column copies whatever character is a fixed distance back
 * (no column decides between a pad and a digit), so no column has a rule of its own.
 */
export function windowRows(a: string, d: number, start: number): [string, string] {
  if (a.length > WINDOW) throw new PonderError(`hinted trace: ${a.length} digits do not fit a ${WINDOW}-character window`);
  const text = `What is ${a}`;
  return [text.slice(text.length - WINDOW) + `*${d}`, HINTS.slice(start, start + a.length).padStart(WINDOW, PAD)];
}

/** Characters of the tail reading: the shortest question of the family ("What is 1 * 2?") is this long. */
export const TAIL = 14;

/**
 * The 'tail' reading, for any arithmetic question: its last TAIL characters; under every digit a
 * letter, consecutive from the start letter across the whole row; then every letter, last first,
 * followed by the digit above it ("is 75339238 * 6?" over "...bcdefghi...j.", then
 * "j6i8h3g2f9e3d3c5b7"). Every column of the first row copies the character a fixed distance back
 * (every question ends at the same place before the reading); every letter of the third is the
 * one before the letter to its left, ending where the letters row has none. Sums and differences
 * share these rows, so that in training every column holds digits and is looked up (a 6+6 sum's
 * first operand fills the left columns): no column can learn that it never holds one.
 */
export function tailRows(question: string, start: number): [string, string, string] {
  // A long sum's first operand may start before the row: its rows only train the reading.
  const row = question.slice(Math.max(0, question.length - TAIL)).padStart(TAIL, PAD);
  let next = start, letters = '', pairs = '';
  for (const ch of row) {
    if (!/\d/.test(ch)) { letters += PAD; continue; }
    if (next >= WIDTH) throw new PonderError(`hinted trace: the digits of '${question}' from letter ${start} do not fit ${WIDTH} hints`);
    letters += HINTS[next];
    pairs = HINTS[next] + ch + pairs;
    next++;
  }
  return [row, letters, pairs];
}

/** The number of digits a tail reading letters. */
export const tailDigits = (question: string): number => (question.slice(-TAIL).match(/\d/g) ?? []).length;

/** The reading lines of a layout (the tail reading copies the question as asked). */
export function readingLines(a: string, d: number, start: number, layout: HintLayout, question = `What is ${a} * ${d}?`): string[] {
  if (readsTail(layout)) {
    if (a.length + ' * d?'.length > TAIL) throw new PonderError(`hinted trace: ${a.length} digits do not fit a ${TAIL}-character tail reading`);
    // 'tail-rows' stops after the letters row: the steps find a digit above its letter.
    return tailRows(question, start).slice(0, layout === 'tail' ? 3 : 2);
  }
  return layout === 'pairs' ? [rewriteLine(a, d, start)] : layout === 'window' ? windowRows(a, d, start) : alignedRows(a, d, start);
}

/** The step lines, last hint first, and the product's digits by letter index. */
function stepLines(a: string, d: number, start: number): { lines: string[]; digitAt: Map<number, number> } {
  const lines: string[] = [], digitAt = new Map<number, number>();
  let carry = 0;
  for (let i = a.length - 1; i >= -1; i--) {
    const x = i >= 0 ? Number(a[i]) : 0, v = x * d + carry, letter = start + i;
    lines.push(`${HINTS[letter]}${x}*${d}+${carry}=${String(v).padStart(2, '0')}`);
    digitAt.set(letter, v % 10);
    carry = Math.floor(v / 10);
  }
  return { lines, digitAt };
}

/** The two answer rows: letters from the carry's (or the first digit's when the carry is 0), padded. */
function answerRows(digitAt: Map<number, number>, start: number): [string, string] {
  const first = digitAt.get(start - 1) === 0 ? start : start - 1;
  let letters = '', digits = '';
  for (let l = first; digitAt.has(l); l++) { letters += HINTS[l]; digits += String(digitAt.get(l)); }
  return [letters.padEnd(WIDTH, PAD), digits.padEnd(WIDTH, PAD)];
}

/** The hinted trace of a * d (d one digit) with the given first letter; its last line is the answer. */
export function hintedProductTrace(a: bigint, d: bigint, start: number, layout: HintLayout = 'tail', question?: string): string {
  if (a < 0n || d < 0n || d > 9n) throw new PonderError(`hinted trace: ${a} * ${d} is not a multiplicand times one digit`);
  const as = a.toString(), dn = Number(d);
  if (start < 1 || start + as.length + (readsTail(layout) ? 1 : 0) > WIDTH) throw new PonderError(`hinted trace: start letter ${start} does not fit ${as.length} digits in ${WIDTH} hints`);
  const reading = readingLines(as, dn, start, layout, question);
  if (a === 0n || d === 0n) return [...reading, 'a factor is 0', '0'].join('\n');
  const { lines, digitAt } = stepLines(as, dn, start);
  const [letters, digits] = answerRows(digitAt, start);
  const answer = digits.slice(0, digits.indexOf(PAD) < 0 ? WIDTH : digits.indexOf(PAD));
  // The answer row must read the product (checked here, so a trace can never lie).
  if (answer !== (a * d).toString()) throw new PonderError(`hinted trace of ${a}*${d} reads ${answer}`);
  return [...reading, ...lines, letters, digits, answer].join('\n');
}

/**
 * The operation at the end of an arithmetic question, whatever its wording ("What is 12 * 3?",
 * "Compute 12 * 3?"), or null.
 */
export function questionTail(question: string): { a: bigint; op: ArithOp; b: bigint } | null {
  const m = /(?:^|\s)(\d+) ([-+*]) (\d+)\?$/.exec(question.trim());
  return m ? { a: BigInt(m[1]!), op: m[2] as ArithOp, b: BigInt(m[3]!) } : null;
}

/** Whether a question is a product the hinted format writes: a multiplicand times one digit. */
export function isHintedProduct(question: string): boolean {
  const q = questionTail(question);
  return q !== null && q.op === '*' && q.b <= 9n;
}

/** The hinted trace of a question "... A * d?", its first letter chosen by hintStart. */
export function hintedTraceOf(question: string, task = 'hinted', layout: HintLayout = 'tail'): string {
  const q = questionTail(question);
  if (q === null || q.op !== '*' || q.b > 9n) throw new PonderError(`${task}: '${question}' is not a product by one digit`);
  const { a, op, b } = q;
  const trace = hintedProductTrace(a, b, hintStart(question, readsTail(layout) ? tailDigits(question) : a.toString().length), layout, question.trim());
  if (trace.split('\n').pop() !== applyOp(a, op, b).toString()) throw new PonderError(`${task}: hinted trace of '${question}' ends wrong`);
  return trace;
}
