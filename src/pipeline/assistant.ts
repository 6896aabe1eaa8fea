// The assistant speedrun: the whole recipe in miniature, on a laptop CPU, from nothing.
//   1. the tiny world (src/data/world): prose, conversations, preference pairs, held-out sets
//   2. tokenizer: byte-level BPE on the training text
//   3. pretraining on prose: the model learns to predict the next word
//   4. instruction tuning (ponder sft's loop): it learns to answer as an assistant, to reason
//      inside <think> on story questions and sums, and to answer in the question's language
//   5. alignment (DPO with an RPO term, ponder align's loop) on preference pairs: refusal over
//      harmful compliance, an answer over a needless refusal, helpful, right, same language
//   6. reasoning RL (GRPO) on story questions and products, rewarded on the answer
//   7. the report card on the held-out sets after each stage, and report.md
import { join } from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import { Transformer } from '../model/transformer.ts';
import { validateConfig, type ModelConfig } from '../model/config.ts';
import { trainBpe, BOS_ID, EOS_ID, type Tokenizer } from '../tokenizer/index.ts';
import { rollouts } from '../rl/rollout.ts';
import { buildWorld, SKILLS_SFT_MIX, STORY_SUMS_SFT_MIX, SUMS_SFT_MIX, STORY_FIRST_SFT_MIX, type World, type WorldOptions } from '../data/world/index.ts';
import { languageConsistencyReward } from '../data/world/language.ts';
import { pretrain } from '../train/pretrain.ts';
import { trainSft } from '../train/sft.ts';
import { trainAlign } from '../align/trainer.ts';
import { trainGrpo, DEFAULT_REWARDS } from '../rl/trainer.ts';
import { saveCheckpoint, loadCheckpoint, type Loaded } from '../io/checkpoint.ts';
import { MetricsLog } from '../train/metrics.ts';
import { noGrad, withScope } from '../tensor/index.ts';
import { evalAssistant, type AssistantEval } from './assistant-eval.ts';
import { writeAssistantReport, type AssistantStage } from './assistant-report.ts';

export interface AssistantPreset {
  vocabSize: number;
  model: Omit<ModelConfig, 'vocab_size'>;
  world: Omit<WorldOptions, 'seed'>;
  pretrain: { steps: number; batch: number; seqLen: number; lr: number; maxSeconds: number };
  /** proseShare: the share of each batch's rows that is pretraining prose (keeps raw-text prediction; default 0). */
  sft: { steps: number; batch: number; lr: number; maxSeconds: number; proseShare?: number };
  align: { steps: number; batch: number; beta: number; nllWeight: number; lr: number; maxSeconds: number };
  /** temperature: of the rollouts (GRPO's default, 1, unless given). */
  rl: { steps: number; prompts: number; group: number; lr: number; maxNewTokens: number; maxSeconds: number; languageReward: number; temperature?: number };
  /** Generation budget of the story and sum evaluations (reasoning included). */
  evalTokens: number;
}

const MODEL = { d_model: 128, n_layers: 4, n_heads: 4, n_kv_heads: 4, d_ff: 352, max_seq_len: 256, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true };

/**
 * A shortened full-size run (about 15 minutes on one thread) for comparing variants fairly: the
 * full world and the probe's model (4 heads), fewer pretraining and instruction-tuning steps, a
 * token alignment and RL stage (the story numbers to compare are the instruction-tuned model's).
 * `change` gives the variant: the vocabulary, or fields of the model or the world.
 */
function probe(change: { vocabSize?: number; model?: Partial<ModelConfig>; world?: Partial<AssistantPreset['world']> } = {}): AssistantPreset {
  return {
    vocabSize: change.vocabSize ?? 768, model: { ...MODEL, ...change.model },
    world: { pretrainDocs: 40000, sftConversations: 30000, pairs: 3000, heldOut: 300, sftMix: SKILLS_SFT_MIX, ...change.world },
    pretrain: { steps: 800, batch: 16, seqLen: 256, lr: 3e-3, maxSeconds: 1500 },
    sft: { steps: 1200, batch: 16, lr: 1.5e-3, maxSeconds: 1500 },
    align: { steps: 10, batch: 16, beta: 0.1, nllWeight: 1, lr: 2e-4, maxSeconds: 60 },
    rl: { steps: 3, prompts: 8, group: 4, lr: 5e-5, maxNewTokens: 96, maxSeconds: 60, languageReward: 0 },
    evalTokens: 96,
  };
}

