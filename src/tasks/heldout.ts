// Held-out problems, and a training sampler that never yields one of them. Disjointness is by a
// canonical key, checked in code against a Set.
import { PonderError } from '../errors.ts';
import { normaliseText } from './answer.ts';
import { deriveSeed, Rng } from './rng.ts';
import type { Problem, Task } from './types.ts';

/** Two problems with the same key are the same problem: the task and the normalised question. */
export function problemKey(p: Problem): string {
  return `${p.task}\u0000${normaliseText(p.question)}`;
}

const MAX_MISSES = 10000; // consecutive duplicates before we decide the space is exhausted

/** n distinct problems (by key), deterministic in (task, difficulty, n, seed). */
export function heldOutSet(task: Task, difficulty: number, n: number, seed: number): Problem[] {
  if (!Number.isInteger(n) || n < 0) throw new PonderError(`held-out size must be a non-negative integer, got ${n}`);
  const rng = new Rng(deriveSeed(seed, `heldout/${task.name}/${difficulty}`));
  const keys = new Set<string>();
  const out: Problem[] = [];
  let misses = 0;
  while (out.length < n) {
    const p = task.generate(rng, difficulty);
    const k = problemKey(p);
    if (keys.has(k)) {
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

  constructor(readonly task: Task, seed: number, heldOut: Iterable<Problem> = []) {
    this.excluded = new Set([...heldOut].map(problemKey));
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
