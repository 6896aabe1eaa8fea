// Column arithmetic with traces made of small, local steps, so that what a model learns on short
// operands carries over to longer ones (the reasoning issue's "arithmetic that transfers").
//
// Every step line restates what it still has to use: "REST_A REST_B x+y+c=v RUN", where x and y
// are the last digits of the two rests (the column being added), the next line's rests are these
// rests without their last digit ("_" when empty), and RUN is the result so far: the units digit
// of v written in front of the RUN above. So a step needs only the line above it: copy the rests
// minus one digit, take the carry from v, look up one small sum or product, copy the RUN behind
// one new digit. Nothing counts positions in a long operand and nothing is reversed; a longer
// operand is only more lines of the same kind. A result line "=RUN" repeats the last RUN.
//
//   What is 347 * 58?          347*50                2776+17350
//   347*58                     347 7*5+0=35 5        2776 17350 6+0+0=6 6
//   347*8                      34 4*5+3=23 35        277 1735 7+5+0=12 26
//   347 7*8+0=56 6             3 3*5+2=17 735        27 173 7+3+1=11 126
//   34 4*8+5=37 76             _ 0*5+1=1 1735        2 17 2+7+1=10 0126
//   3 3*8+3=27 776             =1735                 _ 1 0+1+1=2 20126
//   _ 0*8+2=2 2776                                   =20126
//   =2776                                            20126
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

const rest = (s: string): string => (s === '' ? '_' : s);
const lastDigit = (s: string): number => (s === '' ? 0 : Number(s[s.length - 1]));
const drop = (s: string): string => s.slice(0, -1);

/** Column addition of two digit strings: the step lines and the sum's digits. */
function addColumns(a: string, b: string): { lines: string[]; sum: string } {
  const lines: string[] = [];
  let run = '', carry = 0;
  while (a !== '' || b !== '' || carry > 0) {
    const x = lastDigit(a), y = lastDigit(b), v = x + y + carry;
    run = String(v % 10) + run;
    lines.push(`${rest(a)} ${rest(b)} ${x}+${y}+${carry}=${v} ${run}`);
    carry = v >= 10 ? 1 : 0;
    a = drop(a); b = drop(b);
  }
  return { lines, sum: run };
}

/** Column subtraction a - b (digit strings, a's value >= b's): step lines and the difference's digits. */
function subtractColumns(a: string, b: string): { lines: string[]; diff: string } {
  const lines: string[] = [];
  let run = '', borrow = 0;
  while (a !== '') {
    const x = lastDigit(a), y = lastDigit(b), r = x - y - borrow;
    const digit = r < 0 ? r + 10 : r;
    run = String(digit) + run;
    lines.push(`${rest(a)} ${rest(b)} ${r < 0 ? `1${x}` : x}-${y}-${borrow}=${digit} ${run}`);
    borrow = r < 0 ? 1 : 0;
    a = drop(a); b = drop(b);
  }
  return { lines, diff: run };
}

/** One row: the digits a times a single digit d. */
function multiplyRow(a: string, d: number): { lines: string[]; product: string } {
  const lines: string[] = [];
  let run = '', carry = 0;
  while (a !== '' || carry > 0) {
    const x = lastDigit(a), v = x * d + carry;
    run = String(v % 10) + run;
    lines.push(`${rest(a)} ${x}*${d}+${carry}=${v} ${run}`);
    carry = Math.floor(v / 10);
    a = drop(a);
  }
  return { lines, product: run };
}

function multiplicationLines(a: bigint, b: bigint): string[] {
  const lines = [`${a}*${b}`];
  if (a === 0n || b === 0n) return [...lines, 'a factor is 0'];
  const as = a.toString(), bs = b.toString();
  let acc: string | null = null;
  for (let j = 0; j < bs.length; j++) {
    const d = Number(bs[bs.length - 1 - j]);
    if (d === 0) continue; // a zero digit adds nothing
    const zeros = '0'.repeat(j);
    const row = multiplyRow(as, d);
    lines.push(`${as}*${d}${zeros}`, ...row.lines, `=${row.product}`);
    const shifted = row.product + zeros;
    if (acc === null && j === 0) { acc = shifted; continue; }
    const prev: string = acc ?? '0';
    const s = addColumns(prev, shifted);
    lines.push(`${prev}+${shifted}`, ...s.lines, `=${s.sum}`);
    acc = s.sum;
  }
  return lines;
}

function additionLines(a: bigint, b: bigint): string[] {
  const s = addColumns(a.toString(), b.toString());
  return [`${a}+${b}`, ...s.lines, `=${s.sum}`];
}

function subtractionLines(a: bigint, b: bigint): string[] {
  if (a < b) return [`${a}-${b}=-(${b}-${a})`, ...subtractionLines(b, a).slice(1)];
  const d = subtractColumns(a.toString(), b.toString());
  return [`${a}-${b}`, ...d.lines, `=${d.diff}`];
}

/** The column trace of a op b; its last line is the answer. */
export function columnTrace(a: bigint, op: ArithOp, b: bigint): string {
  const lines = op === '+' ? additionLines(a, b) : op === '-' ? subtractionLines(a, b) : multiplicationLines(a, b);
  const last = lines[lines.length - 1]!;
  const result = applyOp(a, op, b);
  // The last result line is the answer (checked here, so a trace can never lie).
  if (last.startsWith('=')) {
    const read = BigInt(last.slice(1)).toString();
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

export const columnAddition = columnTask('column-addition', '+', 'a + b, a with d digits and b with 1..d, column trace (local steps)', (d) => d);
export const columnSubtraction = columnTask('column-subtraction', '-', 'a - b, a with d digits and b with 1..d, column trace', (d) => d);
export const columnMultiplication = columnTask('column-multiplication', '*', 'a * b, a with d digits and b with 1..min(d, 3), column trace', (d) => Math.min(d, 3));
