// Held-out problems, and a training sampler that never yields one of them. Disjointness is by a
// canonical key, checked in code against a Set.
import { PonderError } from '../errors.ts';
import { normaliseText } from './answer.ts';
import { deriveSeed, Rng } from './rng.ts';
import type { Problem, Task } from './types.ts';

/**
 * Two problems with the same key are the same problem: the normalised question. The task name is
 * not part of it, so "What is 3 * 4?" from `arithmetic` and from `multiplication` (or a JSONL line)
 * is one problem, held out from all of them at once.
 */
export function problemKey(p: Pick<Problem, 'question'>): string {
  return normaliseText(p.question);
}

/** What `ponder eval` scores when given a built-in task and no --n/--seed: heldOutSet(task, d, 500, 1). */
export const EVAL_DEFAULTS = { n: 500, seed: 1 } as const;

/** The share of a problem file that `ponder rl` holds out and `ponder eval` scores. */
export const FILE_HELD_OUT_FRACTION = 0.2;

const MAX_MISSES = 10000; // consecutive duplicates before we decide the space is exhausted

/** n distinct problems (by key), deterministic in (task, difficulty, n, seed). */
export function heldOutSet(task: Task, difficulty: number, n: number, seed: number): Problem[] {
  return distinctProblems(task, difficulty, n, new Rng(deriveSeed(seed, `heldout/${task.name}/${difficulty}`)), new Set());
}

/**
 * n distinct problems for a person to look at (`ponder tasks sample`): drawn from their own
 * stream and never one whose key is in `exclude` (the evaluation sets).
 */
export function sampleSet(task: Task, difficulty: number, n: number, seed: number, exclude: Iterable<Problem>): Problem[] {
  const ex = new Set([...exclude].map(problemKey));
  return distinctProblems(task, difficulty, n, new Rng(deriveSeed(seed, `sample/${task.name}/${difficulty}`)), ex);
}

function distinctProblems(task: Task, difficulty: number, n: number, rng: Rng, exclude: ReadonlySet<string>): Problem[] {
  if (!Number.isInteger(n) || n < 0) throw new PonderError(`held-out size must be a non-negative integer, got ${n}`);
  const keys = new Set<string>();
  const out: Problem[] = [];
  let misses = 0;
  while (out.length < n) {
    const p = task.generate(rng, difficulty);
    const k = problemKey(p);
    if (keys.has(k) || exclude.has(k)) {
      if (++misses > MAX_MISSES) {
        throw new PonderError(`task '${task.name}' difficulty ${difficulty}: only ${out.length} distinct problems found, asked for ${n}`);
      }
      continue;
    }
    misses = 0;
    keys.add(k);
    out.push(p);
  }
  return out;
}

/** Draws training problems, skipping any whose key is in the excluded (held-out) set. */
export class TrainingSampler {
  readonly excluded: ReadonlySet<string>;
  private rng: Rng;
  /** How many drawn problems were rejected as held out. */
  rejected = 0;

  /** excludedKeys: more keys to skip (a union of evaluation sets, see evalsets.ts). */
  constructor(readonly task: Task, seed: number, heldOut: Iterable<Problem> = [], excludedKeys: Iterable<string> = []) {
    this.excluded = new Set([...[...heldOut].map(problemKey), ...excludedKeys]);
    this.rng = new Rng(deriveSeed(seed, `train/${task.name}`));
  }

  /** One problem at this difficulty (a curriculum may change it between calls). */
  sample(difficulty: number): Problem {
    for (let i = 0; i < MAX_MISSES; i++) {
      const p = this.task.generate(this.rng, difficulty);
      if (!this.excluded.has(problemKey(p))) return p;
      this.rejected++;
    }
    throw new PonderError(`task '${this.task.name}' difficulty ${difficulty}: every drawn problem is held out`);
  }

  sampleMany(difficulty: number, n: number): Problem[] {
    return Array.from({ length: n }, () => this.sample(difficulty));
  }
}

export interface FileSplit { train: Problem[]; heldOut: Problem[] }

/**
 * Splits a fixed problem list (a JSONL file) into training and held-out problems. Deterministic
 * in the problems' content only (no seed, no line order), so `ponder rl` and `ponder eval` given
 * the same file always agree: a problem is held out when its key's hash is among the lowest
 * ceil(fraction x distinct keys); copies of a question share a key, so they fall on one side.
 * At least one distinct problem stays on each side when there are two or more.
 */
export function splitProblems(problems: readonly Problem[], fraction = FILE_HELD_OUT_FRACTION): FileSplit {
  if (!(fraction >= 0 && fraction < 1)) throw new PonderError(`held-out fraction must be in [0, 1), got ${fraction}`);
  const keys = [...new Set(problems.map(problemKey))];
  const want = keys.length < 2 ? 0 : Math.min(keys.length - 1, Math.ceil(fraction * keys.length));
  const ranked = keys.map((k) => ({ k, h: deriveSeed(0, k) })).sort((a, b) => a.h - b.h || (a.k < b.k ? -1 : 1));
  const held = new Set(ranked.slice(0, want).map((x) => x.k));
  return { train: problems.filter((p) => !held.has(problemKey(p))), heldOut: problems.filter((p) => held.has(problemKey(p))) };
}
