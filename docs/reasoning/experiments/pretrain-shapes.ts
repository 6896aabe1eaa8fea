// Experiment (docs/reasoning/report.md, section 4): pretrain on a shape mix and score every shape
// every K steps, greedy with thinking forced on. Run from the repository root:
//   PONDER_THREADS=1 npx tsx docs/reasoning/experiments/pretrain-shapes.ts '{"name":"A","pretrain":[...],"eval":["3x1","6x1","7x1","8x1"],"steps":1500}' [outDir]
import { join } from 'node:path';
import { writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { Transformer } from '../../../src/model/transformer.ts';
import { validateConfig } from '../../../src/model/config.ts';
import { trainBpe } from '../../../src/tokenizer/index.ts';
import { documentTexts, reasoningStream } from '../../../src/data/reasoning.ts';
import { pretrain } from '../../../src/train/pretrain.ts';
import { saveCheckpoint } from '../../../src/io/checkpoint.ts';
import { shapeName, type Shape } from '../../../src/tasks/columns.ts';
import { cleanShapesTask, heldOutSets, trainingProblems, assertClean, shapeHeldOut, heldValueSet } from '../../../src/pipeline/arithmetic-data.ts';
import { evaluateShapes } from '../../../src/pipeline/arithmetic.ts';
import { setThreads } from '../../../src/backend/native/index.ts';
import type { Problem } from '../../../src/tasks/types.ts';
setThreads(1);
const cfg = JSON.parse(process.argv[2]!);
const name: string = cfg.name;
const out = process.argv[3] ?? `runs/arith-exp/${name}`; mkdirSync(out, { recursive: true });
const log = (s: string) => { console.log(s); appendFileSync(join(out, 'log.txt'), s + '\n'); };
const mul = (a: number, b = 1): Shape => ({ op: '*', a, b });
const sh = (s: string): Shape => { const m = /^(\d+)([x+-])(\d+)$/.exec(s)!; return { op: m[2] === 'x' ? '*' : m[2] as '+' | '-', a: +m[1]!, b: +m[3]! }; };
const pre: Shape[] = (cfg.pretrain as string[]).map(sh);
const evalShapes: Shape[] = (cfg.eval as string[]).map(sh);
const n = cfg.n ?? 20, seed = cfg.seed ?? 1;
const sets: Record<string, Problem[]> = {};
for (const s of evalShapes) sets[shapeName(s)] = shapeHeldOut(s, n, seed);
sets['3x1 held'] = heldValueSet(n, seed, 1);
const held = Object.values(sets).flat();
const steps = cfg.steps, B = cfg.batch ?? 16, T = cfg.seqLen ?? 256;
const train = trainingProblems(pre, Math.ceil(steps * B * (T + 1) / 100) + 2000, seed, held);
assertClean(train, held);
const task = cleanShapesTask('column-arithmetic', pre, held);
const tok = trainBpe(documentTexts(task, train.slice(0, 5000)), 300);
const model = { d_model: 96, n_layers: 3, n_heads: 3, n_kv_heads: 3, d_ff: 256, max_seq_len: cfg.maxSeq ?? 384, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true, ...(cfg.model ?? {}) };
const config = validateConfig({ ...model, vocab_size: Math.max(tok.vocabSize, 64) });
const stream = reasoningStream(tok, task, train, 1, seed);
const base = new Transformer(config, seed);
log(`${name}: ${train.length} problems, ${stream.length} tokens, ${base.paramCount()} params`);
const evalEvery = cfg.evalEvery ?? 400;
const t0 = performance.now();
const evalNow = (m: Transformer, step: number) => {
  const rs = evaluateShapes(m, tok, sets, cfg.evalMax ?? 300);
  log(`[${((performance.now() - t0) / 1000).toFixed(0)}s] step ${step}: ` + rs.map((r) => `${r.shape} ${(r.stats.accuracy * 100).toFixed(0)}% ${JSON.stringify(Object.fromEntries(Object.entries(r.stats.errors).filter(([, v]) => v > 0)))}`).join(' | '));
  return rs;
};
const r = pretrain({ model: base, tokenizer: tok, tokens: stream, outDir: join(out, 'base'), steps, batchSize: B, seqLen: T, lr: cfg.lr ?? 3e-3,
  evalEvery: 100, checkpointEvery: 100000, seed, progress: false,
  onStep: (s, loss) => { if (s % 100 === 0) log(`step ${s} loss ${loss.toFixed(3)} ${((performance.now() - t0) / 1000).toFixed(0)}s`); if (s % evalEvery === 0 && s < steps) evalNow(base, s); } });
saveCheckpoint(join(out, 'model'), r.model, { tokenizer: tok });
const rs = evalNow(r.model, steps);
for (const x of rs) for (const e of x.examples) if (!e.correct) log(`--- ${x.shape}\n${e.completion}`);
writeFileSync(join(out, 'final.json'), JSON.stringify(rs.map((x) => ({ shape: x.shape, stats: x.stats, examples: x.examples })), null, 1));
