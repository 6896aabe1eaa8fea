// `ponder speedrun --preset arithmetic`: arithmetic that transfers, and RL that improves the
// reasoning itself.
//   1. problems: held-out sets by shape (trained shapes, shapes longer than any training problem,
//      multiplicands never written in any training line), training problems checked clean
//   2. tokenizer (BPE whose digits carry their place by default; plain BPE or one token per
//      character; one token per digit always) and a base model pretrained on column traces
//      (full plan: products up to 3x2 digits, sums/differences up to 7; CI plan: every operation up
//      to 6 digits), every document reasoning
//   3. evaluation per shape with thinking forced on (base)
//   4. GRPO on the plan's RL shape (3x3; CI: 8x1), one pretraining never showed, rewarded on the
//      answer only
//   5. the same evaluation after RL, with what changed in the reasoning (length, steps, result
//      lines that agree with their steps, errors by kind)
//   6. results.json and report.md
import { join } from 'node:path';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { Transformer } from '../model/transformer.ts';
import { validateConfig, type ModelConfig } from '../model/config.ts';
import { encodeChat, MIN_VOCAB, PlaceDigitTokenizer, trainBpe, type Tokenizer } from '../tokenizer/index.ts';
import { initPlaceRows } from '../tokenizer/place-digits.ts';
import { Rng } from '../tensor/random.ts';
import { chatExample, documentTexts, reasoningStream } from '../data/reasoning.ts';

import { pretrain } from '../train/pretrain.ts';
import { saveCheckpoint } from '../io/checkpoint.ts';
import { trainGrpo } from '../rl/trainer.ts';
import { rollouts } from '../rl/rollout.ts';
import type { Problem, Task } from '../tasks/types.ts';
import { shapeName } from '../tasks/columns.ts';
import {
  CI_PLAN, CI_PLAN_6X1, DEFAULT_PLAN, assertClean, cleanShapesTask, heldOutSets, trainingProblems, type ShapePlan,
} from './arithmetic-data.ts';
import { reasoningStats, type ReasoningStats } from './arithmetic-analysis.ts';
import { writeArithmeticReport } from './arithmetic-report.ts';
import { PonderError } from '../errors.ts';
import { runCountdown, type CountdownPreset, type CountdownResult } from './arithmetic-countdown.ts';

export type ArithmeticTokenizer = 'chars' | 'bpe' | 'places';
export const ARITHMETIC_TOKENIZERS: readonly ArithmeticTokenizer[] = ['chars', 'bpe', 'places'];

export interface ArithmeticPreset {
  plan: ShapePlan;
  /** Held-out problems per shape. */
  heldOut: number;
  /**
   * 'chars': one token per character (no merges; docs/reasoning/report.md, section 10 measured it
   * against BPE); 'bpe': vocabSize pieces, the presets' tokenizer before that (digits still alone);
   * 'places': the same BPE with digits that carry their place value (src/tokenizer/place-digits.ts).
   */
  tokenizer: ArithmeticTokenizer;
  /** Place tokens per digit (tokenizer 'places'): the longest number with its offset. */
  places?: number;
  /** BPE vocabulary (tokenizers 'bpe' and 'places'). */
  vocabSize: number;
  model: Omit<ModelConfig, 'vocab_size'>;
  pretrain: { steps: number; batch: number; seqLen: number; lr: number; maxSeconds: number };
  grpo: { steps: number; prompts: number; group: number; lr: number; maxNewTokens: number; maxSeconds: number; temperature?: number };
  /** Longest greedy completion at evaluation (a 4x3 column trace is about 480 tokens). */
  evalMaxTokens: number;
  /** The Countdown stage (search), when present. */
  countdown?: CountdownPreset;
}

const DEFAULT_PLACES = 12;
const MODEL = { d_model: 128, n_layers: 4, n_heads: 4, n_kv_heads: 4, d_ff: 352, max_seq_len: 640, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true };