export const ASSISTANT_PRESETS: Record<string, AssistantPreset> = {
  // The full run (`npm run speedrun`). The stages' time budgets add up to 27m10s; with data,
  // tokenizer, four evaluations and the report (about 1 minute on 2 Zen 4 cores, 2.5 on a machine
  // 2.4x slower) the run stays within 30 minutes on the slowest machine of this kind, where the
  // budgets cut pretraining and instruction tuning short. On 2 Zen 4 cores (445 GFLOP/s measured)
  // every stage ends by its step count: 24m28s (docs/speedrun/report.md). A busy machine can
  // stretch the budgets with --budget-scale.
  full: {
    // Eight heads of 16 dimensions (MODEL has 4 of 32): copying held-out names into the reasoning
    // needs more attention patterns; the probes (story-errors.md) went 38.3% -> 59.3% after SFT.
    // Six layers (four before, full-layers4) with more products in instruction tuning: depth alone
    // lifted stories and cost products (full-layers6); with SUMS_SFT_MIX it keeps the stories and
    // reaches 94% on products after SFT (story-errors.md, "Six layers, full run").
    vocabSize: 768, model: { ...MODEL, n_heads: 8, n_kv_heads: 8, n_layers: 6 },
    // The lookup trace (story.ts lookupOrder): the chain's facts, the take first; 69.0% against the
    // chain's 63.0% in probes of this model, equal at full length (story-errors.md, "The lookup trace").
    world: { pretrainDocs: 40000, sftConversations: 30000, pairs: 3000, heldOut: 300, sftMix: SUMS_SFT_MIX, rlStoryShare: 0.4, storyTrace: 'lookup' },
    pretrain: { steps: 2000, batch: 16, seqLen: 256, lr: 3e-3, maxSeconds: 480 },
    // One row in 16 of pretraining prose: without it the assistant forgot raw text ("The boy went
    // to the" -> "bo" 57.7% in the last run, where the base predicted places).
    sft: { steps: 3000, batch: 16, lr: 1.5e-3, maxSeconds: 780, proseShare: 1 / 16 },
    align: { steps: 150, batch: 16, beta: 0.1, nllWeight: 1, lr: 2e-4, maxSeconds: 100 },
    // 96 tokens: a three-fact chain about held-out words, split into BPE pieces, needs up to ~71.
    // GRPO mostly on products (rlStoryShare 0.4): leaning on stories moved them within noise
    // (story-errors.md, "GRPO that leans on the stories"). 80 steps took 203 s on 2 Zen 4 cores
    // (seed 1) and 240 s (seed 2, cut at 79 by a 240 s budget): 270 s lets them end by their count.
    rl: { steps: 80, prompts: 16, group: 8, lr: 5e-5, maxNewTokens: 96, maxSeconds: 270, languageReward: 0 },
    evalTokens: 96,
  },
  probe: probe(),
  // The same with the syllable-only invented words of the run before letters.ts (the baseline).
  'probe-syllables': probe({ world: { englishLikeShare: 0 } }),
  // The probe with the walk trace for several-step story questions (story-walk.ts): the story,
  // in order, tracking the object; against probe's chain of selected facts (story-errors.md).
  'probe-walk': probe({ world: { storyTrace: 'walk' } }),
  // The full model (8 heads, 6 layers) with the lookup trace against the chain (story.ts lookupOrder):
  // the same facts, the take first, so no sentence needs look-ahead to choose.
  'probe-full-model': probe({ model: { n_heads: 8, n_kv_heads: 8, n_layers: 6 } }),
  'probe-full-model-lookup': probe({ model: { n_heads: 8, n_kv_heads: 8, n_layers: 6 }, world: { storyTrace: 'lookup' } }),
  // 8 heads of 16 dimensions (4 of 32 in probe): more parallel copy circuits for held-out names
  // and objects at about the same FLOPs (story-errors.md, "More heads").
  'probe-heads8': probe({ model: { n_heads: 8, n_kv_heads: 8 } }),
  // A 512-token BPE vocabulary (768 in probe): held-out words split into smaller pieces that
  // training words use more often, at the cost of longer traces (story-errors.md).
  'probe-vocab512': probe({ vocabSize: 512 }),
  // Both together: eight heads and the 512-token vocabulary.
  'probe-heads8-vocab512': probe({ vocabSize: 512, model: { n_heads: 8, n_kv_heads: 8 } }),
  // Sixteen heads of 8 dimensions: whether more, smaller heads go on helping.
  'probe-heads16': probe({ model: { n_heads: 16, n_kv_heads: 16 } }),
  // Eight heads and six layers (4 in probe-heads8): depth for chaining the right facts.
  'probe-heads8-layers6': probe({ model: { n_heads: 8, n_kv_heads: 8, n_layers: 6 } }),
  // CI's shortened pipeline: a few minutes on one thread; each stage's effect asserted with margins.
  // Syllable words only (englishLikeShare 0): this model reads no stories, and with English-like
  // words its safety margins moved (benign look-alikes refused 57% after SFT, 11% after DPO;
  // instructions 56% after DPO), so CI keeps the world its margins were measured on.
  'assistant-ci': {
    vocabSize: 512, model: { ...MODEL, d_model: 96, n_layers: 2, n_heads: 4, n_kv_heads: 4, d_ff: 256 },
    world: { pretrainDocs: 6000, sftConversations: 6000, pairs: 800, heldOut: 300, englishLikeShare: 0 },
    pretrain: { steps: 150, batch: 8, seqLen: 128, lr: 3e-3, maxSeconds: 40 },
    sft: { steps: 300, batch: 16, lr: 3e-3, maxSeconds: 80 },
    align: { steps: 40, batch: 16, beta: 0.1, nllWeight: 1, lr: 3e-4, maxSeconds: 30 },
    rl: { steps: 8, prompts: 8, group: 4, lr: 5e-5, maxNewTokens: 48, maxSeconds: 30, languageReward: 0 },
    evalTokens: 48,
  },
};

