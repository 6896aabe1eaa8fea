// The default pretraining corpus: works offline on a fresh machine, with nothing to download.
// Generated English stories (src/data/stories.ts) plus problems with worked reasoning from the
// tasks (what the reasoning issue needs), as plain documents. All generated from a seed, so the
// licence is ponder's own (MIT).
import { stories } from './stories.ts';
import { getTask } from '../tasks/registry.ts';
import { problemKey, TrainingSampler } from '../tasks/heldout.ts';
import { evalSetKeys } from '../tasks/evalsets.ts';
import { PonderError } from '../errors.ts';
import type { Problem } from '../tasks/types.ts';
import { reasoningFor } from './reasoning.ts';

export interface CorpusOptions {
  stories?: number;
  problems?: number;
  seed?: number;
}

/** The problem tasks of the default corpus and the difficulty each is drawn at. */
export const CORPUS_TASKS = [
  { name: 'addition', difficulty: 3 }, { name: 'subtraction', difficulty: 3 },
  { name: 'long-multiplication', difficulty: 3 }, { name: 'linear', difficulty: 1 }, { name: 'word', difficulty: 2 },
] as const;

/** Keys the corpus must not contain: every built-in task's default evaluation set at the corpus's difficulties. */
export function corpusExcludedKeys(): Set<string> {
  return evalSetKeys(CORPUS_TASKS.map((t) => t.difficulty));
}

/** The check in code: a corpus problem that is in an evaluation set is a bug, not a warning. */
export function assertDisjoint(problems: readonly Problem[], excluded: ReadonlySet<string>): void {
  const bad = problems.find((p) => excluded.has(problemKey(p)));
  if (bad) throw new PonderError(`default corpus: held-out problem ${JSON.stringify(bad.question)} in the training text`);
}

/** Documents of the default corpus (about 1.3 M tokens with the defaults and a 2k-token BPE). */
export function defaultCorpus(o: CorpusOptions = {}): string[] {
  const seed = o.seed ?? 1;
  const docs = stories(o.stories ?? 20000, seed);
  const per = Math.floor((o.problems ?? 5000) / CORPUS_TASKS.length);
  // Every default evaluation set these problems could collide with stays out of the corpus.
  const excluded = corpusExcludedKeys();
  const drawn: Problem[] = [];
  for (const { name, difficulty } of CORPUS_TASKS) {
    const task = getTask(name);
    for (const p of new TrainingSampler(task, seed, [], excluded).sampleMany(difficulty, per)) {
      drawn.push(p);
      docs.push(`Question: ${p.question}\nReasoning:\n${reasoningFor(task, p)}\nAnswer: ${p.answer}`);
    }
  }
  assertDisjoint(drawn, excluded);
  // Interleave deterministically so both kinds appear throughout the stream (and in validation).
  const r = new Int32Array(docs.length).map((_, i) => i);
  for (let i = r.length - 1; i > 0; i--) {
    const j = (i * 2654435761) % (i + 1);
    [r[i], r[j]] = [r[j], r[i]];
  }
  return Array.from(r, (i) => docs[i]);
}
