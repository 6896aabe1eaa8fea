// What a checkable problem and a task are.
import { PonderError } from '../errors.ts';
import type { Rng } from './rng.ts';

export interface Problem {
  question: string;
  /** The reference answer as text: an integer for numeric tasks, an expression for Countdown. */
  answer: string;
  /** The task that made it (a built-in name, or the JSONL line's "task", or "jsonl"). */
  task: string;
}

export interface Task {
  name: string;
  /** One line for `ponder tasks list`. */
  summary: string;
  /** Valid difficulty levels, inclusive. */
  difficulty: { min: number; max: number };
  generate(rng: Rng, difficulty: number): Problem;
  /** Does the model's answer text (the part after </think>) solve the problem? */
  verify(answerText: string, problem: Problem): boolean;
  /** Step-by-step reasoning a model can learn to write inside <think>; its last line is the answer. */
  solveWithSteps(problem: Problem): string;
}

export function checkDifficulty(task: Pick<Task, 'name' | 'difficulty'>, difficulty: number): void {
  const { min, max } = task.difficulty;
  if (!Number.isInteger(difficulty) || difficulty < min || difficulty > max) {
    throw new PonderError(`task '${task.name}': difficulty must be an integer in ${min}..${max}, got ${difficulty}`);
  }
}

/** A question that a task's own parser cannot read back (e.g. a hand-written JSONL line). */
export function badQuestion(task: string, question: string): PonderError {
  const q = question.length > 80 ? `${question.slice(0, 77)}...` : question;
  return new PonderError(`task '${task}': cannot read the question ${JSON.stringify(q)}`);
}
