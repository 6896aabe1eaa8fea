// What the shape experiments share (pretrain-shapes.ts, place-digits.ts): the JSON config, the
// held-out sets and clean training problems, and a pretraining run scored every K steps (greedy,
// thinking forced on), logged to OUT/log.txt with the final model and OUT/final.json.
import { join } from 'node:path';
import { writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import type { Transformer } from '../../../src/model/transformer.ts';
import type { Tokenizer } from '../../../src/tokenizer/index.ts';
import { pretrain } from '../../../src/train/pretrain.ts';
import { saveCheckpoint } from '../../../src/io/checkpoint.ts';
import { shapeName, type Shape } from '../../../src/tasks/columns.ts';
import { trainingProblems, assertClean, shapeHeldOut, heldValueSet } from '../../../src/pipeline/arithmetic-data.ts';
import { evaluateShapes } from '../../../src/pipeline/arithmetic.ts';
import { validateConfig } from '../../../src/model/config.ts';
import { Transformer as Model } from '../../../src/model/transformer.ts';
import { initPlaceRows, type PlaceDigitTokenizer } from '../../../src/tokenizer/place-digits.ts';
import { Rng as NormalRng } from '../../../src/tensor/random.ts';
import type { Problem } from '../../../src/tasks/types.ts';

/** "3x1" -> 3-digit by 1-digit product; "4+4", "5-4" likewise. */
export const parseShape = (s: string): Shape => {
  const m = /^(\d+)([x+-])(\d+)$/.exec(s);
  if (!m) throw new Error(`shape must look like 3x1, 4+4 or 5-4, got ${JSON.stringify(s)}`);
  return { op: m[2] === 'x' ? '*' : m[2] as '+' | '-', a: +m[1]!, b: +m[3]! };
};

export interface ShapeRun {
  cfg: Record<string, any>; name: string; out: string; log: (s: string) => void;
  pre: Shape[]; sets: Record<string, Problem[]>; held: Problem[]; train: Problem[];
  steps: number; batch: number; seqLen: number; seed: number;
}

/** argv[2] is the JSON config, argv[3] the output folder; `n` problems a set unless the config says. */
export function shapeRun(n: number): ShapeRun {
  const cfg = JSON.parse(process.argv[2]!);
  const name: string = cfg.name;
  const out = process.argv[3] ?? `runs/arith-exp/${name}`;
  mkdirSync(out, { recursive: true });
  const log = (s: string) => { console.log(s); appendFileSync(join(out, 'log.txt'), s + '\n'); };
  const pre = (cfg.pretrain as string[]).map(parseShape);
  const seed = cfg.seed ?? 1, size = cfg.n ?? n;
  const sets: Record<string, Problem[]> = {};
  for (const s of (cfg.eval as string[]).map(parseShape)) sets[shapeName(s)] = shapeHeldOut(s, size, seed);
  sets['3x1 held'] = heldValueSet(size, seed, 1);
  const held = Object.values(sets).flat();
  const steps = cfg.steps, batch = cfg.batch ?? 16, seqLen = cfg.seqLen ?? 256;
  const train = trainingProblems(pre, Math.ceil(steps * batch * (seqLen + 1) / 100) + 2000, seed, held);
  assertClean(train, held);
  return { cfg, name, out, log, pre, sets, held, train, steps, batch, seqLen, seed };
}

/** Pretrains `model` on `stream`, scoring every `evalEvery` steps and at the end; saves OUT/model. */
export function pretrainAndScore(run: ShapeRun, model: Transformer, tok: Tokenizer, stream: Int32Array, evalEvery: number): void {
  const { cfg, out, log, sets, steps } = run;
  const t0 = performance.now();
  const secs = () => ((performance.now() - t0) / 1000).toFixed(0);
  const evalNow = (m: Transformer, step: number) => {
    const rs = evaluateShapes(m, tok, sets, cfg.evalMax ?? 300);
    log(`[${secs()}s] step ${step}: ` + rs.map((r) => `${r.shape} ${(r.stats.accuracy * 100).toFixed(0)}% ${JSON.stringify(Object.fromEntries(Object.entries(r.stats.errors).filter(([, v]) => v > 0)))}`).join(' | '));
    return rs;
  };
  const r = pretrain({ model, tokenizer: tok, tokens: stream, outDir: join(out, 'base'), steps, batchSize: run.batch, seqLen: run.seqLen, lr: cfg.lr ?? 3e-3,
    evalEvery: 100, checkpointEvery: 100000, seed: run.seed, progress: false,
    onStep: (s, loss) => { if (s % 100 === 0) log(`step ${s} loss ${loss.toFixed(3)} ${secs()}s`); if (s % evalEvery === 0 && s < steps) evalNow(model, s); } });
  saveCheckpoint(join(out, 'model'), r.model, { tokenizer: tok });
  const rs = evalNow(r.model, steps);
  for (const x of rs) for (const e of x.examples) if (!e.correct) log(`--- ${x.shape}\n${e.completion}`);
  writeFileSync(join(out, 'final.json'), JSON.stringify(rs.map((x) => ({ shape: x.shape, stats: x.stats, examples: x.examples })), null, 1));
}

/** The shape experiments' model (0.37M unless cfg.model says otherwise) for a place-digit tokenizer,
 *  its place rows started from its digit rows (initPlaceRows). */
export function placeDigitModel(cfg: Record<string, any>, tok: PlaceDigitTokenizer, seed: number): Transformer {
  const model = { d_model: 96, n_layers: 3, n_heads: 3, n_kv_heads: 3, d_ff: 256, max_seq_len: cfg.maxSeq ?? 384, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true, ...(cfg.model ?? {}) };
  const config = validateConfig({ ...model, vocab_size: tok.vocabSize });
  const base = new Model(config, seed);
  initPlaceRows(base.embed.data as Float32Array, config.d_model, tok, new NormalRng(seed + 11));
  return base;
}
