// Countdown as the search task of the arithmetic preset (TinyZero's task): a base model pretrained
// on search traces in a random order (it searches, but blindly), then GRPO rewarded on the answer
// only, so that the search itself has to get better within the same token budget. Evaluated on
// held-out 3- and 4-number instances, greedy, thinking forced on, before and after.
import { join } from 'node:path';
import { Transformer } from '../model/transformer.ts';
import { validateConfig, type ModelConfig } from '../model/config.ts';
import { trainBpe } from '../tokenizer/index.ts';
import { documentTexts, reasoningStream } from '../data/reasoning.ts';
import { pretrain } from '../train/pretrain.ts';
import { trainGrpo } from '../rl/trainer.ts';
import { rollouts } from '../rl/rollout.ts';
import { countdownSearchTask, searchSolves } from '../tasks/countdown-search.ts';
import { heldOutSet, problemKey, TrainingSampler } from '../tasks/heldout.ts';
import { verifyProblem } from '../tasks/registry.ts';
import { PonderError } from '../errors.ts';
import type { Problem, Task } from '../tasks/types.ts';
import type { Tokenizer } from '../tokenizer/index.ts';

export interface CountdownPreset {
  heldOut: number;
  vocabSize: number;
  model: Omit<ModelConfig, 'vocab_size'>;
  /** Lines of search in a training trace (a search that needs more is not a training document). */
  maxLines: number;
  pretrain: { steps: number; batch: number; seqLen: number; lr: number; maxSeconds: number };
  grpo: { steps: number; prompts: number; group: number; lr: number; maxNewTokens: number; maxSeconds: number };
}

export interface CountdownEval { numbers: number; accuracy: number; meanTokens: number; meanTries: number; examples: { question: string; completion: string; correct: boolean }[] }

export interface CountdownResult {
  base: CountdownEval[];
  afterRl: CountdownEval[];
  rlSteps: number;
  rlDir: string;
  pretrainSteps: number;
  trainingDocuments: number;
}

const LEVELS = [1, 2]; // 3 and 4 numbers

/** Greedy, thinking forced on, per level. */
export function evaluateCountdown(model: Transformer, tok: Tokenizer, sets: Problem[][], maxNewTokens: number): CountdownEval[] {
  return sets.map((problems, i) => {
    const rolls = rollouts(model, tok, problems, { groupSize: 1, maxNewTokens, temperature: 0, mode: 'on', batchSize: 64 });
    const right = rolls.map((r) => { try { return r.parsed.answer.trim() !== '' && verifyProblem(r.parsed.answer, r.problem); } catch { return false; } });
    const tries = rolls.map((r) => (r.parsed.reasoning ?? '').split('\n').filter((l) => /=\d+ (yes|no|->)/.test(l)).length);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    return {
      numbers: LEVELS[i]! + 2, accuracy: mean(right.map(Number)), meanTokens: mean(rolls.map((r) => r.completion.length)), meanTries: mean(tries),
      examples: rolls.slice(0, 2).map((r, k) => ({ question: r.problem.question, completion: r.text, correct: right[k]! })),
    };
  });
}

/** Draws 3- or 4-number problems alike (RL trains on both). */
function mixedLevels(task: Task): Task {
  return { ...task, name: 'countdown-search/3-4', generate: (rng) => task.generate(rng, rng.pick(LEVELS)) };
}

export function runCountdown(p: CountdownPreset, outDir: string, seed: number, log: (l: string) => void, progress?: boolean): CountdownResult {
  const task = countdownSearchTask(p.maxLines);
  const sets = LEVELS.map((d) => heldOutSet(task, d, p.heldOut, seed));
  const held = sets.flat();
  // Pretraining documents: searches that succeed within the budget, never a held-out instance.
  const need = Math.ceil((p.pretrain.steps * p.pretrain.batch * (p.pretrain.seqLen + 1)) / 100) + 2000;
  const sampler = new TrainingSampler(mixedLevels(task), seed, held);
  const docs: Problem[] = [];
  for (let i = 0; docs.length < need; i++) {
    if (i > need * 10) throw new PonderError('countdown: too few instances solvable within the search budget');
    const q = sampler.sample(1);
    if (searchSolves(q, p.maxLines)) docs.push(q);
  }
  const heldKeys = new Set(held.map(problemKey));
  if (docs.some((d) => heldKeys.has(problemKey(d)))) throw new PonderError('countdown: a held-out instance in the training documents');
  const tok = trainBpe(documentTexts(task, docs.slice(0, 5000)), p.vocabSize);
  const model = new Transformer(validateConfig({ ...p.model, vocab_size: Math.max(tok.vocabSize, 64) }), seed);
  log(`countdown: ${docs.length} training searches; held out ${sets.map((s) => s.length).join(' + ')}; ${model.paramCount().toLocaleString()} parameters`);
  const pre = pretrain({
    model, tokenizer: tok, tokens: reasoningStream(tok, task, docs, 1, seed), outDir: join(outDir, 'countdown-base'),
    steps: p.pretrain.steps, batchSize: p.pretrain.batch, seqLen: p.pretrain.seqLen, lr: p.pretrain.lr, evalEvery: 100,
    checkpointEvery: 100000, maxSeconds: p.pretrain.maxSeconds, seed, progress,
  });
  const base = evaluateCountdown(pre.model, tok, sets, p.grpo.maxNewTokens);
  log(`countdown base: ${base.map((e) => `${e.numbers} numbers ${(e.accuracy * 100).toFixed(0)}%`).join(', ')}`);
  const rl = trainGrpo({
    policy: pre.model, tokenizer: tok, task: mixedLevels(task), difficulty: 1, heldOut: held, outDir: join(outDir, 'countdown-rl'),
    steps: p.grpo.steps, promptsPerStep: p.grpo.prompts, groupSize: p.grpo.group, lr: p.grpo.lr, maxNewTokens: p.grpo.maxNewTokens,
    maxSeconds: p.grpo.maxSeconds, seed, progress, checkpointEvery: 100000,
  });
  const afterRl = evaluateCountdown(rl.policy, tok, sets, p.grpo.maxNewTokens);
  log(`countdown after RL: ${afterRl.map((e) => `${e.numbers} numbers ${(e.accuracy * 100).toFixed(0)}%`).join(', ')}`);
  return { base, afterRl, rlSteps: rl.steps, rlDir: 'countdown-rl', pretrainSteps: pre.steps, trainingDocuments: docs.length };
}
