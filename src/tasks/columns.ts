// Column arithmetic with traces made of small, local steps, so that what a model learns on short
// operands carries over to longer ones (the reasoning issue's "arithmetic that transfers").
//
// Every number inside the trace is written least significant digit first ("reversed"), and every
// step line restates the digits it still has to use: a step is "REST_A REST_B x+y+c=v", where x
// and y are the first digits of the two rests and the next line's rests are these rests without
// their first digit ("_" when empty). So a step needs only the line above it: copy the rests minus
// one digit, take the carry from v, look up one small sum or product. Nothing counts positions in
// a long operand, and a longer operand is just more lines of the same kind. A result line "=..."
// collects the units digits of the steps in order; the answer reverses the last result once.
//
//   What is 347 * 58?          347*8                 6772+05371
//   347*58                     743 7*8+0=56          6772 05371 6+0+0=6
//   (rows by each digit of 58,  43 4*8+5=37           772 5371 7+5+0=12
//    least significant first)   3 3*8+3=27            ...
//                               _ 0*8+2=2             =62102
//                               =6772                 20126
//
// Subtraction borrows by writing the top digit with a leading 1 ("17-8-0=9"); the next step
// borrows 1 exactly when the step above did.
import { defaultVerify } from './answer.ts';
import { applyOp, parseArithQuestion, randomDigits, type ArithOp } from './arithmetic.ts';
import type { Rng } from './rng.ts';
import { checkDifficulty, type Problem, type Task } from './types.ts';

/** An operand shape: op with a digits(a) x digits(b). */
export interface Shape { op: ArithOp; a: number; b: number }

export const shapeName = (s: Shape): string => `${s.a}${s.op === '*' ? 'x' : s.op}${s.b}`;

const rev = (x: bigint): string => x.toString().split('').reverse().join('');
const rest = (s: string): string => (s === '' ? '_' : s);

/** Column addition of two reversed digit strings: the step lines and the reversed sum. */
function addColumns(ra: string, rb: string): { lines: string[]; sum: string } {
  const lines: string[] = [];
  let out = '', carry = 0;
  while (ra !== '' || rb !== '' || carry > 0) {
    const x = Number(ra[0] ?? '0'), y = Number(rb[0] ?? '0'), v = x + y + carry;
    lines.push(`${rest(ra)} ${rest(rb)} ${x}+${y}+${carry}=${v}`);
    out += String(v % 10);
    carry = v >= 10 ? 1 : 0;
    ra = ra.slice(1); rb = rb.slice(1);
  }
  return { lines, sum: out };
}

/** Column subtraction ra - rb (reversed, ra's value >= rb's): step lines and the reversed difference. */
function subtractColumns(ra: string, rb: string): { lines: string[]; diff: string } {
  const lines: string[] = [];
  let out = '', borrow = 0;
  while (ra !== '') {
    const x = Number(ra[0]), y = Number(rb[0] ?? '0'), r = x - y - borrow;
    lines.push(`${rest(ra)} ${rest(rb)} ${r < 0 ? `1${x}` : x}-${y}-${borrow}=${r < 0 ? r + 10 : r}`);
    out += String(r < 0 ? r + 10 : r);
    borrow = r < 0 ? 1 : 0;
    ra = ra.slice(1); rb = rb.slice(1);
  }
  return { lines, diff: out };
}

/** One row: the reversed digits ra times a single digit d. */
function multiplyRow(ra: string, d: number): { lines: string[]; product: string } {
  const lines: string[] = [];
  let out = '', carry = 0;
  while (ra !== '' || carry > 0) {
    const x = Number(ra[0] ?? '0'), v = x * d + carry;
    lines.push(`${rest(ra)} ${x}*${d}+${carry}=${v}`);
    out += String(v % 10);
    carry = Math.floor(v / 10);
    ra = ra.slice(1);
  }
  return { lines, product: out };
}

/** The reversed digit string read back as a number (leading zeros of the number dropped). */
const unreverse = (r: string): string => BigInt(r.split('').reverse().join('')).toString();

