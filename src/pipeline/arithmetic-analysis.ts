// What a model's column reasoning looks like, and where it goes wrong: each completion's think
// block is compared line by line with the reference trace, and the first wrong line is classified.
import type { Rollout } from '../rl/rollout.ts';
import { verifyProblem } from '../tasks/registry.ts';
import { traceOf } from './arithmetic-data.ts';

export type ErrorKind = 'step arithmetic' | 'copy' | 'result line' | 'row or sum header' | 'stops early' | 'answer';

export interface ReasoningStats {
  n: number;
  accuracy: number;
  /** Mean completion length in tokens. */
  meanTokens: number;
  /** Mean number of lines in the think block. */
  meanSteps: number;
  /** Lines that verify a partial result: a result line ("=...") that is one of the reference's (right for its steps). */
  meanChecks: number;
  /** Wrong completions by the kind of their first wrong line. */
  errors: Record<ErrorKind, number>;
}

const STEP = /^(\S+) (?:(\S+) )?(1?\d)([-+*])(\d)([-+])(\d)=(\d+) (\d+)$/;

/** Is a step line's own arithmetic right ("347 7*8+0=56 6": 7*8+0 = 56; "17-8-0=9": 17-8-0 = 9)? */
export function stepArithmeticHolds(line: string): boolean | null {
  const m = STEP.exec(line.trim());
  if (!m) return null;
  const x = Number(m[3]), y = Number(m[5]), c = Number(m[7]), v = Number(m[8]);
  const first = m[4] === '*' ? x * y : m[4] === '+' ? x + y : x - y;
  return (m[6] === '+' ? first + c : first - c) === v;
}

/**
 * A trace's lines, trimmed, without empty lines or a line that repeats the one above (a one-row
 * product writes its row header twice; models often leave the repeat out, which loses nothing).
 */
export function traceLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l !== '' && l !== out[out.length - 1]) out.push(l);
  }
  return out;
}

/** The kind of the first line where a completion's reasoning leaves the reference trace. */
export function classifyError(reasoning: string, referenceLines: string[]): ErrorKind {
  const got = traceLines(reasoning), reference = traceLines(referenceLines.join('\n'));
  for (let i = 0; i < reference.length; i++) {
    const want = reference[i]!, line = got[i];
    if (line === undefined) return 'stops early';
    if (line === want) continue;
    if (want.startsWith('=')) return 'result line';
    const holds = stepArithmeticHolds(line);
    if (holds === false) return 'step arithmetic';
    if (holds === true || STEP.test(want)) return 'copy';
    return 'row or sum header';
  }
  return 'answer';
}

/** Length, steps, checks and errors by kind over rollouts of column-arithmetic problems. */
export function reasoningStats(rolls: readonly Rollout[]): ReasoningStats {
  const errors: Record<ErrorKind, number> = { 'step arithmetic': 0, copy: 0, 'result line': 0, 'row or sum header': 0, 'stops early': 0, answer: 0 };
  let ok = 0, tokens = 0, steps = 0, checks = 0;
  for (const r of rolls) {
    const reasoning = r.parsed.reasoning ?? '';
    const lines = reasoning.split('\n').filter((l) => l.trim() !== '');
    tokens += r.completion.length;
    steps += lines.length;
    const ref = traceOf(r.problem).split('\n');
    const refThink = ref.slice(0, -1), refResults = new Set(refThink.filter((l) => l.startsWith('=')));
    checks += lines.filter((l) => refResults.has(l.trim())).length;
    let right = false;
    try { right = r.parsed.answer.trim() !== '' && verifyProblem(r.parsed.answer, r.problem); } catch { right = false; }
    if (right) ok++;
    else errors[classifyError(reasoning, refThink)]++;
  }
  const n = rolls.length || 1;
  return { n: rolls.length, accuracy: ok / n, meanTokens: tokens / n, meanSteps: steps / n, meanChecks: checks / n, errors };
}
