// The default pretraining corpus: works offline on a fresh machine, with nothing to download.
// Generated English stories (src/data/stories.ts) plus problems with worked reasoning from the
// tasks (what the reasoning issue needs), as plain documents. All generated from a seed, so the
// licence is ponder's own (MIT).
import { stories } from './stories.ts';
import { getTask } from '../tasks/registry.ts';
import { TrainingSampler } from '../tasks/heldout.ts';
import { reasoningFor } from './reasoning.ts';

export interface CorpusOptions {
  stories?: number;
  problems?: number;
  seed?: number;
}

/** Documents of the default corpus (about 1.3 M tokens with the defaults and a 2k-token BPE). */
export function defaultCorpus(o: CorpusOptions = {}): string[] {
  const seed = o.seed ?? 1;
  const docs = stories(o.stories ?? 20000, seed);
  const tasks = ['addition', 'subtraction', 'long-multiplication', 'linear', 'word'];
  const per = Math.floor((o.problems ?? 5000) / tasks.length);
  for (const name of tasks) {
    const task = getTask(name);
    const difficulty = name === 'long-multiplication' ? 3 : name === 'word' ? 2 : name === 'linear' ? 1 : 3;
    for (const p of new TrainingSampler(task, seed, []).sampleMany(difficulty, per)) {
      docs.push(`Question: ${p.question}\nReasoning:\n${reasoningFor(task, p)}\nAnswer: ${p.answer}`);
    }
  }
  // Interleave deterministically so both kinds appear throughout the stream (and in validation).
  const r = new Int32Array(docs.length).map((_, i) => i);
  for (let i = r.length - 1; i > 0; i--) {
    const j = (i * 2654435761) % (i + 1);
    [r[i], r[j]] = [r[j], r[i]];
  }
  return Array.from(r, (i) => docs[i]);
}