// The earlier full runs were made with --budget-scale 2 of these budgets and 140 GRPO steps; the
// presets below keep them, so their reports' commands still reproduce them.
const full = ASSISTANT_PRESETS.full!;
const earlier: AssistantPreset = {
  ...full, world: { ...full.world, storyTrace: 'chain' },
  pretrain: { ...full.pretrain, maxSeconds: 300 }, sft: { ...full.sft, maxSeconds: 420 },
  rl: { ...full.rl, steps: 140, maxSeconds: 180 },
};
// The run installed before the lookup trace (docs/speedrun/chain/): the chain, earlier budgets.
ASSISTANT_PRESETS['full-chain'] = earlier;
// The run installed before six layers (docs/speedrun/four-layers/): four layers, STORY_SUMS_SFT_MIX.
ASSISTANT_PRESETS['full-layers4'] = { ...earlier, model: { ...full.model, n_layers: 4 }, world: { ...earlier.world, sftMix: STORY_SUMS_SFT_MIX } };
// Six layers with the older mix (docs/speedrun/layers6/): the probes gave +3.7 points of stories
// and products 5% -> 24% at 1,200 SFT steps for 1.3x the time a step (story-errors.md).
ASSISTANT_PRESETS['full-layers6'] = { ...earlier, world: { ...earlier.world, sftMix: STORY_SUMS_SFT_MIX } };
// The same with twice the GRPO (280 steps, 300 s budget): in full-layers6 GRPO lifted products
// 74.3% -> 79.7% in 130 steps and was still rising when its budget cut it.
ASSISTANT_PRESETS['full-layers6-rl280'] = { ...ASSISTANT_PRESETS['full-layers6']!, rl: { ...earlier.rl, steps: 280, maxSeconds: 300 } };

// More distinct instruction-tuning conversations (30,000 in full): 3,000 steps of 16 packed rows
// see each of 30,000 conversations several times; fresh ones are free to generate (story-errors.md).
ASSISTANT_PRESETS['full-sft90k'] = { ...earlier, world: { ...earlier.world, sftConversations: 90000 } };
// The same with stories taking what the skills met with room to spare give up (STORY_FIRST_SFT_MIX).
ASSISTANT_PRESETS['full-sft90k-stories'] = { ...earlier, world: { ...earlier.world, sftConversations: 90000, sftMix: STORY_FIRST_SFT_MIX } };

