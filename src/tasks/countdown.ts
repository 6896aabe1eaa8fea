// Countdown: reach a target from given numbers with + - * /, each number used at most once.
// "Using the numbers [3, 7, 25, 50], write an expression that equals 171. ..."
// Difficulty d (1..4) gives d + 2 numbers from a pool that grows with d.
import { extractFinalAnswer } from './answer.ts';
import { evaluateExpression } from './expression.ts';
import { Rational } from './rational.ts';
import type { Rng } from './rng.ts';
import { badQuestion, checkDifficulty, type Problem, type Task } from './types.ts';

const LEVELS = [
  { count: 3, maxNumber: 10, maxTarget: 100 },
  { count: 4, maxNumber: 20, maxTarget: 200 },
  { count: 5, maxNumber: 50, maxTarget: 500 },
  { count: 6, maxNumber: 100, maxTarget: 999 },
] as const;
const MIN_TARGET = 10;

export function countdownQuestion(numbers: readonly number[], target: number): string {
  return `Using the numbers [${numbers.join(', ')}], write an expression that equals ${target}. ` +
    'You may use +, -, * and /, and each number at most once.';
}

export function parseCountdownQuestion(question: string, task = 'countdown'): { numbers: number[]; target: number } {
  const m = /numbers \[([\d,\s]+)\], write an expression that equals (\d+)\./.exec(question);
  if (!m) throw badQuestion(task, question);
  const numbers = m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  return { numbers, target: Number(m[2]) };
}

/**
 * The expression a Countdown answer gives: the final-answer segment (see extractFinalAnswer),
 * its last non-empty line, without a trailing period or surrounding backticks/dollars, and when it
 * contains "=", the part before the first "=" (so "25 * 3 + 96 = 171" reads "25 * 3 + 96"), and of
 * that the trailing run of expression characters (digits, spaces, + - * / and their Unicode forms,
 * parentheses), so "The expression is 25 * 3 + 96" reads "25 * 3 + 96".
 */
export function extractCountdownExpression(answerText: string): string {
  const lines = extractFinalAnswer(answerText).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  let s = (lines[lines.length - 1] ?? '').replace(/\.+$/, '').replace(/^[`$]+|[`$]+$/g, '').trim();
  const eq = s.indexOf('=');
  if (eq >= 0) s = s.slice(0, eq).trim();
  // drop leading words ("The expression is 25 * 3 + 96"): keep the trailing run of expression characters
  const m = /[\d\s+\-\u2212*\u00d7\u00b7/\u00f7()]*$/.exec(s);
  return m ? m[0].trim() : s;
}

/** Does the expression equal the target exactly, using each given number at most once? */
export function checkCountdown(expression: string, numbers: readonly number[], target: number): boolean {
  const ev = evaluateExpression(expression);
  if (!ev || ev.value === null || !ev.value.eq(Rational.of(target))) return false;
  const left = new Map<string, number>();
  for (const n of numbers) left.set(String(n), (left.get(String(n)) ?? 0) + 1);
  for (const used of ev.numbers) {
    const k = used.toString();
    const c = left.get(k) ?? 0;
    if (c === 0) return false;
    left.set(k, c - 1);
  }
  return true;
}

// --- search: depth-first over pairs, positive integer intermediates (the show's rules) ---

type Prec = 'atom' | 'sum' | 'prod';
interface Item { value: number; expr: string; prec: Prec; steps: string[] }

