// Experiment (docs/reasoning/report.md, section 6): Countdown search on chosen levels: pretrain on successful random-order searches, score
// held-out instances (greedy, thinking forced on), GRPO on answer-only reward, score again.
import { join } from 'node:path';
import { appendFileSync, mkdirSync } from 'node:fs';
import { Transformer } from '../../../src/model/transformer.ts';
import { validateConfig } from '../../../src/model/config.ts';
import { trainBpe } from '../../../src/tokenizer/index.ts';
import { documentTexts, reasoningStream } from '../../../src/data/reasoning.ts';
import { pretrain } from '../../../src/train/pretrain.ts';
import { trainGrpo } from '../../../src/rl/trainer.ts';
import { countdownSearchTask, searchSolves } from '../../../src/tasks/countdown-search.ts';
import { parseCountdownQuestion } from '../../../src/tasks/countdown.ts';
import { heldOutSet, TrainingSampler } from '../../../src/tasks/heldout.ts';
import { evaluateCountdown } from '../../../src/pipeline/arithmetic-countdown.ts';
import { setThreads } from '../../../src/backend/native/index.ts';
import type { Problem, Task } from '../../../src/tasks/types.ts';
setThreads(1);
// PONDER_THREADS=1 npx tsx docs/reasoning/experiments/countdown-levels.ts '{"name":"cd1","levels":[1],"steps":800,"maxLines":12,"maxNew":256,"rlSteps":60,"lr":5e-5,"temp":1.0,"prompts":16}' [outDir]
const cfg = JSON.parse(process.argv[2]!);
const out = process.argv[3] ?? `runs/arith-exp/${cfg.name}`;
mkdirSync(out, { recursive: true });
const log = (s: string) => { console.log(s); appendFileSync(join(out, 'log.txt'), s + '\n'); };
const levels: number[] = cfg.levels ?? [1];
// "checkTarget": every verdict line restates the target ("=13 vs 30 no"), so that "yes" is a local
// comparison on the line rather than a recall of the question (the base wrote false "yes" lines).
const searchTask = countdownSearchTask(cfg.maxLines ?? 16);
const withTarget = (p: Problem): string => {
  const target = parseCountdownQuestion(p.question, p.task).target;
  return searchTask.solveWithSteps!(p).split('\n').map((l) => l.replace(/=(\d+) (yes|no)$/, `=$1 vs ${target} $2`)).join('\n');
};
const task: Task = cfg.checkTarget ? { ...searchTask, solveWithSteps: withTarget } : searchTask;
const mixed: Task = { ...task, generate: (rng) => task.generate(rng, rng.pick(levels)) };
const sets = levels.map((d) => heldOutSet(task, d, cfg.heldOut ?? 100, 1));
const held = sets.flat();
const steps = cfg.steps, B = 16, T = cfg.seqLen ?? 256;
const need = Math.min(cfg.docs ?? 1e9, Math.ceil((steps * B * (T + 1)) / 100) + 2000);
const sampler = new TrainingSampler(mixed, 1, held);
const docs: Problem[] = [];
while (docs.length < need) { const q = sampler.sample(1); if (searchSolves(q, cfg.maxLines ?? 16)) docs.push(q); }
const tok = trainBpe(documentTexts(task, docs.slice(0, 5000)), 300);
const model = new Transformer(validateConfig({ d_model: 96, n_layers: 3, n_heads: 3, n_kv_heads: 3, d_ff: 256, max_seq_len: 384, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true, vocab_size: Math.max(tok.vocabSize, 64) }), 1);
log(`${cfg.name}: ${docs.length} training searches, levels ${levels}`);
const t0 = performance.now();
const fmt = (es: ReturnType<typeof evaluateCountdown>) => es.map((e) => `${e.numbers} numbers ${(e.accuracy * 100).toFixed(0)}% tok ${e.meanTokens.toFixed(0)} tries ${e.meanTries.toFixed(1)}`).join(' | ');
const pre = pretrain({ model, tokenizer: tok, tokens: reasoningStream(tok, task, docs, 1, 1), outDir: join(out, 'base'), steps, batchSize: B, seqLen: T, lr: 3e-3, evalEvery: 100, checkpointEvery: 100000, seed: 1, progress: false });
const maxNew = cfg.maxNew ?? 200;
const base = evaluateCountdown(pre.model, tok, sets, maxNew);
log(`[${((performance.now() - t0) / 1000).toFixed(0)}s] base: ${fmt(base)}`);
for (const e of base) log(`base sample (${e.examples[0]!.correct ? 'right' : 'wrong'}):\n${e.examples[0]!.question}\n${e.examples[0]!.completion}`);
const rl = trainGrpo({ policy: pre.model, tokenizer: tok, task: mixed, difficulty: 1, heldOut: held, outDir: join(out, 'rl'), steps: cfg.rlSteps ?? 60,
  promptsPerStep: cfg.prompts ?? 16, groupSize: 8, lr: cfg.lr ?? 1e-4, temperature: cfg.temp ?? 0.7, maxNewTokens: maxNew, seed: 1, progress: false, checkpointEvery: 100000,
  onStep: (row) => { if (row.step % 10 === 0) log(`rl step ${row.step} acc ${row.accuracy.toFixed(3)} len ${row.completion_length.toFixed(0)} trunc ${row.truncated.toFixed(2)}`); } });
const after = evaluateCountdown(rl.policy, tok, sets, maxNew);
log(`[${((performance.now() - t0) / 1000).toFixed(0)}s] after RL (${rl.steps} steps): ${fmt(after)}`);
for (const e of after) log(`after sample (${e.examples[0]!.correct ? 'right' : 'wrong'}):\n${e.examples[0]!.question}\n${e.examples[0]!.completion}`);
