// Experiment (docs/reasoning/report.md, section 5): GRPO (answer-only reward) from a saved base
// (outDir/model), scored before and after on fresh held-out sets (greedy, thinking forced on) with
// length, lines, result lines right and errors by kind. Run from the repository root:
//   PONDER_THREADS=1 npx tsx docs/reasoning/experiments/grpo-from-base.ts '{"name":"B","eval":["3x1","6x1","7x1"],"rl":["6x1"],"steps":50,"lr":5e-5,"temp":0.7,"prompts":16}' [outDir]
import { join } from 'node:path';
import { appendFileSync } from 'node:fs';
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { shapeName, type Shape } from '../../../src/tasks/columns.ts';
import { CI_PLAN_6X1, heldOutSets, cleanShapesTask, shapeHeldOut, heldValueSet } from '../../../src/pipeline/arithmetic-data.ts';
import { evaluateShapes } from '../../../src/pipeline/arithmetic.ts';
import { trainGrpo } from '../../../src/rl/trainer.ts';
import { setThreads } from '../../../src/backend/native/index.ts';
import type { Problem } from '../../../src/tasks/types.ts';
import type { Tokenizer } from '../../../src/tokenizer/index.ts';
setThreads(1);
const cfg = JSON.parse(process.argv[2]!);
const out = process.argv[3] ?? `runs/arith-exp/${cfg.name}`;
const log = (s: string) => { console.log(s); appendFileSync(join(out, 'rl-log.txt'), s + '\n'); };
const sh = (s: string): Shape => { const m = /^(\d+)([x+-])(\d+)$/.exec(s)!; return { op: m[2] === 'x' ? '*' : m[2] as '+' | '-', a: +m[1]!, b: +m[3]! }; };
const ck = loadCheckpoint(join(out, 'model'));
const tok = ck.tokenizer as Tokenizer;
const n = cfg.n ?? 100, seed = cfg.seed ?? 1;
let sets: Record<string, Problem[]> = {};
for (const s of (cfg.eval as string[]).map(sh)) sets[shapeName(s)] = shapeHeldOut(s, n, seed + 100);
sets['3x1 held'] = heldValueSet(Math.min(n, 100), seed + 100, 1);
if (cfg.pipelineSets) sets = heldOutSets(100, 1, CI_PLAN_6X1); // the plan of report sections 4-10
const held = Object.values(sets).flat();
const fmt = (rs: ReturnType<typeof evaluateShapes>) => rs.map((r) => `${r.shape} ${(r.stats.accuracy * 100).toFixed(1)}% tok ${r.stats.meanTokens.toFixed(0)} lines ${r.stats.meanSteps.toFixed(1)} checks ${r.stats.meanChecks.toFixed(2)} ${JSON.stringify(Object.fromEntries(Object.entries(r.stats.errors).filter(([, v]) => v > 0)))}`).join('\n  ');
const t0 = performance.now();
if (!cfg.skipBase) log(`base:\n  ${fmt(evaluateShapes(ck.model, tok, sets, cfg.evalMax ?? 260))}  [${((performance.now() - t0) / 1000).toFixed(0)}s]`);
const rlTask = cleanShapesTask('rl', (cfg.rl as string[]).map(sh), held);
const rl = trainGrpo({ policy: ck.model, tokenizer: tok, task: rlTask, difficulty: 1, heldOut: held, outDir: join(out, cfg.rlDir ?? 'rl'),
  steps: cfg.steps, promptsPerStep: cfg.prompts ?? 8, groupSize: cfg.group ?? 8, lr: cfg.lr ?? 1e-4, maxNewTokens: cfg.maxNew ?? 220, temperature: cfg.temp ?? 1, seed, progress: false, checkpointEvery: 100000,
  onStep: (row) => { if (row.step % 5 === 0) log(`rl step ${row.step} acc ${row.accuracy?.toFixed(3)} len ${row.completion_tokens ?? row.mean_length ?? ''} ${((performance.now() - t0) / 1000).toFixed(0)}s`); } });
log(`after RL (${rl.steps} steps):\n  ${fmt(evaluateShapes(rl.policy, tok, sets, cfg.evalMax ?? 260))}  [${((performance.now() - t0) / 1000).toFixed(0)}s]`);