function combine(a: Item, b: Item, op: '+' | '-' | '*' | '/'): Item | null {
  // order so that - and / give positive integers: big op small
  const [x, y] = a.value >= b.value ? [a, b] : [b, a];
  let value: number;
  let expr: string;
  const paren = (it: Item, when: boolean) => (when ? `(${it.expr})` : it.expr);
  switch (op) {
    case '+': value = x.value + y.value; expr = `${x.expr} + ${y.expr}`; break;
    case '-':
      value = x.value - y.value;
      if (value <= 0) return null;
      expr = `${x.expr} - ${paren(y, y.prec === 'sum')}`; break;
    case '*':
      if (x.value === 1 || y.value === 1) return null; // gains nothing
      value = x.value * y.value; expr = `${paren(x, x.prec === 'sum')} * ${paren(y, y.prec === 'sum')}`; break;
    case '/':
      if (y.value <= 1 || x.value % y.value !== 0) return null;
      value = x.value / y.value; expr = `${paren(x, x.prec === 'sum')} / ${paren(y, y.prec !== 'atom')}`; break;
  }
  return {
    value, expr, prec: op === '+' || op === '-' ? 'sum' : 'prod',
    steps: [...x.steps, ...y.steps, `${x.value}${op}${y.value}=${value}`],
  };
}

/** Finds a solution by depth-first search; null when there is none under these rules. */
export function solveCountdown(numbers: readonly number[], target: number): Item | null {
  const start: Item[] = numbers.map((n) => ({ value: n, expr: String(n), prec: 'atom', steps: [] }));
  const hit = start.find((it) => it.value === target);
  if (hit) return hit;
  const failed = new Set<string>();
  const dfs = (items: Item[]): Item | null => {
    if (items.length < 2) return null;
    const key = items.map((it) => it.value).sort((p, q) => p - q).join(',');
    if (failed.has(key)) return null;
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const rest = items.filter((_, k) => k !== i && k !== j);
        for (const op of ['+', '-', '*', '/'] as const) {
          const c = combine(items[i]!, items[j]!, op);
          if (!c) continue;
          if (c.value === target) return c;
          const found = dfs([...rest, c]);
          if (found) return found;
        }
      }
    }
    failed.add(key);
    return null;
  };
  return dfs(start);
}

/** Builds a random solvable instance by combining all the numbers with random valid operations. */
function randomInstance(rng: Rng, level: (typeof LEVELS)[number]): { numbers: number[]; target: number } | null {
  const numbers = Array.from({ length: level.count }, () => rng.int(1, level.maxNumber));
  let vals = numbers.slice();
  while (vals.length > 1) {
    const i = rng.int(0, vals.length - 1);
    let j = rng.int(0, vals.length - 2);
    if (j >= i) j++;
    const [x, y] = vals[i]! >= vals[j]! ? [vals[i]!, vals[j]!] : [vals[j]!, vals[i]!];
    const ops: number[] = [x + y];
    if (x > y) ops.push(x - y);
    if (y > 1 && x * y <= 10 * level.maxTarget) ops.push(x * y);
    if (y > 1 && x % y === 0) ops.push(x / y);
    vals = vals.filter((_, k) => k !== i && k !== j);
    vals.push(rng.pick(ops));
  }
  const target = vals[0]!;
  if (target < MIN_TARGET || target > level.maxTarget || numbers.includes(target)) return null;
  return { numbers, target };
}

export const countdown: Task = {
  name: 'countdown',
  summary: 'reach a target from d + 2 numbers with + - * /, each at most once',
  difficulty: { min: 1, max: LEVELS.length },
  generate(rng, difficulty) {
    checkDifficulty(countdown, difficulty);
    const level = LEVELS[difficulty - 1]!;
    for (let attempt = 0; attempt < 10000; attempt++) {
      const inst = randomInstance(rng, level);
      if (!inst) continue;
      const sol = solveCountdown(inst.numbers, inst.target)!; // solvable by construction
      return { question: countdownQuestion(inst.numbers, inst.target), answer: sol.expr, task: 'countdown' };
    }
    throw new Error('countdown: no instance in range after 10000 attempts'); // a bug, not user input
  },
  verify(answerText, problem) {
    const { numbers, target } = parseCountdownQuestion(problem.question, problem.task);
    return checkCountdown(extractCountdownExpression(answerText), numbers, target);
  },
  solveWithSteps(problem) {
    const { numbers, target } = parseCountdownQuestion(problem.question, problem.task);
    const sol = solveCountdown(numbers, target);
    if (!sol) return 'no solution found\nnone';
    return [...sol.steps, sol.expr].join('\n');
  },
};
