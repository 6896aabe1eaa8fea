// Countdown with reasoning that searches: try a combination, check it, back up, try another.
// Each line restates the numbers still in play, so a line needs only the one above it:
//   [9, 4, 2] 9*4=36 -> [2, 36]
//   [2, 36] 36+2=38 no
//   [2, 36] 36-2=34 no
//   [9, 4, 2] 9+4=13 -> [2, 13]
//   [2, 13] 13-2=11 yes
// The order of tries is a seeded shuffle (from the question), so the trace shows search, not a
// recipe; the search stops after a budget of lines ("give up") so that the task rewards searching
// well: a model that tries promising combinations first solves more within its budget. Training
// text should use the traces that succeed (see searchSolves).
import { checkCountdown, countdown, parseCountdownQuestion } from './countdown.ts';
import { deriveSeed, Rng } from './rng.ts';
import type { Problem, Task } from './types.ts';

interface Node { value: number; expr: string; sum: boolean }

const OPS = ['+', '-', '*', '/'] as const;

function apply(x: Node, y: Node, op: (typeof OPS)[number]): Node | null {
  const [a, b] = x.value >= y.value ? [x, y] : [y, x];
  const wrap = (n: Node, need: boolean) => (need ? `(${n.expr})` : n.expr);
  switch (op) {
    case '+': return { value: a.value + b.value, expr: `${a.expr} + ${b.expr}`, sum: true };
    case '-': return a.value > b.value ? { value: a.value - b.value, expr: `${a.expr} - ${wrap(b, b.sum)}`, sum: true } : null;
    case '*': return a.value > 1 && b.value > 1 ? { value: a.value * b.value, expr: `${wrap(a, a.sum)} * ${wrap(b, b.sum)}`, sum: false } : null;
    case '/': return b.value > 1 && a.value % b.value === 0 ? { value: a.value / b.value, expr: `${wrap(a, a.sum)} / ${wrap(b, true)}`, sum: false } : null;
  }
}

const state = (ns: readonly Node[]) => `[${ns.map((n) => n.value).join(', ')}]`;

export interface SearchTrace { lines: string[]; solution: string | null }

/** A depth-first search in a seeded random order, written line by line, within maxLines. */
export function countdownSearch(numbers: readonly number[], target: number, seed: number, maxLines: number): SearchTrace {
  const rng = new Rng(seed);
  const lines: string[] = [];
  const dfs = (ns: Node[]): string | null => {
    const moves: [number, number, (typeof OPS)[number]][] = [];
    for (let i = 0; i < ns.length; i++) for (let j = i + 1; j < ns.length; j++) for (const op of OPS) moves.push([i, j, op]);
    for (const [i, j, op] of rng.shuffle(moves)) {
      if (lines.length >= maxLines) return null;
      const c = apply(ns[i]!, ns[j]!, op);
      if (!c) continue;
      const [a, b] = ns[i]!.value >= ns[j]!.value ? [ns[i]!, ns[j]!] : [ns[j]!, ns[i]!];
      const step = `${state(ns)} ${a.value}${op}${b.value}=${c.value}`;
      const rest = ns.filter((_, k) => k !== i && k !== j);
      if (c.value === target) { lines.push(`${step} yes`); return c.expr; }
      if (rest.length === 0) { lines.push(`${step} no`); continue; }
      const next = [...rest, c];
      lines.push(`${step} -> ${state(next)}`);
      const found = dfs(next);
      if (found !== null || lines.length >= maxLines) return found;
    }
    return null;
  };
  const solution = dfs(numbers.map((n) => ({ value: n, expr: String(n), sum: false })));
  if (solution === null) lines.push('give up');
  return { lines, solution };
}

/** The trace's seed: from the question, so a problem always has the same trace. */
const questionSeed = (q: string) => deriveSeed(0, `countdown-search/${q}`);

/** Countdown with search traces (difficulty as countdown's: d + 2 numbers); the budget is lines of search. */
export function countdownSearchTask(maxLines = 16): Task {
  return {
    name: 'countdown-search',
    summary: 'Countdown with search traces: try, check, back up (difficulty as countdown)',
    difficulty: countdown.difficulty,
    generate: (rng, d) => ({ ...countdown.generate(rng, d), task: 'countdown-search' }),
    verify: countdown.verify,
    solveWithSteps(p: Problem) {
      const { numbers, target } = parseCountdownQuestion(p.question, p.task);
      const t = countdownSearch(numbers, target, questionSeed(p.question), maxLines);
      // A search that gives up has no answer ("none", which never verifies), as countdown's own trace.
      if (t.solution === null) return [...t.lines, 'none'].join('\n');
      if (!checkCountdown(t.solution, numbers, target)) throw new Error(`countdown search: ${t.solution} does not reach ${target}`);
      return [...t.lines, t.solution].join('\n');
    },
  };
}

export const countdownSearchDefault = countdownSearchTask();

/** Does the problem's search trace find a solution within the budget? */
export function searchSolves(p: Problem, maxLines = 16): boolean {
  const { numbers, target } = parseCountdownQuestion(p.question, p.task);
  return countdownSearch(numbers, target, questionSeed(p.question), maxLines).solution !== null;
}