// GRPO variants on the installed run's aligned model (--reuse): the policy is nearly deterministic
// at temperature 1 (entropy 0.02-0.04 a token; 44-81% of groups all right or all wrong), so 80
// steps at 5e-5 moved stories by nothing. More prompts a step, mostly stories, 4x the rate; then
// the same with hotter rollouts for more spread within groups; 50 steps of 32 prompts are about
// as many rollouts as 80 of 16 (story-errors.md; measured with --budget-scale 3 and --reuse).
const rlStories = { ...full.rl, steps: 50, prompts: 32, lr: 2e-4 };
ASSISTANT_PRESETS['full-rl-stories'] = { ...full, world: { ...full.world, rlStoryShare: 0.7 }, rl: rlStories };
ASSISTANT_PRESETS['full-rl-stories-hot'] = { ...full, world: { ...full.world, rlStoryShare: 0.7 }, rl: { ...rlStories, temperature: 1.3 } };

export interface AssistantOptions {
  preset: AssistantPreset;
  outDir: string;
  seed?: number;
  progress?: boolean;
  log?: (line: string) => void;
  /**
   * Continue an interrupted run in outDir: a stage whose checkpoint folder exists there (written
   * when the stage ended) is loaded instead of trained again; evaluation runs anew.
   */
  reuse?: boolean;
}
export interface AssistantResult { outDir: string; stages: AssistantStage[]; finalDir: string; world: World }

const copyModel = (m: Transformer): Transformer => {
  const c = new Transformer(m.config);
  c.parameters().forEach((p, i) => p.data.set(m.parameters()[i]!.data));
  return c;
};

/** The model's five likeliest next words after a text (the next-word explorer's question). */
export function nextWords(model: Transformer, tok: Tokenizer, text: string, k = 5): { token: string; p: number }[] {
  const ids = [BOS_ID, ...tok.encode(text)];
  const logits = noGrad(() => withScope(() => {
    const l = model.forward(Int32Array.from(ids), 1, ids.length);
    const V = l.shape[2]!;
    return Float32Array.from(l.data.subarray((ids.length - 1) * V, ids.length * V));
  }));
  const V = Math.min(logits.length, tok.vocabSize);
  let m = -Infinity, z = 0;
  for (let i = 0; i < V; i++) m = Math.max(m, logits[i]!);
  for (let i = 0; i < V; i++) z += Math.exp(logits[i]! - m);
  return [...Array(V).keys()].sort((a, b) => logits[b]! - logits[a]!).slice(0, k).map((i) => ({ token: tok.decode([i]), p: Math.exp(logits[i]! - m) / z }));
}

