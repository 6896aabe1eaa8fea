// The reasoning-training loop (R1-Zero style): each step samples prompts, rolls out a group of
// completions per prompt from the current policy, scores them with the reward functions, turns
// rewards into group-relative advantages, drops groups without reward spread, and updates the
// policy with GRPO. Logs every step as JSONL (plus readable sample completions) and draws charts.
import { join } from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import { Transformer } from '../model/transformer.ts';
import { AdamW } from '../optim/adamw.ts';
import { paramGroups } from '../train/step.ts';
import { MetricsLog } from '../train/metrics.ts';
import { ProgressBar } from '../train/progress.ts';
import { writeChart } from '../train/chart.ts';
import { saveCheckpoint, loadCheckpoint, loadOptimizerState, type TokenizerFiles } from '../io/checkpoint.ts';
import type { ChatFormat, TextTokenizer } from '../tokenizer/index.ts';
import { tokenizerToSave } from '../train/checkpoint-tokenizer.ts';
import { TrainingSampler } from '../tasks/heldout.ts';
import type { Problem, Task } from '../tasks/types.ts';
import { PonderError } from '../errors.ts';
import { rollouts, type Rollout } from './rollout.ts';
import { groupAdvantages } from './advantages.ts';
import { grpoUpdate, type Sample } from './grpo.ts';
import { RewardCombiner, accuracyReward, formatReward, type WeightedReward } from './rewards.ts';

export interface GrpoOptions {
  policy: Transformer;
  /** Ponder's tokenizer, or an imported model's (then `format` and `tokenizerFiles` are needed). */
  tokenizer: TextTokenizer;
  /** An imported model's chat format: prompts through its template, stops on its EOS ids. */
  format?: ChatFormat;
  /** An imported model's tokenizer files, carried into the checkpoints. */
  tokenizerFiles?: TokenizerFiles;
  task: Task;
  difficulty: number;
  /** Problems never trained on (the evaluation set). */
  heldOut?: Problem[];
  outDir: string;
  steps: number;
  promptsPerStep?: number;
  groupSize?: number;
  maxNewTokens?: number;
  temperature?: number;
  lr?: number;
  epsLow?: number;
  epsHigh?: number;
  beta?: number;
  updatesPerBatch?: number;
  scaleByStd?: boolean;
  /** Drop groups whose rewards are all equal (they carry no gradient, only noise through the KL). */
  dynamicSampling?: boolean;
  /** 'keep' trains on truncated completions like any other; 'mask' leaves them out of the loss. */
  truncation?: 'keep' | 'mask';
  rewards?: WeightedReward[];
  microBatch?: number;
  clip?: number;
  seed?: number;
  checkpointEvery?: number;
  resume?: boolean;
  progress?: boolean;
  /** Stop after this many seconds (checkpointed), whatever steps remain. */
  maxSeconds?: number;
  onStep?: (row: Record<string, number>) => void;
}

export const DEFAULT_REWARDS: WeightedReward[] = [
  { name: 'accuracy', fn: accuracyReward, weight: 1 },
  { name: 'format', fn: formatReward, weight: 0 }, // logged, not rewarded: R1-Zero rewards the answer only
];

export interface GrpoResult {
  policy: Transformer;
  steps: number;
  rows: Record<string, number>[];
}

