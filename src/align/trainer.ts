// The alignment loop: each step takes a batch of preferences, scores the answers under the policy
// and the frozen reference (the starting model), and follows the gradient of the DPO or KTO loss.
// Logged every step (metrics.jsonl): loss, implicit rewards, margin and accuracy, the exact KL to
// the reference over answer tokens; validation margin and accuracy every evalEvery steps; greedy
// samples for a few prompts (samples.jsonl); charts; atomic checkpoints that --resume continues.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { backward, mul, sum, tensor, withScope, zeroGrad } from '../tensor/index.ts';
import { Transformer } from '../model/transformer.ts';
import { AdamW } from '../optim/adamw.ts';
import { cosineLr } from '../optim/schedule.ts';
import { clipGradNorm } from '../optim/clip.ts';
import { Rng } from '../tensor/random.ts';
import { paramGroups } from '../train/step.ts';
import { MetricsLog } from '../train/metrics.ts';
import { ProgressBar } from '../train/progress.ts';
import { writeChart } from '../train/chart.ts';
import { generate } from '../infer/generate.ts';
import { saveCheckpoint, type TokenizerFiles } from '../io/checkpoint.ts';
import { resumeWithTokenizer, tokenizerToSave } from '../train/checkpoint-tokenizer.ts';
import { chatFormatFor, decodeReply, type ChatFormat, type ChatMessage, type TextTokenizer } from '../tokenizer/index.ts';
import { PonderError } from '../errors.ts';
import { encodeAnswer, type PreferencePair, type Rating } from './data.ts';
import { packSeqs, sequenceLogprobs, frozenLogprobs, answerKl, type Seq } from './logprobs.ts';
import { dpoLoss, type PreferenceLoss } from './dpo.ts';
import { ktoLoss, ktoReferencePoint } from './kto.ts';
import type { Packed } from '../rl/grpo.ts';

export type AlignMethod = 'dpo' | 'kto';

export interface AlignOptions {
  method: AlignMethod;
  policy: Transformer;
  /** Ponder's tokenizer, or an imported model's (then `format` and `tokenizerFiles` are needed). */
  tokenizer: TextTokenizer;
  /** An imported model's chat format (its Jinja template and EOS ids); default ponder's own. */
  format?: ChatFormat;
  /** An imported model's tokenizer files, carried into the checkpoints. */
  tokenizerFiles?: TokenizerFiles;
  /** DPO: preference pairs. */
  pairs?: PreferencePair[];
  /** KTO: single ratings. */
  ratings?: Rating[];
  /** Held-out preferences for validation margin/accuracy (pairs for DPO, ratings for KTO). */
  valPairs?: PreferencePair[];
  valRatings?: Rating[];
  outDir: string;
  steps: number;
  batchSize: number;
  beta?: number;
  /** DPO only: weight of the chosen answers' NLL (RPO); 0 is plain DPO. */
  nllWeight?: number;
  lr?: number;
  desirableWeight?: number;
  undesirableWeight?: number;
  evalEvery?: number;
  sampleEvery?: number;
  checkpointEvery?: number;
  seed?: number;
  resume?: boolean;
  progress?: boolean;
  maxSeconds?: number;
}

export interface AlignResult {
  policy: Transformer;
  steps: number;
  rows: Record<string, number>[];
  /** Examples whose prompt and answer do not fit the context, skipped (by input line). */
  tooLong: number[];
}

/** One encoded training item: DPO pairs carry two answers, KTO ratings one. */
export interface Item { line: number; prompt: number[]; a: number[]; b?: number[]; desirable?: boolean; promptTurns: ChatMessage[] }

export function encodeItems(tok: TextTokenizer, o: Pick<AlignOptions, 'method' | 'format'>, pairs: PreferencePair[] | undefined, ratings: Rating[] | undefined, maxLen: number, tooLong: number[]): Item[] {
  const fits = (s: Seq) => s.prompt.length + s.completion.length - 1 <= maxLen;
  if (o.method === 'dpo') {
    return (pairs ?? []).flatMap((p) => {
      const c = encodeAnswer(tok, p.prompt, p.chosen, o.format), r = encodeAnswer(tok, p.prompt, p.rejected, o.format);
      if (!fits(c) || !fits(r)) { tooLong.push(p.line); return []; }
      return [{ line: p.line, prompt: c.prompt, a: c.completion, b: r.completion, promptTurns: p.prompt }];
    });
  }
  return (ratings ?? []).flatMap((x) => {
    const s = encodeAnswer(tok, x.prompt, x.completion, o.format);
    if (!fits(s)) { tooLong.push(x.line); return []; }
    return [{ line: x.line, prompt: s.prompt, a: s.completion, desirable: x.desirable, promptTurns: x.prompt }];
  });
}

