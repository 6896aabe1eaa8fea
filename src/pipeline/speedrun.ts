// The speedrun: the whole pipeline that makes ponder's embedded reasoning model, on a laptop CPU.
//   1. problems: a seeded held-out set, and training problems that never include it
//   2. tokenizer: byte-level BPE trained on the training documents
//   3. base A: pretraining on chat documents, half of which reason inside <think>
//   4. base C: a little more pretraining on documents that rarely reason (R1-Zero's start)
//   5. R1-Zero: GRPO straight from base C, rewarded on the answer only
//   6. R1: a short cold-start SFT of base C on reasoning traces, then the same GRPO
//   7. evaluation before and after (greedy, pass@k, maj@k; thinking free, forced on, forced off)
//   8. report.md with charts and a before/after table
import { join } from 'node:path';
import { mkdirSync, cpSync, rmSync } from 'node:fs';
import { Transformer } from '../model/transformer.ts';
import { validateConfig, type ModelConfig } from '../model/config.ts';
import { trainBpe, type Tokenizer } from '../tokenizer/index.ts';
import { getTask } from '../tasks/registry.ts';
import { heldOutSet, TrainingSampler } from '../tasks/heldout.ts';
import type { Problem } from '../tasks/types.ts';
import { documentTexts, reasoningStream, sftExamples } from '../data/reasoning.ts';
import { pretrain } from '../train/pretrain.ts';
import { sft } from '../train/sft.ts';
import { saveCheckpoint } from '../io/checkpoint.ts';
import { trainGrpo } from '../rl/trainer.ts';
import { evaluate, type EvalResult } from '../eval/evaluate.ts';
import { writeReport, type StageReport } from './report.ts';

export interface SpeedrunPreset {
  task: string;
  difficulty: number;
  heldOut: number;
  vocabSize: number;
  model: Omit<ModelConfig, 'vocab_size'>;
  /** Pretraining of base A: steps, batch, sequence length, learning rate, think share. */
  baseA: { steps: number; batch: number; seqLen: number; lr: number; thinkFraction: number; maxSeconds: number };
  baseC: { steps: number; lr: number; thinkFraction: number; maxSeconds: number };
  coldStart: { examples: number; steps: number; batch: number; lr: number };
  grpo: { steps: number; prompts: number; group: number; lr: number; maxNewTokens: number; maxSeconds: number };
  evalK: number;
  /** Run the R1 path (cold start + RL) as well as R1-Zero. */
  r1: boolean;
}

const SMALL_MODEL = { d_model: 128, n_layers: 4, n_heads: 4, n_kv_heads: 4, d_ff: 352, max_seq_len: 128, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true };

export const PRESETS: Record<string, SpeedrunPreset> = {
  // The R1-Zero run on 3-digit by 2-digit products (the embedded model before the assistant
  // speedrun; `--preset r1-zero`): at most 30 minutes on the 2-core reference machine.
  'r1-zero': {
    task: 'long-multiplication', difficulty: 3, heldOut: 500, vocabSize: 512, model: SMALL_MODEL,
    baseA: { steps: 3000, batch: 32, seqLen: 128, lr: 3e-3, thinkFraction: 0.5, maxSeconds: 900 },
    baseC: { steps: 400, lr: 1e-3, thinkFraction: 0.05, maxSeconds: 150 },
    coldStart: { examples: 400, steps: 60, batch: 32, lr: 5e-4 },
    grpo: { steps: 150, prompts: 32, group: 8, lr: 5e-5, maxNewTokens: 64, maxSeconds: 400 },
    evalK: 8, r1: true,
  },
  // CI's shortened pipeline: a few minutes, asserts that RL raises the reward.
  ci: {
    task: 'multiplication', difficulty: 2, heldOut: 200, vocabSize: 320,
    model: { ...SMALL_MODEL, d_model: 64, n_layers: 2, n_heads: 2, n_kv_heads: 2, d_ff: 192, max_seq_len: 96 },
    baseA: { steps: 2500, batch: 32, seqLen: 96, lr: 3e-3, thinkFraction: 0.5, maxSeconds: 120 },
    baseC: { steps: 150, lr: 1e-3, thinkFraction: 0.05, maxSeconds: 20 },
    coldStart: { examples: 200, steps: 20, batch: 16, lr: 5e-4 },
    grpo: { steps: 60, prompts: 16, group: 8, lr: 2e-4, maxNewTokens: 64, maxSeconds: 90 },
    evalK: 4, r1: false,
  },
};

