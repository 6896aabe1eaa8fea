// Linear equations in one unknown with an integer solution: "Solve for x: 3x + 7 = 22."
// Difficulty: 1  ax + b = c
//             2  ax + b = cx + d
//             3  a(x + b) = cx + d
//             4  a(x + b) + c = d(x + e) + f     (coefficients and x grow with the level)
import { defaultVerify } from './answer.ts';
import type { Rng } from './rng.ts';
import { badQuestion, checkDifficulty, type Task } from './types.ts';

/** A side of an equation as A·x + B. */
export interface Lin { a: number; b: number }

// --- formatting ---
const coefX = (a: number) => (a === 1 ? 'x' : a === -1 ? '-x' : `${a}x`);
/** " + 7" / " - 7" / "" */
const plus = (b: number) => (b === 0 ? '' : b > 0 ? ` + ${b}` : ` - ${-b}`);
export function formatLin({ a, b }: Lin): string {
  return a === 0 ? `${b}` : `${coefX(a)}${plus(b)}`;
}
const paren = (a: number, b: number) => `${a === 1 ? '' : a === -1 ? '-' : a}(x${plus(b)})`;
/** p - q written without "- -": "22 - 7", "-1 + 21". */
const minus = (p: number, q: number) => `${p}${plus(-q)}`;

// --- parsing a side: terms like 3x, -x, 7, 3(x - 2), joined by + and - ---
export function parseSide(s: string): Lin | null {
  const toks = s.replace(/\s+/g, '').match(/\d+|[x()+-]|./g) ?? [];
  let pos = 0;
  const side = (): Lin | null => {
    let acc: Lin = { a: 0, b: 0 };
    let first = true;
    while (pos < toks.length && toks[pos] !== ')') {
      let sign = 1;
      if (toks[pos] === '+' || toks[pos] === '-') { sign = toks[pos] === '-' ? -1 : 1; pos++; }
      else if (!first) return null;
      let k: number | null = null;
      if (/^\d+$/.test(toks[pos] ?? '')) { k = Number(toks[pos]); pos++; }
      let t: Lin;
      if (toks[pos] === 'x') { pos++; t = { a: k ?? 1, b: 0 }; }
      else if (toks[pos] === '(') {
        pos++;
        const inner = side();
        if (!inner || toks[pos] !== ')') return null;
        pos++;
        t = { a: (k ?? 1) * inner.a, b: (k ?? 1) * inner.b };
      } else if (k !== null) t = { a: 0, b: k };
      else return null;
      acc = { a: acc.a + sign * t.a, b: acc.b + sign * t.b };
      first = false;
    }
    return first ? null : acc;
  };
  const r = side();
  return r && pos === toks.length ? r : null;
}

export function parseEquation(question: string, task = 'linear'): { left: string; right: string } {
  const m = /^Solve for x: (.+) = (.+)\.$/.exec(question.trim());
  if (!m) throw badQuestion(task, question);
  return { left: m[1]!, right: m[2]! };
}

function nonZero(rng: Rng, lo: number, hi: number): number {
  for (;;) { const v = rng.int(lo, hi); if (v !== 0) return v; }
}

/** Builds the two sides as text for a chosen solution x. */
function generateSides(rng: Rng, level: number, x: number): [string, string] {
  switch (level) {
    case 1: {
      const a = rng.int(2, 9), b = rng.int(1, 20) * (rng.int(0, 3) === 0 ? -1 : 1);
      return [formatLin({ a, b }), `${a * x + b}`];
    }
    case 2: {
      const a = rng.int(2, 12);
      let c = rng.int(1, 12);
      if (c === a) c = a - 1;
      const b = rng.int(-30, 30);
      const d = a * x + b - c * x;
      return [formatLin({ a, b }), formatLin({ a: c, b: d })];
    }
    case 3: {
      const a = rng.int(2, 12), b = nonZero(rng, -15, 15);
      let c = nonZero(rng, -12, 12);
      if (c === a) c = a + 1;
      const d = a * (x + b) - c * x;
      return [paren(a, b), formatLin({ a: c, b: d })];
    }
    default: {
      const a = rng.int(2, 20), b = nonZero(rng, -20, 20), c = rng.int(-30, 30);
      let d = rng.int(2, 20);
      if (d === a) d = a + 1;
      const e = nonZero(rng, -20, 20);
      const f = a * (x + b) + c - d * (x + e);
      return [`${paren(a, b)}${plus(c)}`, `${paren(d, e)}${plus(f)}`];
    }
  }
}

const X_RANGE = [0, [0, 12], [-15, 15], [-20, 20], [-30, 30]] as const;

export const linear: Task = {
  name: 'linear',
  summary: 'solve a linear equation in x with an integer solution (4 levels)',
  difficulty: { min: 1, max: 4 },
  generate(rng, difficulty) {
    checkDifficulty(linear, difficulty);
    const [lo, hi] = X_RANGE[difficulty] as readonly [number, number];
    const x = rng.int(lo, hi);
    const [l, r] = generateSides(rng, difficulty, x);
    return { question: `Solve for x: ${l} = ${r}.`, answer: String(x), task: 'linear' };
  },
  verify: defaultVerify,
  /** Expand, move x terms left and numbers right, combine, divide. */
  solveWithSteps(problem) {
    const { left, right } = parseEquation(problem.question, problem.task);
    const L = parseSide(left), R = parseSide(right);
    if (!L || !R || L.a === R.a) throw badQuestion(problem.task, problem.question);
    const lines: string[] = [];
    if (left.includes('(') || right.includes('(')) lines.push(`${formatLin(L)} = ${formatLin(R)}`);
    const A = L.a - R.a, B = R.b - L.b;
    if (R.a !== 0) lines.push(`${coefX(L.a)} ${R.a > 0 ? '-' : '+'} ${coefX(Math.abs(R.a))} = ${minus(R.b, L.b)}`);
    else if (L.b !== 0) lines.push(`${coefX(L.a)} = ${minus(R.b, L.b)}`);
    lines.push(`${coefX(A)} = ${B}`);
    if (B % A !== 0) throw badQuestion(problem.task, problem.question); // not an integer solution
    if (A !== 1) lines.push(`x = ${B} / ${A}`);
    lines.push(String(B / A));
    return lines.join('\n');
  },
};
