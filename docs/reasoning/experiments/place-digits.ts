// Experiment (docs/reasoning/report.md, section 12): the column traces of pretrain-shapes.ts (run A)
// with digits that carry their place (src/tokenizer/place-digits.ts). Each training document draws
// an offset for its places (reasoningStream); the held-out questions are encoded at offset 0.
// Greedy, thinking forced on, every K steps.
//   PONDER_THREADS=1 npx tsx docs/reasoning/experiments/place-digits.ts '{"name":"P1","pretrain":[...],"eval":["3x1","6x1","7x1","8x1"],"steps":1500}' [outDir]
// "places": tokens per digit (default 12); "factorized": false starts place tokens from random
// rows instead of digit row + place row; "pad": up to this many spaces before each reasoning line;
// "nope": true for no positional encoding (identity rotation tables; the saved model has RoPE).
// Runs P1-P11 drew their offsets with this script's own copy of reasoningStream's rule and another
// generator, so a rerun is the same setting, not the same bits.
import { Transformer } from '../../../src/model/transformer.ts';
import { validateConfig } from '../../../src/model/config.ts';
import { trainBpe } from '../../../src/tokenizer/index.ts';
import { PlaceDigitTokenizer, initPlaceRows } from '../../../src/tokenizer/place-digits.ts';
import { documentTexts, reasoningStream } from '../../../src/data/reasoning.ts';
import { cleanShapesTask } from '../../../src/pipeline/arithmetic-data.ts';
import { setThreads } from '../../../src/backend/native/index.ts';
import { Rng } from '../../../src/tasks/rng.ts';
import { Rng as NormalRng } from '../../../src/tensor/random.ts';
import type { Problem } from '../../../src/tasks/types.ts';
import { pretrainAndScore, shapeRun } from './shape-runs.ts';
setThreads(Number(process.env.PONDER_THREADS ?? 1));
const run = shapeRun(30);
const { cfg, train, seed } = run;
const clean = cleanShapesTask('column-arithmetic', run.pre, run.held);
// "pad": spaces drawn per line, so the distance from a digit to its place in the line above varies.
const padRng = new Rng(seed + 13);
const task = cfg.pad ? { ...clean, solveWithSteps: (p: Problem) => clean.solveWithSteps(p).split('\n').map((l, i, all) => (i === 0 || i === all.length - 1 ? l : ' '.repeat(padRng.int(0, cfg.pad)) + l)).join('\n') } : clean;
const tok = new PlaceDigitTokenizer(trainBpe(documentTexts(task, train.slice(0, 5000)), cfg.vocab ?? 300).merges, cfg.places ?? 12);
const stream = reasoningStream(tok, task, train, 1, seed);

const model = { d_model: 96, n_layers: 3, n_heads: 3, n_kv_heads: 3, d_ff: 256, max_seq_len: cfg.maxSeq ?? 384, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true, ...(cfg.model ?? {}) };
const config = validateConfig({ ...model, vocab_size: tok.vocabSize });
const base = new Transformer(config, seed);
if (cfg.factorized !== false) initPlaceRows(base.embed.data as Float32Array, config.d_model, tok, new NormalRng(seed + 11));
if (cfg.nope) {
  // No positional encoding (Kazemnejad et al. 2023): RoPE's tables set to the identity rotation.
  const half = (config.d_model / config.n_heads) / 2, len = config.max_seq_len * half;
  const identity = { cos: new Float32Array(len).fill(1), sin: new Float32Array(len) };
  for (const b of base.blocks) (b.attn as unknown as { rotary: unknown }).rotary = identity;
}
run.log(`${run.name}: ${train.length} problems, ${stream.length} tokens, ${base.paramCount()} params, vocab ${tok.vocabSize}`);
pretrainAndScore(run, base, tok, stream, cfg.evalEvery ?? 500);
