// Experiment (docs/reasoning/report.md, section 4): pretrain on a shape mix and score every shape
// every K steps, greedy with thinking forced on. Run from the repository root:
//   PONDER_THREADS=1 npx tsx docs/reasoning/experiments/pretrain-shapes.ts '{"name":"A","pretrain":[...],"eval":["3x1","6x1","7x1","8x1"],"steps":1500}' [outDir]
import { Transformer } from '../../../src/model/transformer.ts';
import { validateConfig } from '../../../src/model/config.ts';
import { trainBpe } from '../../../src/tokenizer/index.ts';
import { documentTexts, reasoningStream } from '../../../src/data/reasoning.ts';
import { cleanShapesTask } from '../../../src/pipeline/arithmetic-data.ts';
import { setThreads } from '../../../src/backend/native/index.ts';
import { pretrainAndScore, shapeRun } from './shape-runs.ts';
setThreads(1);
const run = shapeRun(20);
const { cfg, train, seed } = run;
const task = cleanShapesTask('column-arithmetic', run.pre, run.held);
const tok = trainBpe(documentTexts(task, train.slice(0, 5000)), 300);
const model = { d_model: 96, n_layers: 3, n_heads: 3, n_kv_heads: 3, d_ff: 256, max_seq_len: cfg.maxSeq ?? 384, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true, ...(cfg.model ?? {}) };
const config = validateConfig({ ...model, vocab_size: Math.max(tok.vocabSize, 64) });
const stream = reasoningStream(tok, task, train, 1, seed);
const base = new Transformer(config, seed);
run.log(`${run.name}: ${train.length} problems, ${stream.length} tokens, ${base.paramCount()} params`);
pretrainAndScore(run, base, tok, stream, cfg.evalEvery ?? 400);