/** The loss of a batch under policy and reference; withGrad accumulates its gradient into the policy. */
export function batchLoss(o: Pick<AlignOptions, 'method' | 'beta' | 'nllWeight' | 'desirableWeight' | 'undesirableWeight'>, policy: Transformer, ref: Transformer, items: Item[], withGrad: boolean): PreferenceLoss & { kl: number } {
  const beta = o.beta ?? 0.1;
  const seqs: Seq[] = o.method === 'dpo'
    ? [...items.map((x) => ({ prompt: x.prompt, completion: x.a })), ...items.map((x) => ({ prompt: x.prompt, completion: x.b! }))]
    : items.map((x) => ({ prompt: x.prompt, completion: x.a }));
  const b = packSeqs(seqs);
  const r = frozenLogprobs(ref, b, withGrad);
  let z0 = 0;
  if (o.method === 'kto') {
    // Each answer scored after the next item's prompt: answers the prompt did not ask for.
    const mism: Packed = packSeqs(items.map((x, i) => ({ prompt: items[(i + 1) % items.length].prompt, completion: x.a })));
    z0 = ktoReferencePoint(frozenLogprobs(policy, mism).seq, frozenLogprobs(ref, mism).seq);
  }
  const nll = { weight: o.nllWeight ?? 0, chosenTokens: items.map((x) => x.a.length) };
  const lossOf = (pol: ArrayLike<number>) => (o.method === 'dpo' ? dpoLoss(pol, r.seq, beta, nll)
    : ktoLoss(pol, r.seq, items.map((x) => x.desirable!), z0, { beta, desirableWeight: o.desirableWeight, undesirableWeight: o.undesirableWeight }));
  if (!withGrad) return { ...lossOf(frozenLogprobs(policy, b).seq), kl: NaN };
  return withScope(() => {
    const { seq, logits } = sequenceLogprobs(policy, b);
    const l = lossOf(Float64Array.from(seq.data));
    // The loss depends on the model only through the sequence log-probs, so Σ (∂L/∂log π)·log π
    // has the loss's gradient.
    backward(sum(mul(seq, tensor(Float32Array.from(l.grad)))));
    return { ...l, kl: answerKl(logits.data, r.logits!, b.targets, logits.shape[2]) };
  });
}

