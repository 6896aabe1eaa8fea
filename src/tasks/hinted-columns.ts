// Products by one digit with index hints: a trace in which every copy stops on content, not on a
// count, so that operands longer than any trained one are only more of the same lines.
//
// The column traces (columns.ts) copy whole numbers: a model trained on multiplicands of up to 6
// digits copies a 7- or 8-digit one as exactly 6 (docs/reasoning/report.md, section 4). Here no
// line copies a number of the operand's length. Every digit of the multiplicand gets a hint letter
// (Zhou et al. 2023, "What algorithms can transformers learn?"), the hints are a contiguous run of
// HINTS starting at a letter chosen per problem (so every letter and every letter pair is trained
// even though no trained operand is long), and each step is found by content:
//
//   What is 75339238 * 6?
//   b7c5d3e3f9g2h3i8*6     the rewrite: the next letter, then the question's digit after the two
//                          written last; it ends ("*") where the question's number ends
//   i8*6+0=48              one line per hint, last hint first: the letter before the one above,
//   h3*6+4=22              the digit after that letter in the rewrite, the multiplier, the carry
//   ...                    (the tens digit of the value above), the value in two digits
//   b7*6+3=45
//   a0*6+4=04              the letter before the first has no digit in the rewrite: 0, and the
//                          steps stop (the carry line)
//   abcdefghi.......       the letters in order from the carry's (skipped when the carry is 0),
//                          ending where a letter has no step line; '.' fills WIDTH columns
//   452035428.......       under each letter, the units digit of its step line
//   452035428              the answer: row 2 up to its first '.'
//
// The two rows have a fixed width, so a row's column is a constant distance from the same column
// of the row above, and the answer (written after </think>) is a constant distance from row 2.
// A multiplier 0 or a multiplicand 0 ends after the rewrite with "a factor is 0".
import { applyOp, parseArithQuestion } from './arithmetic.ts';
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

/** The rewrite line: each digit after its letter, then "*" and the multiplier. */
export function rewriteLine(a: string, d: number, start: number): string {
  return a.split('').map((x, i) => `${HINTS[start + i]}${x}`).join('') + `*${d}`;
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
export function hintedProductTrace(a: bigint, d: bigint, start: number): string {
  if (a < 0n || d < 0n || d > 9n) throw new PonderError(`hinted trace: ${a} * ${d} is not a multiplicand times one digit`);
  const as = a.toString(), dn = Number(d);
  if (start < 1 || start + as.length > WIDTH) throw new PonderError(`hinted trace: start letter ${start} does not fit ${as.length} digits in ${WIDTH} hints`);
  const rewrite = rewriteLine(as, dn, start);
  if (a === 0n || d === 0n) return [rewrite, 'a factor is 0', '0'].join('\n');
  const { lines, digitAt } = stepLines(as, dn, start);
  const [letters, digits] = answerRows(digitAt, start);
  const answer = digits.slice(0, digits.indexOf(PAD) < 0 ? WIDTH : digits.indexOf(PAD));
  // The answer row must read the product (checked here, so a trace can never lie).
  if (answer !== (a * d).toString()) throw new PonderError(`hinted trace of ${a}*${d} reads ${answer}`);
  return [rewrite, ...lines, letters, digits, answer].join('\n');
}

/** Whether a question is a product the hinted format writes: a multiplicand times one digit. */
export function isHintedProduct(question: string, task = 'hinted'): boolean {
  try {
    const { op, b } = parseArithQuestion(question, task);
    return op === '*' && b >= 0n && b <= 9n;
  } catch {
    return false;
  }
}

/** The hinted trace of a question "What is A * d?", its first letter chosen by hintStart. */
export function hintedTraceOf(question: string, task = 'hinted'): string {
  const { a, op, b } = parseArithQuestion(question, task);
  if (op !== '*' || b > 9n) throw new PonderError(`${task}: '${question}' is not a product by one digit`);
  const trace = hintedProductTrace(a, b, hintStart(question, a.toString().length));
  if (trace.split('\n').pop() !== applyOp(a, op, b).toString()) throw new PonderError(`${task}: hinted trace of '${question}' ends wrong`);
  return trace;
}