function multiplicationLines(a: bigint, b: bigint): string[] {
  const lines = [`${a}*${b}`];
  if (a === 0n || b === 0n) return [...lines, 'a factor is 0'];
  const ra = rev(a);
  let acc: string | null = null;
  rev(b).split('').forEach((ch, j) => {
    const d = Number(ch);
    if (d === 0) return; // a zero digit adds nothing
    const row = multiplyRow(ra, d);
    lines.push(`${a}*${d}${'0'.repeat(j)}`, ...row.lines, `=${row.product}`);
    const shifted = '0'.repeat(j) + row.product;
    if (acc === null && j === 0) { acc = shifted; return; }
    const prev: string = acc ?? '0';
    const s = addColumns(prev, shifted);
    lines.push(`${prev}+${shifted}`, ...s.lines, `=${s.sum}`);
    acc = s.sum;
  });
  return lines;
}

function additionLines(a: bigint, b: bigint): string[] {
  const s = addColumns(rev(a), rev(b));
  return [`${a}+${b}`, ...s.lines, `=${s.sum}`];
}

function subtractionLines(a: bigint, b: bigint): string[] {
  if (a < b) return [`${a}-${b}=-(${b}-${a})`, ...subtractionLines(b, a).slice(1)];
  const d = subtractColumns(rev(a), rev(b));
  return [`${a}-${b}`, ...d.lines, `=${d.diff}`];
}

/** The column trace of a op b; its last line is the answer. */
export function columnTrace(a: bigint, op: ArithOp, b: bigint): string {
  const lines = op === '+' ? additionLines(a, b) : op === '-' ? subtractionLines(a, b) : multiplicationLines(a, b);
  const last = lines[lines.length - 1]!;
  const result = applyOp(a, op, b);
  // The last result line reversed is the answer (checked here, so a trace can never lie).
  if (last.startsWith('=')) {
    const read = unreverse(last.slice(1));
    if ((result < 0n ? `-${read}` : read) !== result.toString()) throw new Error(`column trace of ${a}${op}${b} reads ${read}`);
  }
  return [...lines, result.toString()].join('\n');
}

/** A problem of one shape ("What is 4821 * 36?"), under the given task name. */
export function shapeProblem(rng: Rng, s: Shape, task: string): Problem {
  const a = randomDigits(rng, s.a), b = randomDigits(rng, s.b);
  return { question: `What is ${a} ${s.op} ${b}?`, answer: applyOp(a, s.op, b).toString(), task };
}

/** A task that draws from a fixed list of shapes (difficulty ignored), with column traces. */
export function shapesTask(name: string, shapes: readonly Shape[]): Task {
  if (shapes.length === 0) throw new Error(`shapesTask '${name}': no shapes`);
  return {
    name,
    summary: `column arithmetic on shapes ${shapes.map(shapeName).join(', ')}`,
    difficulty: { min: 1, max: 1 },
    generate: (rng) => shapeProblem(rng, rng.pick(shapes), name),
    verify: defaultVerify,
    solveWithSteps(p) {
      const { a, op, b } = parseArithQuestion(p.question, name);
      return columnTrace(a, op, b);
    },
  };
}

function columnTask(name: string, op: ArithOp, summary: string, maxB: (d: number) => number): Task {
  const task: Task = {
    name,
    summary,
    difficulty: { min: 1, max: 12 },
    generate(rng, d) {
      checkDifficulty(task, d);
      return shapeProblem(rng, { op, a: d, b: rng.int(1, maxB(d)) }, name);
    },
    verify: defaultVerify,
    solveWithSteps(p) {
      const { a, op: o, b } = parseArithQuestion(p.question, name);
      return columnTrace(a, o, b);
    },
  };
  return task;
}

export const columnAddition = columnTask('column-addition', '+', 'a + b, a with d digits and b with 1..d, column trace (reversed digits, local steps)', (d) => d);
export const columnSubtraction = columnTask('column-subtraction', '-', 'a - b, a with d digits and b with 1..d, column trace', (d) => d);
export const columnMultiplication = columnTask('column-multiplication', '*', 'a * b, a with d digits and b with 1..min(d, 3), column trace', (d) => Math.min(d, 3));