export function trainAlign(o: AlignOptions): AlignResult {
  const maxLen = o.policy.config.max_seq_len, tooLong: number[] = [];
  const items = encodeItems(o.tokenizer, o, o.pairs, o.ratings, maxLen, tooLong);
  const val = encodeItems(o.tokenizer, o, o.valPairs, o.valRatings, maxLen, tooLong);
  if (items.length === 0) throw new PonderError(`align (${o.method}): no usable ${o.method === 'dpo' ? 'preference pairs' : 'ratings'}`);
  if (o.method === 'kto' && items.length < 2) throw new PonderError('align (kto): needs at least 2 ratings (the reference point pairs answers with other prompts)');
  // The reference is the starting policy, frozen for the whole run (also across --resume).
  const ref = new Transformer(o.policy.config);
  ref.parameters().forEach((p, i) => p.data.set(o.policy.parameters()[i].data));
  mkdirSync(o.outDir, { recursive: true });
  const ckptDir = join(o.outDir, 'checkpoint');
  const metrics = new MetricsLog(join(o.outDir, 'metrics.jsonl'));
  const samples = new MetricsLog(join(o.outDir, 'samples.jsonl'));
  let policy = o.policy, step = 0, rng = new Rng(o.seed ?? 1);
  let opt = new AdamW(paramGroups(policy, 0));
  if (o.resume) ({ model: policy, opt, step, rng } = resumeWithTokenizer(ckptDir, 0, o.tokenizer, o.tokenizerFiles));
  const format = o.format ?? chatFormatFor(o.tokenizer);
  if (!format) throw new PonderError('align: the model has no chat format to write sample prompts with');
  metrics.truncateAfter(o.resume ? step : -1);
  samples.truncateAfter(o.resume ? step : -1);
  const B = Math.min(o.batchSize, items.length);
  const schedule = { lr: o.lr ?? 5e-5, warmupSteps: Math.max(1, Math.floor(o.steps / 10)), totalSteps: o.steps, minRatio: 0.1 };
  const bar = o.progress === false ? null : new ProgressBar(o.steps, o.method);
  const evalEvery = o.evalEvery ?? 25, sampleEvery = o.sampleEvery ?? 50, ckptEvery = o.checkpointEvery ?? 100;
  const sampleItems = (val.length ? val : items).slice(0, 3);
  const rows: Record<string, number>[] = [];
  const t0 = performance.now();
  while (step < o.steps) {
    const batch = Array.from({ length: B }, () => items[rng.int(items.length)]);
    zeroGrad(policy.parameters());
    const l = batchLoss(o, policy, ref, batch, true);
    const gradNorm = clipGradNorm(policy.parameters(), 1.0);
    const lr = cosineLr(step, schedule);
    opt.update(lr);
    step++;
    const row: Record<string, number> = {
      step, loss: l.loss, reward_chosen: l.rewardChosen, reward_rejected: l.rewardRejected, margin: l.margin,
      accuracy: l.accuracy, kl: l.kl, lr, grad_norm: gradNorm,
    };
    if (val.length && (step % evalEvery === 0 || step === o.steps)) {
      const v = batchLoss(o, policy, ref, val.slice(0, 64), false);
      Object.assign(row, { val_loss: v.loss, val_margin: v.margin, val_accuracy: v.accuracy });
    }
    rows.push(row);
    metrics.append(row);
    if (step % sampleEvery === 0 || step === o.steps) logSamples(samples, step, policy, format, sampleItems);
    bar?.update(step, { loss: l.loss.toFixed(3), margin: l.margin.toFixed(3), acc: l.accuracy.toFixed(2), kl: l.kl.toFixed(4) });
    const overTime = o.maxSeconds !== undefined && (performance.now() - t0) / 1000 > o.maxSeconds;
    if (step % ckptEvery === 0 || step === o.steps || overTime) {
      saveCheckpoint(ckptDir, policy, { ...tokenizerToSave(o.tokenizer, o.tokenizerFiles), optimizer: opt, state: { step, rng: [...rng.state()], method: o.method } });
    }
    if (overTime) break;
  }
  writeAlignCharts(o.outDir, o.method);
  return { policy, steps: step, rows, tooLong };
}

/** Greedy answers to a few prompts, so a person can read what alignment did to the model. */
function logSamples(log: MetricsLog, step: number, policy: Transformer, format: ChatFormat, items: Item[]): void {
  const prompts = items.map((x) => format.promptIds(x.promptTurns));
  const room = Math.max(1, policy.config.max_seq_len - Math.max(...prompts.map((p) => p.length)));
  const gens = generate(policy, prompts, { maxNewTokens: Math.min(48, room), temperature: 0, stopTokens: format.stopIds, vocabLimit: format.tokenizer.vocabSize });
  gens.forEach((g, i) => log.append({ step, prompt: items[i].promptTurns[items[i].promptTurns.length - 1].content, completion: decodeReply(format, g.tokens) }));
}

/** loss.svg and reward.svg from metrics.jsonl. */
export function writeAlignCharts(outDir: string, method: AlignMethod): void {
  const rows = MetricsLog.read(join(outDir, 'metrics.jsonl'));
  const pts = (k: string) => rows.filter((r) => typeof r[k] === 'number').map((r) => [r.step as number, r[k] as number] as [number, number]);
  const name = method.toUpperCase();
  writeChart(join(outDir, 'loss.svg'), [{ name: 'loss', points: pts('loss') }, { name: 'validation loss', points: pts('val_loss') }, { name: 'KL to reference (nats/token)', points: pts('kl') }],
    { title: `${name}: loss and KL to the reference`, xLabel: 'step', yLabel: 'nats' });
  writeChart(join(outDir, 'reward.svg'), [
    { name: 'reward margin (chosen - rejected)', points: pts('margin') }, { name: 'accuracy', points: pts('accuracy') },
    { name: 'validation accuracy', points: pts('val_accuracy') },
  ], { title: `${name}: implicit reward margin and accuracy`, xLabel: 'step', yLabel: 'reward (β·log-ratio) / fraction' });
}
