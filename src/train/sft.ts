// Supervised fine-tuning on prompt/completion pairs: the loss covers completion tokens only, so
// the model learns to answer, not to write questions. Rows are right-padded (padding after the
// text cannot influence it under a causal mask) and padded positions carry no loss.
import { Transformer } from '../model/transformer.ts';
import { AdamW } from '../optim/adamw.ts';
import { cosineLr } from '../optim/schedule.ts';
import { Rng } from '../tensor/random.ts';
import { trainStep, paramGroups, type Batch } from './step.ts';
import { ProgressBar } from './progress.ts';
import { PonderError } from '../errors.ts';

export interface SftExample {
  prompt: number[];
  completion: number[];
}

export function sftBatch(examples: SftExample[]): Batch {
  const B = examples.length;
  const T = Math.max(...examples.map((e) => e.prompt.length + e.completion.length)) - 1;
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T).fill(-100);
  examples.forEach((e, r) => {
    const seq = [...e.prompt, ...e.completion];
    for (let t = 0; t < seq.length - 1; t++) {
      inputs[r * T + t] = seq[t];
      if (t + 1 >= e.prompt.length) targets[r * T + t] = seq[t + 1];
    }
  });
  return { inputs, targets, B, T };
}

export interface SftOptions {
  steps: number;
  batchSize: number;
  lr: number;
  seed?: number;
  progress?: boolean;
}

/** Fine-tunes model in place; returns the loss of each step. */
export function sft(model: Transformer, examples: SftExample[], o: SftOptions): number[] {
  if (examples.length === 0) throw new PonderError('sft: no examples');
  const opt = new AdamW(paramGroups(model, 0.0));
  const rng = new Rng(o.seed ?? 1);
  const bar = o.progress === false ? null : new ProgressBar(o.steps, 'sft');
  const losses: number[] = [];
  for (let s = 0; s < o.steps; s++) {
    const pick = Array.from({ length: o.batchSize }, () => examples[rng.int(examples.length)]);
    const lr = cosineLr(s, { lr: o.lr, warmupSteps: Math.max(1, Math.floor(o.steps / 10)), totalSteps: o.steps });
    const r = trainStep(model, opt, [sftBatch(pick)], lr);
    losses.push(r.loss);
    bar?.update(s + 1, { loss: r.loss.toFixed(3) });
  }
  return losses;
}