export interface SpeedrunResult {
  outDir: string;
  stages: StageReport[];
  /** The model the run ends with (R1-Zero's policy), saved at outDir/final. */
  finalDir: string;
}

export interface SpeedrunOptions {
  preset: SpeedrunPreset;
  outDir: string;
  seed?: number;
  progress?: boolean;
  log?: (line: string) => void;
}

function evalAll(model: Transformer, tok: Tokenizer, problems: Problem[], p: SpeedrunPreset, seed: number): Record<string, EvalResult> {
  const maxNewTokens = p.grpo.maxNewTokens;
  return {
    free: evaluate(model, tok, problems, { mode: 'free', k: p.evalK, maxNewTokens, seed }),
    on: evaluate(model, tok, problems, { mode: 'on', maxNewTokens }),
    off: evaluate(model, tok, problems, { mode: 'off', maxNewTokens }),
  };
}

function copyModel(m: Transformer): Transformer {
  const c = new Transformer(m.config);
  c.parameters().forEach((p, i) => p.data.set(m.parameters()[i].data));
  return c;
}

export function speedrun(o: SpeedrunOptions): SpeedrunResult {
  const p = o.preset, seed = o.seed ?? 1, log = o.log ?? ((l: string) => console.error(l));
  const t0 = performance.now();
  const since = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`;
  mkdirSync(o.outDir, { recursive: true });
  const task = getTask(p.task);

  // 1. Problems. The held-out set is excluded from every training document and RL prompt.
  const held = heldOutSet(task, p.difficulty, p.heldOut, seed);
  const docsNeeded = Math.ceil((p.baseA.steps * p.baseA.batch * (p.baseA.seqLen + 1)) / 40) + 1000;
  const sampler = new TrainingSampler(task, seed, held);
  const trainProblems = sampler.sampleMany(p.difficulty, docsNeeded);
  log(`[${since()}] ${trainProblems.length} training problems, ${held.length} held out (${task.name}, difficulty ${p.difficulty})`);

  // 2. Tokenizer.
  const tok = trainBpe(documentTexts(task, trainProblems.slice(0, 20000)), p.vocabSize);
  const config = validateConfig({ ...p.model, vocab_size: Math.max(tok.vocabSize, 64) });
  log(`[${since()}] tokenizer: ${tok.vocabSize} tokens`);

  // 3. Base A: half the documents reason.
  const streamA = reasoningStream(tok, task, trainProblems, p.baseA.thinkFraction, seed);
  const baseA = new Transformer(config, seed);
  log(`[${since()}] base A: ${baseA.paramCount().toLocaleString()} parameters, ${streamA.length.toLocaleString()} tokens`);
  const preA = pretrain({
    model: baseA, tokenizer: tok, tokens: streamA, outDir: join(o.outDir, 'base-a'), steps: p.baseA.steps,
    batchSize: p.baseA.batch, seqLen: p.baseA.seqLen, lr: p.baseA.lr, evalEvery: 100, checkpointEvery: 1000,
    maxSeconds: p.baseA.maxSeconds, seed, progress: o.progress,
  });
  log(`[${since()}] base A: val loss ${preA.valLoss.toFixed(3)} after ${preA.steps} steps (${preA.tokensPerSecond.toFixed(0)} tok/s)`);

  // 4. Base C: mostly direct answers, so the model rarely chooses to reason.
  const streamC = reasoningStream(tok, task, trainProblems, p.baseC.thinkFraction, seed + 1);
  const preC = pretrain({
    model: preA.model, tokenizer: tok, tokens: streamC, outDir: join(o.outDir, 'base-c'), steps: p.baseC.steps,
    batchSize: p.baseA.batch, seqLen: p.baseA.seqLen, lr: p.baseC.lr, warmupSteps: 10, evalEvery: 50,
    checkpointEvery: 10000, maxSeconds: p.baseC.maxSeconds, seed: seed + 1, progress: o.progress,
  });
  const baseC = preC.model;
  log(`[${since()}] base C: val loss ${preC.valLoss.toFixed(3)}`);
  const evalC = evalAll(baseC, tok, held, p, seed);
  log(`[${since()}] base C: greedy ${(evalC.free.pass1 * 100).toFixed(1)}%, reasons ${(evalC.free.reasoningFraction * 100).toFixed(1)}%, forced on ${(evalC.on.pass1 * 100).toFixed(1)}%, off ${(evalC.off.pass1 * 100).toFixed(1)}%`);
  const stages: StageReport[] = [{ name: 'base C (start)', evals: evalC }];

  // 5. R1-Zero: RL straight from the base.
  const rlOpts = {
    tokenizer: tok, task, difficulty: p.difficulty, heldOut: held, steps: p.grpo.steps, promptsPerStep: p.grpo.prompts,
    groupSize: p.grpo.group, lr: p.grpo.lr, maxNewTokens: p.grpo.maxNewTokens, maxSeconds: p.grpo.maxSeconds, seed,
    progress: o.progress, checkpointEvery: 1000,
  };
  const zero = trainGrpo({ ...rlOpts, policy: copyModel(baseC), outDir: join(o.outDir, 'r1-zero') });
  const evalZero = evalAll(zero.policy, tok, held, p, seed);
  log(`[${since()}] R1-Zero: greedy ${(evalZero.free.pass1 * 100).toFixed(1)}%, reasons ${(evalZero.free.reasoningFraction * 100).toFixed(1)}%`);
  stages.push({ name: 'R1-Zero (GRPO from base C)', evals: evalZero, rlDir: 'r1-zero', rlSteps: zero.steps });

  // 6. R1: cold-start SFT on a few hundred reasoning traces, then the same RL.
  if (p.r1) {
    const cold = copyModel(baseC);
    const coldProblems = new TrainingSampler(task, seed + 2, held).sampleMany(p.difficulty, p.coldStart.examples);
    sft(cold, sftExamples(tok, task, coldProblems, true), { steps: p.coldStart.steps, batchSize: p.coldStart.batch, lr: p.coldStart.lr, seed, progress: o.progress });
    const evalCold = evalAll(cold, tok, held, p, seed);
    stages.push({ name: 'R1 cold start (SFT)', evals: evalCold });
    const r1 = trainGrpo({ ...rlOpts, policy: cold, outDir: join(o.outDir, 'r1') });
    const evalR1 = evalAll(r1.policy, tok, held, p, seed);
    log(`[${since()}] R1: greedy ${(evalR1.free.pass1 * 100).toFixed(1)}%`);
    stages.push({ name: 'R1 (cold start + GRPO)', evals: evalR1, rlDir: 'r1', rlSteps: r1.steps });
  }

  const finalDir = join(o.outDir, 'final');
  saveCheckpoint(finalDir, zero.policy, { tokenizer: tok, state: { task: p.task, difficulty: p.difficulty } });
  writeReport(o.outDir, { preset: p, stages, seconds: (performance.now() - t0) / 1000, params: baseA.paramCount(), pretrainTokensPerSecond: preA.tokensPerSecond, pretrainMfu: preA.mfu, valLossA: preA.valLoss, valLossC: preC.valLoss });
  log(`[${since()}] report: ${join(o.outDir, 'report.md')}`);
  return { outDir: o.outDir, stages, finalDir };
}

/** Copies a finished run's final model to where the package ships it (models/ponder-assistant, or models/ponder-r1-zero for `--preset r1-zero`). */
export function installEmbedded(finalDir: string, dest: string): void {
  rmSync(dest, { recursive: true, force: true });
  cpSync(finalDir, dest, { recursive: true });
}