/** The full plan as section 11 of the report ran it, with BPE: the `arithmetic-bpe` preset. */
const FULL_BPE: ArithmeticPreset = {
  // 2,000 steps (18 minutes on 2 threads here): 700 left 3x2 at 22%, 2,000 at 99% (report, section 11).
  plan: DEFAULT_PLAN, heldOut: 100, tokenizer: 'bpe', vocabSize: 320, model: MODEL,
  pretrain: { steps: 2000, batch: 16, seqLen: 640, lr: 3e-3, maxSeconds: 1200 },
  grpo: { steps: 40, prompts: 8, group: 8, lr: 5e-5, maxNewTokens: 420, maxSeconds: 600 },
  evalMaxTokens: 560,
  countdown: {
    heldOut: 100, vocabSize: 320, maxLines: 16, model: { ...MODEL, d_model: 96, n_layers: 3, n_heads: 3, n_kv_heads: 3, d_ff: 256, max_seq_len: 384 },
    pretrain: { steps: 1500, batch: 16, seqLen: 384, lr: 3e-3, maxSeconds: 300 },
    grpo: { steps: 30, prompts: 16, group: 8, lr: 1e-4, maxNewTokens: 200, maxSeconds: 420 },
  },
};

export const ARITHMETIC_PRESETS: Record<string, ArithmeticPreset> = {
  // Place digits (report, section 12): 4x1, a multiplicand longer than any trained product's, 18% -> 97%.
  arithmetic: { ...FULL_BPE, tokenizer: 'places', places: DEFAULT_PLACES },
  'arithmetic-bpe': FULL_BPE,
  'arithmetic-ci': {
    // Place digits; pretraining products up to 6x1, then GRPO on 8x1, two digits longer than any
    // pretrained operand (docs/reasoning/report.md, section 12). Windows of 320 tokens hold a 10x1
    // trace (about 310), so no evaluated trace needs a position pretraining did not have.
    plan: CI_PLAN, heldOut: 100, tokenizer: 'places', places: DEFAULT_PLACES, vocabSize: 300,
    model: { ...MODEL, d_model: 96, n_layers: 3, n_heads: 3, n_kv_heads: 3, d_ff: 256, max_seq_len: 384 },
    pretrain: { steps: 1500, batch: 16, seqLen: 320, lr: 3e-3, maxSeconds: 900 },
    // 120 steps: the trained shapes reach 95-96% (two seeds); CI's test runs 60 (report, section 12).
    grpo: { steps: 120, prompts: 16, group: 8, lr: 5e-5, temperature: 0.7, maxNewTokens: 280, maxSeconds: 400 },
    evalMaxTokens: 340,
  },
  'arithmetic-ci-bpe': {
    // The CI preset before place digits (report sections 4-10): 900 steps leave the hardest trained
    // shape (6x1) imperfect (about half right), so RL has room.
    plan: CI_PLAN_6X1, heldOut: 100, tokenizer: 'bpe', vocabSize: 300,
    model: { ...MODEL, d_model: 96, n_layers: 3, n_heads: 3, n_kv_heads: 3, d_ff: 256, max_seq_len: 320 },
    pretrain: { steps: 900, batch: 16, seqLen: 256, lr: 3e-3, maxSeconds: 900 },
    // Sampling at 0.7 keeps rollouts close to the greedy policy that is scored. lr 2e-4 collapsed
    // at 1.0 (6x1 47% -> 24%) and at 0.7; other settings: docs/reasoning/report.md, section 5.
    grpo: { steps: 60, prompts: 16, group: 8, lr: 5e-5, temperature: 0.7, maxNewTokens: 220, maxSeconds: 400 },
    evalMaxTokens: 280,
  },
};

/** The preset's tokenizer, trained on its documents: no merges at all for 'chars'. */
export function arithmeticTokenizer(kind: ArithmeticTokenizer, vocabSize: number, texts: readonly string[], places = DEFAULT_PLACES): Tokenizer {
  if (kind === 'chars') return trainBpe(texts, MIN_VOCAB);
  if (kind === 'bpe') return trainBpe(texts, vocabSize);
  if (kind === 'places') return new PlaceDigitTokenizer(trainBpe(texts, vocabSize).merges, places);
  throw new PonderError(`arithmetic: tokenizer must be one of ${ARITHMETIC_TOKENIZERS.join(', ')}, got '${String(kind)}'`);
}

/**
 * The check in code that every digit is its own token (the pre-tokenizer splits digits; a BPE that
 * merged digit pairs would make copying a number of unseen length a different problem per parity).
 */
export function assertDigitsAlone(tok: Tokenizer): void {
  for (let id = 0; id < tok.vocabSize; id++) {
    const piece = tok.decode([id]);
    if ((piece.match(/\d/g) ?? []).length > 1) throw new PonderError(`arithmetic: token ${id} ${JSON.stringify(piece)} holds more than one digit`);
  }
}

/** Tokens of the longest reference completion (prompt included) among the held-out sets. */
export function longestReference(tok: Tokenizer, task: Task, sets: Record<string, Problem[]>): number {
  let longest = 0;
  for (const ps of Object.values(sets)) for (const p of ps) longest = Math.max(longest, encodeChat(tok, chatExample(task, p, true)).length);
  return longest;
}

