// The evaluation sets ponder scores by default, in one place, so that everything that makes
// training text (the default pretraining corpus, `ponder tasks sample`) can keep clear of them.
import { PonderError } from '../errors.ts';
import { EVAL_DEFAULTS, heldOutSet, problemKey } from './heldout.ts';
import { getTask, taskNames } from './registry.ts';
import type { Problem, Task } from './types.ts';

/** What `ponder eval --task NAME --difficulty d` scores without --n or --seed. */
export function defaultEvalSet(task: Task, difficulty: number): Problem[] {
  return heldOutSet(task, difficulty, EVAL_DEFAULTS.n, EVAL_DEFAULTS.seed);
}

/**
 * Keys of every default evaluation set a generated problem at these difficulties could collide
 * with: each built-in task's default set at each of the difficulties (keys ignore the task name,
 * so `arithmetic`'s set guards `addition`'s documents too), plus any extra sets given.
 */
export function evalSetKeys(difficulties: readonly number[], extra: readonly Problem[] = []): Set<string> {
  const keys = new Set(extra.map(problemKey));
  for (const name of taskNames()) {
    const t = getTask(name);
    for (const d of new Set(difficulties)) {
      if (d < t.difficulty.min || d > t.difficulty.max) continue;
      let set: Problem[];
      try { set = defaultEvalSet(t, d); } catch (e) {
        // A space smaller than the default set (1-digit arithmetic) has no default evaluation set:
        // `ponder eval` refuses it without a smaller --n, so there is nothing to keep clear of.
        if (e instanceof PonderError && /distinct problems/.test(e.message)) continue;
        throw e;
      }
      for (const p of set) keys.add(problemKey(p));
    }
  }
  return keys;
}
