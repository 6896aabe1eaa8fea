// The built-in tasks by name, a JSONL file as a task, and the verifier for any problem.
import { PonderError } from '../errors.ts';
import { defaultVerify } from './answer.ts';
import { addition, arithmetic, longMultiplication, multiplication, subtraction } from './arithmetic.ts';
import { columnAddition, columnMultiplication, columnSubtraction } from './columns.ts';
import { countdown } from './countdown.ts';
import { countdownSearchDefault } from './countdown-search.ts';
import { loadJsonlProblems, type SkippedLine } from './jsonl.ts';
import { linear } from './linear.ts';
import type { Problem, Task } from './types.ts';
import { word } from './word.ts';

const TASKS: readonly Task[] = [arithmetic, addition, subtraction, multiplication, longMultiplication, countdown, linear, word,
  columnAddition, columnSubtraction, columnMultiplication, countdownSearchDefault];

export function taskNames(): string[] { return TASKS.map((t) => t.name); }

export function getTask(name: string): Task {
  const t = TASKS.find((x) => x.name === name);
  if (!t) throw new PonderError(`unknown task '${name}' (known: ${taskNames().join(', ')}; or a path to a .jsonl file)`);
  return t;
}

/** The verifier for a problem: its built-in task's when it names one, else the default. */
export function verifyProblem(answerText: string, problem: Problem): boolean {
  const t = TASKS.find((x) => x.name === problem.task);
  return (t ? t.verify : defaultVerify)(answerText, problem);
}

/**
 * A fixed list of problems as a Task: generate() draws one uniformly (difficulty is ignored);
 * verify() and solveWithSteps() use each problem's own task when it names a built-in.
 */
export function problemsTask(name: string, problems: readonly Problem[]): Task {
  if (problems.length === 0) throw new PonderError(`task '${name}': no problems`);
  const task: Task = {
    name,
    summary: `${problems.length} problems from ${name}`,
    difficulty: { min: 1, max: 1 },
    generate(rng) { return rng.pick(problems); },
    verify: verifyProblem,
    solveWithSteps(p) {
      const t = TASKS.find((x) => x.name === p.task);
      if (!t) throw new PonderError(`no reasoning trace for task '${p.task}' (only built-in tasks have one)`);
      return t.solveWithSteps(p);
    },
  };
  return task;
}

/** A built-in name, or a path ending in .jsonl (its bad lines are returned, not thrown). */
export function resolveTask(nameOrPath: string): { task: Task; skipped: SkippedLine[] } {
  if (!nameOrPath.endsWith('.jsonl')) return { task: getTask(nameOrPath), skipped: [] };
  const { problems, skipped } = loadJsonlProblems(nameOrPath);
  if (problems.length === 0) {
    throw new PonderError(`'${nameOrPath}' has no usable problems (${skipped.length} bad lines${
      skipped.length ? `, first: line ${skipped[0]!.line}: ${skipped[0]!.reason}` : ''})`);
  }
  return { task: problemsTask(nameOrPath, problems), skipped };
}