export interface ShapeResult { shape: string; stats: ReasoningStats; examples: { question: string; completion: string; correct: boolean }[] }

export interface ArithmeticResult {
  outDir: string;
  seconds: number;
  params: number;
  heldOutCounts: Record<string, number>;
  trainingProblems: number;
  pretrain: { steps: number; valLoss: number; tokensPerSecond: number };
  base: ShapeResult[];
  afterRl: ShapeResult[];
  rlSteps: number;
  rlDir: string;
  finalDir: string;
  countdown?: CountdownResult;
  plan: ShapePlan;
  tokenizer: { kind: ArithmeticTokenizer; vocabSize: number };
  /** Positions: the pretraining window, and the longest held-out reference (prompt + trace) in tokens. */
  context: { seqLen: number; longestReference: number };
}

export interface ArithmeticOptions {
  preset: ArithmeticPreset;
  outDir: string;
  seed?: number;
  progress?: boolean;
  log?: (line: string) => void;
}

/** Greedy, thinking forced on, per held-out set. */
export function evaluateShapes(model: Transformer, tok: Tokenizer, sets: Record<string, Problem[]>, maxNewTokens: number): ShapeResult[] {
  return Object.entries(sets).map(([shape, problems]) => {
    const rolls = rollouts(model, tok, problems, { groupSize: 1, maxNewTokens, temperature: 0, mode: 'on', batchSize: 64 });
    const stats = reasoningStats(rolls);
    // Shown examples: the first two whose factors are not 0 (those need no trace: "a factor is 0").
    const shown = [...rolls.filter((r) => !r.text.includes('a factor is 0')), ...rolls.filter((r) => r.text.includes('a factor is 0'))];
    const examples = shown.slice(0, 2).map((r) => ({ question: r.problem.question, completion: r.text, correct: stats.accuracy > 0 && (() => { try { return reasoningStats([r]).accuracy === 1; } catch { return false; } })() }));
    return { shape, stats, examples };
  });
}

function copyModel(m: Transformer): Transformer {
  const c = new Transformer(m.config);
  c.parameters().forEach((p, i) => p.data.set(m.parameters()[i].data));
  return c;
}