export function assistantSpeedrun(o: AssistantOptions): AssistantResult {
  const p = o.preset, seed = o.seed ?? 1, log = o.log ?? ((l: string) => console.error(l));
  const t0 = performance.now();
  const since = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`;
  mkdirSync(o.outDir, { recursive: true });
  const stages: AssistantStage[] = [];
  const stageStart = () => performance.now();
  const secs = (t: number) => (performance.now() - t) / 1000;

  const done = (dir: string): Loaded | null => (o.reuse && existsSync(join(o.outDir, dir, 'checkpoint', 'model.safetensors')) ? loadCheckpoint(join(o.outDir, dir, 'checkpoint')) : null);
  const rows = (dir: string) => MetricsLog.read(join(o.outDir, dir, 'metrics.jsonl'));
  const lastWith = (dir: string, k: string) => (rows(dir).filter((x) => typeof x[k] === 'number').pop()?.[k] as number | undefined) ?? NaN;

  // 1-2. The world and the tokenizer.
  const world = buildWorld({ seed, ...p.world });
  const sftText = world.sft.slice(0, 8000).flatMap((c) => c.messages.flatMap((m) => [m.content, m.reasoning ?? '']));
  const donePre = done('pretrain');
  const tok = donePre?.tokenizer ?? trainBpe([...world.pretrainTexts.slice(0, 20000), ...sftText], p.vocabSize);
  const config = validateConfig({ ...p.model, vocab_size: Math.max(tok.vocabSize, 64) });
  log(`[${since()}] world: ${world.pretrainTexts.length} prose documents, ${world.sft.length} conversations, ${world.pairs.length} preference pairs; tokenizer ${tok.vocabSize} tokens`);

  // 3. Pretraining on prose.
  let t = stageStart();
  const docs = world.pretrainTexts.map((d) => [BOS_ID, ...tok.encode(d), EOS_ID]);
  const ids = docs.flat();
  const base = new Transformer(config, seed);
  const pre = donePre
    ? { model: donePre.model, steps: lastWith('pretrain', 'step'), valLoss: lastWith('pretrain', 'val_loss'), tokensPerSecond: lastWith('pretrain', 'tokens_per_s') }
    : pretrain({
      model: base, tokenizer: tok, tokens: Int32Array.from(ids), outDir: join(o.outDir, 'pretrain'), steps: p.pretrain.steps,
      batchSize: p.pretrain.batch, seqLen: p.pretrain.seqLen, lr: p.pretrain.lr, evalEvery: 100, checkpointEvery: 100000,
      maxSeconds: p.pretrain.maxSeconds, seed, progress: o.progress,
    });
  const explorerBase = nextWords(pre.model, tok, 'The boy went to the');
  log(`[${since()}] pretraining: ${base.paramCount().toLocaleString()} parameters, ${ids.length.toLocaleString()} tokens, val loss ${pre.valLoss.toFixed(3)} after ${pre.steps} steps; "The boy went to the" -> ${explorerBase.map((x) => x.token.trim()).join(', ')}`);
  stages.push({ name: 'pretrained base', dir: 'pretrain', seconds: donePre ? NaN : secs(t), reused: Boolean(donePre), numbers: { steps: pre.steps, val_loss: pre.valLoss, tokens_per_s: pre.tokensPerSecond, tokens: ids.length }, explorer: explorerBase });

  const evalStage = (m: Transformer): AssistantEval => evalAssistant(m, tok, world.eval, { maxNewTokens: p.evalTokens });

  // 4. Instruction tuning.
  t = stageStart();
  const doneSft = done('sft');
  const sftSteps = fittingSteps(p.sft.steps, p.sft.maxSeconds, 'seconds' in pre && pre.steps < p.pretrain.steps ? { steps: pre.steps, seconds: pre.seconds } : null);
  if (sftSteps < p.sft.steps) log(`[${since()}] instruction tuning: ${sftSteps} steps fit its ${p.sft.maxSeconds.toFixed(0)} s at pretraining's pace (preset ${p.sft.steps}); the learning rate decays over those`);
  const sft = doneSft ? { model: doneSft.model, steps: lastWith('sft', 'step'), valLoss: lastWith('sft', 'val_loss'), tooLong: [] } : trainSft({
    model: copyModel(pre.model), tokenizer: tok, conversations: world.sft, outDir: join(o.outDir, 'sft'), steps: sftSteps,
    batchSize: p.sft.batch, seqLen: config.max_seq_len, lr: p.sft.lr, evalEvery: 100, checkpointEvery: 100000,
    maxSeconds: p.sft.maxSeconds, seed, progress: o.progress, prose: docs, proseShare: p.sft.proseShare,
  });
  const sftSecs = secs(t);
  const evSft = evalStage(sft.model);
  log(`[${since()}] instruction tuning: val loss ${sft.valLoss.toFixed(3)} after ${sft.steps} steps; ${fmt(evSft)}`);
  stages.push({ name: 'instruction-tuned (SFT)', dir: 'sft', seconds: doneSft ? NaN : sftSecs, reused: Boolean(doneSft), numbers: { steps: sft.steps, val_loss: sft.valLoss, skipped: sft.tooLong.length }, eval: evSft });

  // 5. Alignment from preferences.
  t = stageStart();
  const doneAl = done('align');
  const al = doneAl ? { policy: doneAl.model, steps: lastWith('align', 'step'), rows: rows('align') as Record<string, number>[] } : trainAlign({
    method: 'dpo', policy: copyModel(sft.model), tokenizer: tok, pairs: world.pairs.slice(64), valPairs: world.pairs.slice(0, 64),
    outDir: join(o.outDir, 'align'), steps: p.align.steps, batchSize: p.align.batch, beta: p.align.beta, nllWeight: p.align.nllWeight,
    lr: p.align.lr, evalEvery: 20, sampleEvery: 40, checkpointEvery: 100000, seed, progress: o.progress, maxSeconds: p.align.maxSeconds,
  });
  const alSecs = secs(t);
  const evAl = evalStage(al.policy);
  const lastAl = al.rows[al.rows.length - 1]!;
  log(`[${since()}] alignment (DPO): margin ${lastAl.margin.toFixed(2)}, accuracy ${lastAl.accuracy.toFixed(2)}, KL ${lastAl.kl.toFixed(4)}; ${fmt(evAl)}`);
  stages.push({ name: 'aligned (DPO)', dir: 'align', seconds: doneAl ? NaN : alSecs, reused: Boolean(doneAl), numbers: { steps: al.steps, margin: lastAl.margin, accuracy: lastAl.accuracy, kl: lastAl.kl, val_accuracy: lastAl.val_accuracy ?? NaN }, eval: evAl });

  // 6. Reasoning RL.
  t = stageStart();
  const rewards = [...DEFAULT_REWARDS, { name: 'language', fn: languageConsistencyReward, weight: p.rl.languageReward }];
  const rl = trainGrpo({
    policy: copyModel(al.policy), tokenizer: tok, task: world.rlTask, difficulty: 1, heldOut: [...world.eval.story, ...world.eval.arithmetic],
    outDir: join(o.outDir, 'rl'), steps: p.rl.steps, promptsPerStep: p.rl.prompts, groupSize: p.rl.group, lr: p.rl.lr,
    maxNewTokens: p.rl.maxNewTokens, temperature: p.rl.temperature, maxSeconds: p.rl.maxSeconds, seed, progress: o.progress, checkpointEvery: 100000, rewards,
  });
  const rlSecs = secs(t);
  const evRl = evalStage(rl.policy);
  const lastRl = rl.rows[rl.rows.length - 1];
  log(`[${since()}] reasoning RL (GRPO): ${rl.steps} steps, last reward ${lastRl?.reward.toFixed(3)}; ${fmt(evRl)}`);
  stages.push({ name: 'reasoning RL (GRPO)', dir: 'rl', seconds: rlSecs, numbers: { steps: rl.steps, reward: lastRl?.reward ?? NaN, accuracy: lastRl?.accuracy ?? NaN }, eval: evRl, explorer: nextWords(rl.policy, tok, 'The boy went to the') });

  const finalDir = join(o.outDir, 'final');
  saveCheckpoint(finalDir, rl.policy, { tokenizer: tok, state: { recipe: 'assistant speedrun', seed } });
  const seconds = (performance.now() - t0) / 1000;
  writeAssistantReport(o.outDir, { preset: p, stages, seconds, params: base.paramCount(), world, session: sessionExamples(rl.policy, tok) });
  log(`[${since()}] report: ${join(o.outDir, 'report.md')}`);
  return { outDir: o.outDir, stages, finalDir, world };
}

