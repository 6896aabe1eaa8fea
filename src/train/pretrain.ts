// The pretraining loop: random (B, T) windows of a token stream, AdamW with warmup and cosine
// decay, clipping and accumulation, validation every N steps, metrics as JSONL plus a loss chart,
// and atomic checkpoints from which --resume continues exactly where the run stopped.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { noGrad, withScope, crossEntropy } from '../tensor/index.ts';
import { Rng } from '../tensor/random.ts';
import { Transformer } from '../model/transformer.ts';
import { AdamW } from '../optim/adamw.ts';
import { cosineLr } from '../optim/schedule.ts';
import { trainStep, paramGroups, type Batch } from './step.ts';
import { randomBatch, sequentialBatches, splitTokens } from '../data/batches.ts';
import { saveCheckpoint } from '../io/checkpoint.ts';
import { resumeFromCheckpoint } from './resume.ts';
import { MetricsLog } from './metrics.ts';
import { ProgressBar, formatDuration } from './progress.ts';
import { writeChart } from './chart.ts';
import { trainMfu } from './mfu.ts';
import type { Tokenizer } from '../tokenizer/index.ts';
import { PonderError } from '../errors.ts';

export interface PretrainOptions {
  model: Transformer;
  tokenizer?: Tokenizer;
  tokens: Int32Array;
  outDir: string;
  steps: number;
  batchSize: number;
  seqLen: number;
  accum?: number;
  lr?: number;
  warmupSteps?: number;
  minLrRatio?: number;
  weightDecay?: number;
  clip?: number;
  valFraction?: number;
  evalEvery?: number;
  evalBatches?: number;
  checkpointEvery?: number;
  seed?: number;
  /** Continue from outDir/checkpoint (weights, optimizer, RNG, step). */
  resume?: boolean;
  /** Stop early (with a checkpoint) after this many seconds. */
  maxSeconds?: number;
  progress?: boolean;
  /** Called after every step, e.g. to print samples. */
  onStep?: (step: number, loss: number) => void;
}

export interface PretrainResult {
  model: Transformer;
  steps: number;
  trainLoss: number;
  valLoss: number;
  tokensPerSecond: number;
  mfu: number;
  seconds: number;
}

/** Mean loss over fixed validation windows (no gradients). */
export function evaluateLoss(model: Transformer, batches: Batch[]): number {
  let total = 0;
  noGrad(() => {
    for (const b of batches) total += withScope(() => crossEntropy(Transformer.rows(model.forward(b.inputs, b.B, b.T)), b.targets).item());
  });
  return total / batches.length;
}

export function pretrain(o: PretrainOptions): PretrainResult {
  const accum = o.accum ?? 1, lr = o.lr ?? 3e-3, clip = o.clip ?? 1.0;
  const B = o.batchSize, T = o.seqLen;
  if (T > o.model.config.max_seq_len) throw new PonderError(`seq_len ${T} exceeds the model's max_seq_len ${o.model.config.max_seq_len}`);
  if (o.tokens.length === 0) throw new PonderError('the corpus is empty: no tokens to train on');
  const { train, val } = splitTokens(o.tokens, o.valFraction ?? 0.05, T);
  const valBatches = sequentialBatches(val, Math.min(B, 8), T, o.evalBatches ?? 4);
  if (valBatches.length === 0) throw new PonderError(`the validation split (${val.length} tokens) is too small for one batch`);
  mkdirSync(o.outDir, { recursive: true });
  const ckptDir = join(o.outDir, 'checkpoint');
  const metrics = new MetricsLog(join(o.outDir, 'metrics.jsonl'));
  let model = o.model;
  let opt = new AdamW(paramGroups(model, o.weightDecay ?? 0.1));
  let rng = new Rng(o.seed ?? 1);
  let step = 0;
  if (o.resume) ({ model, opt, step, rng } = resumeFromCheckpoint(ckptDir, o.weightDecay ?? 0.1));
  metrics.truncateAfter(o.resume ? step : -1);

  const schedule = { lr, warmupSteps: o.warmupSteps ?? Math.min(100, Math.floor(o.steps / 10)), totalSteps: o.steps, minRatio: o.minLrRatio ?? 0.1 };
  const bar = o.progress === false ? null : new ProgressBar(o.steps, 'pretrain');
  const micro: Batch[] = Array.from({ length: accum }, () => ({ inputs: new Int32Array(B * T), targets: new Int32Array(B * T), B, T }));
  const evalEvery = o.evalEvery ?? 100, ckptEvery = o.checkpointEvery ?? 500;
  const t0 = performance.now();
  let tokensDone = 0, trainLoss = NaN, valLoss = NaN, tps = 0, mfu = 0;
  const save = () => saveCheckpoint(ckptDir, model, { tokenizer: o.tokenizer, optimizer: opt, state: { step, rng: [...rng.state()], valLoss } });

  while (step < o.steps) {
    const ts = performance.now();
    for (const m of micro) randomBatch(train, B, T, rng, m);
    const cur = cosineLr(step, schedule);
    const r = trainStep(model, opt, micro, cur, clip);
    step++;
    trainLoss = r.loss;
    const dt = (performance.now() - ts) / 1000;
    tokensDone += B * T * accum;
    tps = (B * T * accum) / dt;
    mfu = trainMfu(model.config, T, tps);
    const row: Record<string, unknown> = { step, loss: r.loss, lr: cur, grad_norm: r.gradNorm, tokens_per_s: Math.round(tps), mfu: +mfu.toFixed(4) };
    if (step % evalEvery === 0 || step === o.steps) {
      valLoss = evaluateLoss(model, valBatches);
      row.val_loss = valLoss;
    }
    metrics.append(row);
    o.onStep?.(step, r.loss);
    bar?.update(step, { loss: r.loss.toFixed(3), val: Number.isNaN(valLoss) ? '-' : valLoss.toFixed(3), 'tok/s': tps.toFixed(0), MFU: `${(mfu * 100).toFixed(1)}%` });
    const overTime = o.maxSeconds !== undefined && (performance.now() - t0) / 1000 > o.maxSeconds;
    if (step % ckptEvery === 0 || step === o.steps || overTime) save();
    if (overTime) {
      console.error(`pretrain: stopping at step ${step} after ${formatDuration(o.maxSeconds!)} (time budget); resume with --resume`);
      break;
    }
  }
  if (Number.isNaN(valLoss)) valLoss = evaluateLoss(model, valBatches);
  writeLossChart(o.outDir);
  const seconds = (performance.now() - t0) / 1000;
  return { model, steps: step, trainLoss, valLoss, tokensPerSecond: tokensDone / Math.max(seconds, 1e-9), mfu, seconds };
}

/** Writes loss.svg (train and validation loss against step) from metrics.jsonl. */
export function writeLossChart(outDir: string): void {
  const rows = MetricsLog.read(join(outDir, 'metrics.jsonl'));
  const trainPts = rows.map((r) => [r.step as number, r.loss as number] as [number, number]);
  const valPts = rows.filter((r) => typeof r.val_loss === 'number').map((r) => [r.step as number, r.val_loss as number] as [number, number]);
  writeChart(join(outDir, 'loss.svg'), [{ name: 'train loss', points: trainPts }, { name: 'validation loss', points: valPts }],
    { title: 'Pretraining loss', xLabel: 'step', yLabel: 'cross-entropy (nats/token)' });
}