export function runArithmetic(o: ArithmeticOptions): ArithmeticResult {
  const p = o.preset, seed = o.seed ?? 1, log = o.log ?? ((l: string) => console.error(l));
  const t0 = performance.now();
  const since = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`;
  mkdirSync(o.outDir, { recursive: true });

  // 1. Problems.
  const sets = heldOutSets(p.heldOut, seed, p.plan);
  const held = Object.values(sets).flat();
  // Enough documents for every step (about 150 tokens each) and a 5% validation split of whole batches.
  const docsNeeded = Math.ceil((p.pretrain.steps * p.pretrain.batch * (p.pretrain.seqLen + 1)) / 100) + 2000;
  const train = trainingProblems(p.plan.pretrain, docsNeeded, seed, held);
  assertClean(train, held);
  const task = cleanShapesTask('column-arithmetic', p.plan.pretrain, held);
  log(`[${since()}] ${train.length} training problems; held out: ${Object.entries(sets).map(([k, v]) => `${k} ${v.length}`).join(', ')}`);

  // 2. Tokenizer and base model.
  const tok = arithmeticTokenizer(p.tokenizer, p.vocabSize, documentTexts(task, train.slice(0, 5000)), p.places);
  assertDigitsAlone(tok);
  const longest = longestReference(tok, task, sets);
  const config = validateConfig({ ...p.model, vocab_size: Math.max(tok.vocabSize, 64) });
  const stream = reasoningStream(tok, task, train, 1, seed);
  const base = new Transformer(config, seed);
  if (tok instanceof PlaceDigitTokenizer) initPlaceRows(base.embed.data as Float32Array, config.d_model, tok, new Rng(seed + 11));
  log(`[${since()}] tokenizer ${p.tokenizer} ${tok.vocabSize} tokens (one digit a token${tok instanceof PlaceDigitTokenizer ? `, with its place: ${tok.places} places` : ''}); longest held-out reference ${longest} tokens (window ${p.pretrain.seqLen}); base ${base.paramCount().toLocaleString()} parameters, ${stream.length.toLocaleString()} tokens`);
  const pre = pretrain({
    model: base, tokenizer: tok, tokens: stream, outDir: join(o.outDir, 'base'), steps: p.pretrain.steps,
    batchSize: p.pretrain.batch, seqLen: p.pretrain.seqLen, lr: p.pretrain.lr, evalEvery: 100, checkpointEvery: 100000,
    maxSeconds: p.pretrain.maxSeconds, seed, progress: o.progress,
  });
  saveCheckpoint(join(o.outDir, 'base', 'model'), pre.model, { tokenizer: tok, state: { task: 'column-multiplication', difficulty: 3 } });
  log(`[${since()}] base: val loss ${pre.valLoss.toFixed(3)} after ${pre.steps} steps (${pre.tokensPerSecond.toFixed(0)} tok/s)`);

  // 3. Base, thinking forced on.
  const before = evaluateShapes(pre.model, tok, sets, p.evalMaxTokens);
  log(`[${since()}] base: ${before.map((r) => `${r.shape} ${(r.stats.accuracy * 100).toFixed(0)}%`).join(', ')}`);

  // 4. GRPO on the RL shape, answer-only reward.
  const rlTask = cleanShapesTask(`column-multiplication/${shapeName(p.plan.rl)}`, [p.plan.rl], held);
  const rlDir = join(o.outDir, 'rl');
  const rl = trainGrpo({
    policy: copyModel(pre.model), tokenizer: tok, task: rlTask, difficulty: 1, heldOut: held, outDir: rlDir,
    steps: p.grpo.steps, promptsPerStep: p.grpo.prompts, groupSize: p.grpo.group, lr: p.grpo.lr,
    maxNewTokens: p.grpo.maxNewTokens, temperature: p.grpo.temperature, maxSeconds: p.grpo.maxSeconds, seed, progress: o.progress, checkpointEvery: 100000,
  });

  // 5. After RL.
  const after = evaluateShapes(rl.policy, tok, sets, p.evalMaxTokens);
  log(`[${since()}] after RL: ${after.map((r) => `${r.shape} ${(r.stats.accuracy * 100).toFixed(0)}%`).join(', ')}`);
  const finalDir = join(o.outDir, 'final');
  saveCheckpoint(finalDir, rl.policy, { tokenizer: tok, state: { task: 'column-multiplication', difficulty: 3 } });

  // 6. Countdown, the search task.
  const countdown = p.countdown ? runCountdown(p.countdown, o.outDir, seed, (l) => log(`[${since()}] ${l}`), o.progress) : undefined;

  const result: ArithmeticResult = {
    outDir: o.outDir, seconds: (performance.now() - t0) / 1000, params: base.paramCount(),
    heldOutCounts: Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, v.length])), trainingProblems: train.length,
    pretrain: { steps: pre.steps, valLoss: pre.valLoss, tokensPerSecond: pre.tokensPerSecond },
    base: before, afterRl: after, rlSteps: rl.steps, rlDir: 'rl', finalDir, countdown, plan: p.plan,
    tokenizer: { kind: p.tokenizer, vocabSize: tok.vocabSize },
    context: { seqLen: p.pretrain.seqLen, longestReference: longest },
  };
  const path = join(o.outDir, 'results.json');
  writeFileSync(`${path}.tmp`, JSON.stringify(result, null, 2));
  renameSync(`${path}.tmp`, path);
  return result;
}

/**
 * The `ponder speedrun --preset arithmetic[-ci] [--tokenizer chars|bpe|places]` entry: the run, then
 * report.md beside results.json. `tokenizer` overrides the preset's (bpe reproduces older runs).
 */
export function runArithmeticSpeedrun(presetName: string, outDir: string, seed = 1, tokenizer?: string): ArithmeticResult {
  const known = ARITHMETIC_PRESETS[presetName];
  if (!known) throw new PonderError(`unknown arithmetic preset '${presetName}' (known: ${Object.keys(ARITHMETIC_PRESETS).join(', ')})`);
  if (!Number.isInteger(seed)) throw new PonderError(`--seed must be an integer, got '${seed}'`);
  if (tokenizer !== undefined && !ARITHMETIC_TOKENIZERS.includes(tokenizer as ArithmeticTokenizer)) {
    throw new PonderError(`--tokenizer must be one of ${ARITHMETIC_TOKENIZERS.join(', ')}, got '${tokenizer}'`);
  }
  const preset = { ...known, tokenizer: (tokenizer as ArithmeticTokenizer | undefined) ?? known.tokenizer };
  const r = runArithmetic({ preset, outDir, seed });
  console.error(`report: ${writeArithmeticReport(r)}`);
  return r;
}