export function trainGrpo(o: GrpoOptions): GrpoResult {
  const G = o.groupSize ?? 8;
  if (G < 2) throw new PonderError(`GRPO needs a group of at least 2 completions per prompt, got ${G}`);
  mkdirSync(o.outDir, { recursive: true });
  const ckptDir = join(o.outDir, 'checkpoint');
  const metrics = new MetricsLog(join(o.outDir, 'metrics.jsonl'));
  const samplesLog = new MetricsLog(join(o.outDir, 'samples.jsonl'));
  const run = startRun(o, ckptDir);
  metrics.truncateAfter(o.resume ? run.step : -1);
  samplesLog.truncateAfter(o.resume ? run.step : -1);
  const combiner = new RewardCombiner(o.rewards ?? DEFAULT_REWARDS);
  const bar = o.progress === false ? null : new ProgressBar(o.steps, 'grpo');
  const rows: Record<string, number>[] = [];
  const t0 = performance.now();
  while (run.step < o.steps) {
    const out = grpoStep(o, run, combiner);
    const row = stepRow(++run.step, out);
    rows.push(row);
    metrics.append(row);
    logSamples(samplesLog, run.step, out.rolls, out.scored.total);
    o.onStep?.(row);
    bar?.update(run.step, { reward: row.reward.toFixed(3), acc: row.accuracy.toFixed(3), think: row.reasoning_fraction.toFixed(2), len: row.completion_length.toFixed(1) });
    const overTime = o.maxSeconds !== undefined && (performance.now() - t0) / 1000 > o.maxSeconds;
    if (run.step % (o.checkpointEvery ?? 20) === 0 || run.step === o.steps || overTime) {
      saveCheckpoint(ckptDir, run.policy, { ...tokenizerToSave(o.tokenizer, o.tokenizerFiles), optimizer: run.opt, state: { step: run.step } });
    }
    if (overTime) break;
  }
  writeRlCharts(o.outDir);
  return { policy: run.policy, steps: run.step, rows };
}

/** The policy, its optimiser and the frozen reference, fresh or resumed from the checkpoint. */
interface Run { policy: Transformer; opt: AdamW; reference: Transformer | null; step: number }

function startRun(o: GrpoOptions, ckptDir: string): Run {
  let policy = o.policy, step = 0;
  if (o.resume) {
    if (!existsSync(ckptDir)) throw new PonderError(`--resume: no checkpoint at ${ckptDir}`);
    const ck = loadCheckpoint(ckptDir);
    policy = ck.model;
    step = (ck.state as { step?: number }).step ?? 0;
  }
  const opt = new AdamW(paramGroups(policy, 0), { beta1: 0.9, beta2: 0.99 });
  if (o.resume) loadOptimizerState(ckptDir, policy, opt);
  // The reference policy is the starting policy, frozen; β = 0 keeps none (saves a forward pass).
  let reference: Transformer | null = null;
  if ((o.beta ?? 0) > 0) {
    reference = new Transformer(policy.config);
    reference.parameters().forEach((p, i) => p.data.set(policy.parameters()[i].data));
  }
  return { policy, opt, reference, step };
}

interface StepOutcome {
  rolls: Rollout[];
  scored: ReturnType<RewardCombiner['score']>;
  flat: boolean[];
  samples: Sample[];
  stats: ReturnType<typeof grpoUpdate> | null;
  rolloutSeconds: number;
  updateSeconds: number;
}

/** One step: sample prompts, roll out groups, score, group-relative advantages, one GRPO update. */
function grpoStep(o: GrpoOptions, run: Run, combiner: RewardCombiner): StepOutcome {
  const seed = o.seed ?? 1, step = run.step;
  // Problems of step s depend only on (seed, s): resuming needs nothing but the step.
  const sampler = new TrainingSampler(o.task, seed * 100003 + step, o.heldOut ?? []);
  const problems = sampler.sampleMany(o.difficulty, o.promptsPerStep ?? 32);
  const tr = performance.now();
  const rolls = rollouts(run.policy, o.tokenizer, problems, { groupSize: o.groupSize ?? 8, maxNewTokens: o.maxNewTokens ?? 96, temperature: o.temperature ?? 1, seed: seed * 7919 + step, format: o.format });
  const rolloutSeconds = (performance.now() - tr) / 1000;
  const scored = combiner.score(rolls.map((r) => ({ problem: r.problem, completion: r.text, parsed: r.parsed, completionTokens: r.completion.length })));
  const { advantages, flat } = groupAdvantages(scored.total, rolls.map((r) => r.group), { scaleByStd: o.scaleByStd ?? true });
  const samples: Sample[] = [];
  rolls.forEach((r, i) => {
    if ((o.dynamicSampling ?? true) && flat[r.group]) return;
    if ((o.truncation ?? 'keep') === 'mask' && r.truncated) return;
    samples.push({ prompt: r.prompt, completion: r.completion, advantage: advantages[i] });
  });
  const tu = performance.now();
  const stats = samples.length > 0
    ? grpoUpdate(run.policy, run.opt, samples, { epsLow: o.epsLow ?? 0.2, epsHigh: o.epsHigh ?? 0.28, beta: o.beta ?? 0, updatesPerBatch: o.updatesPerBatch ?? 1, microBatch: o.microBatch ?? 64, lr: o.lr ?? 3e-5, clip: o.clip ?? 1.0, reference: run.reference })
    : null;
  return { rolls, scored, flat, samples, stats, rolloutSeconds, updateSeconds: (performance.now() - tu) / 1000 };
}

