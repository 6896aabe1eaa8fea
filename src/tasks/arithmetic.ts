// Multi-digit arithmetic: "What is 4821 + 9370?". Difficulty d = the number of digits of each
// operand (1..30); values are BigInt so any d is exact.
import { defaultVerify } from './answer.ts';
import type { Rng } from './rng.ts';
import { badQuestion, checkDifficulty, type Problem, type Task } from './types.ts';

export type ArithOp = '+' | '-' | '*';

/** A uniform d-digit number (first digit non-zero, except that d = 1 allows 0..9). */
export function randomDigits(rng: Rng, d: number): bigint {
  let s = d === 1 ? String(rng.int(0, 9)) : String(rng.int(1, 9));
  for (let i = 1; i < d; i++) s += String(rng.int(0, 9));
  return BigInt(s);
}

export function applyOp(a: bigint, op: ArithOp, b: bigint): bigint {
  return op === '+' ? a + b : op === '-' ? a - b : a * b;
}

export function parseArithQuestion(question: string, task: string): { a: bigint; op: ArithOp; b: bigint } {
  const m = /^What is (\d+) ([-+*]) (\d+)\?$/.exec(question.trim());
  if (!m) throw badQuestion(task, question);
  return { a: BigInt(m[1]!), op: m[2] as ArithOp, b: BigInt(m[3]!) };
}

// --- reasoning traces: column by column, least-significant digit first, as a child is taught ---

const digitsLsbFirst = (x: bigint) => x.toString().split('').reverse().map(Number);

function additionSteps(a: bigint, b: bigint): string[] {
  const da = digitsLsbFirst(a), db = digitsLsbFirst(b);
  const cols: string[] = [];
  let carry = 0;
  const out: number[] = [];
  for (let i = 0; i < Math.max(da.length, db.length); i++) {
    const x = da[i] ?? 0, y = db[i] ?? 0, s = x + y + carry;
    cols.push(`${x}+${y}+${carry}=${s}`);
    out.push(s % 10);
    carry = s >= 10 ? 1 : 0;
  }
  if (carry) out.push(1);
  return [`columns from the right: ${cols.join(', ')}`, `digits reversed: ${out.join('')}`];
}

/** a >= b >= 0: borrow column by column. */
function subtractionSteps(a: bigint, b: bigint): string[] {
  const da = digitsLsbFirst(a), db = digitsLsbFirst(b);
  const cols: string[] = [];
  const out: number[] = [];
  let borrow = 0;
  for (let i = 0; i < da.length; i++) {
    const x = da[i]!, y = db[i] ?? 0, r = x - y - borrow;
    if (r < 0) { cols.push(`${x}-${y}-${borrow}: borrow, ${r + 10}`); out.push(r + 10); borrow = 1; }
    else { cols.push(`${x}-${y}-${borrow}=${r}`); out.push(r); borrow = 0; }
  }
  return [`columns from the right: ${cols.join(', ')}`, `digits reversed: ${out.join('')}`];
}

/** Partial products by each non-zero digit of b (shifted), then a running sum. */
function multiplicationSteps(a: bigint, b: bigint): string[] {
  const lines: string[] = [];
  const partials: bigint[] = [];
  digitsLsbFirst(b).forEach((d, i) => {
    if (d === 0) return;
    const m = BigInt(d) * 10n ** BigInt(i);
    const p = a * m;
    lines.push(`${a}*${m}=${p}`);
    partials.push(p);
  });
  let sum = partials[0] ?? 0n;
  for (const p of partials.slice(1)) { lines.push(`${sum}+${p}=${sum + p}`); sum += p; }
  return lines;
}

export function arithmeticTrace(a: bigint, op: ArithOp, b: bigint): string {
  const result = applyOp(a, op, b);
  const lines: string[] = [];
  if (op === '+') lines.push(...additionSteps(a, b));
  else if (op === '-') {
    if (a >= b) lines.push(...subtractionSteps(a, b));
    else lines.push(`${a}<${b}, so ${a}-${b}=-(${b}-${a})`, ...subtractionSteps(b, a));
  } else if (a === 0n || b === 0n) lines.push('a factor is 0');
  else lines.push(...multiplicationSteps(a, b));
  lines.push(result.toString());
  return lines.join('\n');
}

function makeTask(name: string, ops: readonly ArithOp[], summary: string, secondDigits = (d: number) => d): Task {
  const task: Task = {
    name,
    summary,
    difficulty: { min: 1, max: 30 },
    generate(rng, difficulty) {
      checkDifficulty(task, difficulty);
      const op = rng.pick(ops);
      const a = randomDigits(rng, difficulty), b = randomDigits(rng, secondDigits(difficulty));
      return { question: `What is ${a} ${op} ${b}?`, answer: applyOp(a, op, b).toString(), task: name };
    },
    verify: defaultVerify,
    solveWithSteps(p: Problem) {
      const { a, op, b } = parseArithQuestion(p.question, name);
      return arithmeticTrace(a, op, b);
    },
  };
  return task;
}

export const arithmetic = makeTask('arithmetic', ['+', '-', '*'], 'a + b, a - b or a * b with d-digit operands (d = difficulty)');
export const addition = makeTask('addition', ['+'], 'a + b with d-digit operands');
export const subtraction = makeTask('subtraction', ['-'], 'a - b with d-digit operands (may be negative)');
export const multiplication = makeTask('multiplication', ['*'], 'a * b with d-digit operands');
/** The speedrun's task (as in docs/findings.md): a d-digit by (d-1)-digit product, e.g. 347 * 58 at d = 3. */
export const longMultiplication = makeTask('long-multiplication', ['*'], 'a * b with a d-digit a and a (d-1)-digit b (d >= 2)', (d) => Math.max(1, d - 1));