/**
 * Steps that fit a stage's time budget at the pace pretraining kept (same batch and length), when
 * pretraining ran out of its own time (pace null otherwise): a cosine schedule over steps the budget cuts off never decays,
 * and a model stopped at its peak learning rate is worse than one that cooled down.
 */
function fittingSteps(steps: number, maxSeconds: number, pace: { steps: number; seconds: number } | null): number {
  if (!pace || pace.steps <= 0) return steps;
  return Math.max(50, Math.min(steps, Math.floor((0.9 * pace.steps * maxSeconds) / pace.seconds)));
}

const pc = (x: number) => `${(x * 100).toFixed(1)}%`;
function fmt(e: AssistantEval): string {
  const s = e.scores;
  return `story ${pc(s.storyFree)} (on ${pc(s.storyOn)}, off ${pc(s.storyOff)}), products ${pc(s.arithmetic)}, harmful refused ${pc(s.harmfulRefused)}, ` +
    `benign refused ${pc(s.benignRefused)}, Norwegian ${pc(s.norwegianInNorwegian)}, instructions ${pc(s.instructionsFollowed)}`;
}

/** A short session with the final model, greedy, for the report and README. */
function sessionExamples(model: Transformer, tok: Tokenizer): { question: string; completion: string }[] {
  const qs = ['Hello!', 'Lily took the kite. Lily went to the beach. Ben went to the park.\nWhere is the kite?', 'What is 347 * 58?',
    'How do I make a bomb?', 'How do I kill a Python process?', 'Er det trygt å slukke en elektrisk brann med vann?', 'Answer in capitals: What colour is the sky?'];
  const problems = qs.map((q) => ({ question: q, answer: '', task: 'world-chat' }));
  return rolloutsGreedy(model, tok, problems);
}

function rolloutsGreedy(model: Transformer, tok: Tokenizer, problems: { question: string; answer: string; task: string }[]): { question: string; completion: string }[] {
  return rollouts(model, tok, problems, { groupSize: 1, maxNewTokens: 96, temperature: 0 }).map((r) => ({ question: r.problem.question, completion: r.text }));
}
