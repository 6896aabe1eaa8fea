// Experiment: the column traces of pretrain-shapes.ts (run A) with digits that carry their place
// (src/tokenizer/place-digits.ts). Each training document draws an offset for its places; the
// held-out questions are encoded at offset 0. Greedy, thinking forced on, every K steps.
//   PONDER_THREADS=1 npx tsx docs/reasoning/experiments/place-digits.ts '{"name":"P1","pretrain":[...],"eval":["3x1","6x1","7x1","8x1"],"steps":1500}' [outDir]
// "places": tokens per digit (default 12); "factorized": false starts place tokens from random
// rows instead of digit row + place row; "offsetShare": fraction of documents with a random offset;
// "nope": true for no positional encoding (identity rotation tables; this model is not saved usable).
import { join } from 'node:path';
import { writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { Transformer } from '../../../src/model/transformer.ts';
import { validateConfig } from '../../../src/model/config.ts';
import { encodeChat, renderChat, trainBpe } from '../../../src/tokenizer/index.ts';
import { PlaceDigitTokenizer, longestNumber } from '../../../src/tokenizer/place-digits.ts';
import { BYTE_BASE } from '../../../src/tokenizer/special.ts';
import { chatExample, documentTexts } from '../../../src/data/reasoning.ts';
import { pretrain } from '../../../src/train/pretrain.ts';
import { saveCheckpoint } from '../../../src/io/checkpoint.ts';
import { shapeName, type Shape } from '../../../src/tasks/columns.ts';
import { cleanShapesTask, trainingProblems, assertClean, shapeHeldOut, heldValueSet } from '../../../src/pipeline/arithmetic-data.ts';
import { evaluateShapes } from '../../../src/pipeline/arithmetic.ts';
import { setThreads } from '../../../src/backend/native/index.ts';
import { Rng } from '../../../src/tasks/rng.ts';
import { Rng as NormalRng } from '../../../src/tensor/random.ts';
import type { Problem } from '../../../src/tasks/types.ts';
setThreads(Number(process.env.PONDER_THREADS ?? 1));
const cfg = JSON.parse(process.argv[2]!);
const name: string = cfg.name;
const out = process.argv[3] ?? `runs/arith-exp/${name}`; mkdirSync(out, { recursive: true });
const log = (s: string) => { console.log(s); appendFileSync(join(out, 'log.txt'), s + '\n'); };
const sh = (s: string): Shape => { const m = /^(\d+)([x+-])(\d+)$/.exec(s)!; return { op: m[2] === 'x' ? '*' : m[2] as '+' | '-', a: +m[1]!, b: +m[3]! }; };
const pre: Shape[] = (cfg.pretrain as string[]).map(sh);
const evalShapes: Shape[] = (cfg.eval as string[]).map(sh);
const n = cfg.n ?? 30, seed = cfg.seed ?? 1, places = cfg.places ?? 12;
const sets: Record<string, Problem[]> = {};
for (const s of evalShapes) sets[shapeName(s)] = shapeHeldOut(s, n, seed);
sets['3x1 held'] = heldValueSet(n, seed, 1);
const held = Object.values(sets).flat();
const steps = cfg.steps, B = cfg.batch ?? 16, T = cfg.seqLen ?? 256;
const train = trainingProblems(pre, Math.ceil(steps * B * (T + 1) / 100) + 2000, seed, held);
assertClean(train, held);
const clean = cleanShapesTask('column-arithmetic', pre, held);
// "pad": up to this many spaces at the start of each reasoning line, drawn per line, so the distance
// from a digit to its place in the line above varies in training (0: the traces as they are).
const padRng = new Rng(seed + 13);
const task = cfg.pad ? { ...clean, solveWithSteps: (p: Problem) => clean.solveWithSteps(p).split('\n').map((l, i, all) => (i === 0 || i === all.length - 1 ? l : ' '.repeat(padRng.int(0, cfg.pad)) + l)).join('\n') } : clean;
const bpe = trainBpe(documentTexts(task, train.slice(0, 5000)), cfg.vocab ?? 300);
const tok = new PlaceDigitTokenizer(bpe.merges, places);

// The stream: one random offset per document, so every place up to `places` is trained.
const rng = new Rng(seed + 7);
const ids: number[] = [];
for (const p of train) {
  const msgs = chatExample(task, p, true);
  const room = places - longestNumber(renderChat(msgs));
  tok.offset = rng.float() < (cfg.offsetShare ?? 1) ? rng.int(0, Math.max(0, room)) : 0;
  ids.push(...encodeChat(tok, msgs));
}
tok.offset = 0;
const stream = Int32Array.from(ids);

const model = { d_model: 96, n_layers: 3, n_heads: 3, n_kv_heads: 3, d_ff: 256, max_seq_len: cfg.maxSeq ?? 384, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true, ...(cfg.model ?? {}) };
const config = validateConfig({ ...model, vocab_size: tok.vocabSize });
const base = new Transformer(config, seed);
if (cfg.factorized !== false) {
  // d@p starts as the digit's row plus a row for the place: what the digits share stays shared.
  const E = base.embed.data as Float32Array, C = config.d_model, r = new NormalRng(seed + 11);
  for (let p = 1; p <= places; p++) {
    const placeRow = Array.from({ length: C }, () => r.normal() * 0.02);
    for (let d = 0; d < 10; d++) {
      const id = tok.placeId(d, p), from = (BYTE_BASE + 0x30 + d) * C;
      for (let c = 0; c < C; c++) E[id * C + c] = E[from + c] + placeRow[c];
    }
  }
}
if (cfg.nope) {
  // No positional encoding (Kazemnejad et al. 2023): RoPE's tables set to the identity rotation.
  const half = (config.d_model / config.n_heads) / 2, len = config.max_seq_len * half;
  const identity = { cos: new Float32Array(len).fill(1), sin: new Float32Array(len) };
  for (const b of base.blocks) (b.attn as unknown as { rotary: unknown }).rotary = identity;
}
log(`${name}: ${train.length} problems, ${stream.length} tokens, ${base.paramCount()} params, vocab ${tok.vocabSize}`);
const evalEvery = cfg.evalEvery ?? 500;
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