/** The step's metrics row (metrics.jsonl, the charts and the progress bar read it). */
function stepRow(step: number, { rolls, scored, flat, samples, stats, rolloutSeconds, updateSeconds }: StepOutcome): Record<string, number> {
  const genTokens = rolls.reduce((s, r) => s + r.completion.length, 0);
  return {
    step,
    reward: mean(scored.total),
    ...Object.fromEntries(Object.entries(scored.means).map(([k, v]) => [`reward_${k}`, v ?? NaN])),
    accuracy: mean(rolls.map((r) => (accuracyReward({ problem: r.problem, completion: r.text, parsed: r.parsed }) ?? 0))),
    format_rate: mean(rolls.map((r) => (r.parsed.wellFormed ? 1 : 0))),
    reasoning_fraction: mean(rolls.map((r) => (r.reasons ? 1 : 0))),
    zero_spread_groups: flat.filter(Boolean).length / flat.length,
    completion_length: genTokens / rolls.length,
    truncated: rolls.filter((r) => r.truncated).length / rolls.length,
    trained_samples: samples.length,
    loss: stats?.loss ?? NaN,
    kl: stats?.kl ?? NaN,
    clip_fraction: stats?.clipFraction ?? NaN,
    entropy: stats?.entropy ?? NaN,
    grad_norm: stats?.gradNorm ?? NaN,
    rollout_tokens_per_s: genTokens / rolloutSeconds,
    update_tokens_per_s: stats ? stats.tokens / updateSeconds : NaN,
    rollout_seconds: rolloutSeconds,
    update_seconds: updateSeconds,
    reward_failures: Object.values(scored.failures).reduce((s, f) => s + f.nonFinite + f.thrown, 0),
  };
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Two completions per step (the best and the worst of the first group) for a person to read. */
function logSamples(log: MetricsLog, step: number, rolls: Rollout[], rewards: number[]): void {
  const first = rolls.map((r, i) => ({ r, reward: rewards[i] })).filter((x) => x.r.group === 0);
  if (first.length === 0) return;
  first.sort((a, b) => b.reward - a.reward);
  for (const x of [first[0], first[first.length - 1]]) {
    log.append({ step, question: x.r.problem.question, answer: x.r.problem.answer, completion: x.r.text, reward: x.reward, truncated: x.r.truncated });
  }
}

/** reward.svg, thinking.svg: R1-Zero's curves (reward, accuracy, reasoning share, length) over steps. */
export function writeRlCharts(outDir: string): void {
  const rows = MetricsLog.read(join(outDir, 'metrics.jsonl'));
  const pts = (k: string) => rows.map((r) => [r.step as number, r[k] as number] as [number, number]);
  writeChart(join(outDir, 'reward.svg'), [
    { name: 'reward', points: pts('reward') }, { name: 'accuracy', points: pts('accuracy') },
    { name: 'reasoning fraction', points: pts('reasoning_fraction') },
  ], { title: 'GRPO: reward, accuracy and share of completions that reason', xLabel: 'RL step', yLabel: 'fraction', yRange: [0, 1] });
  writeChart(join(outDir, 'length.svg'), [{ name: 'mean completion length', points: pts('completion_length') }],
    { title: 'GRPO: the model learns to think longer', xLabel: 'RL step', yLabel: 'tokens per completion' });
}
