// Experiment (docs/reasoning/report.md, section 9): the same shortened setting as pretrain-shapes.ts
// (run A), with products by one digit written in one of two formats:
//   "format": "columns"  the column traces of src/tasks/columns.ts (whole-number copies)
//   "format": "hinted"   the hinted traces of src/tasks/hinted-columns.ts (every copy stops on content),
//                        "layout": "tail" (default), "tail-rows", "aligned", "window" or "pairs" (how the
//                        multiplicand is read; docs/reasoning/report.md, section 9)
// Sums and differences keep the column format in both. Greedy, thinking forced on, every K steps.
//   PONDER_THREADS=1 npx tsx docs/reasoning/experiments/hinted-shapes.ts '{"name":"H","format":"hinted","pretrain":[...],"eval":["3x1","6x1","7x1","8x1"],"steps":1500}' [outDir]
import { join } from 'node:path';
import { writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { Transformer } from '../../../src/model/transformer.ts';
import { validateConfig } from '../../../src/model/config.ts';
import { trainBpe } from '../../../src/tokenizer/index.ts';
import { MIN_VOCAB } from '../../../src/tokenizer/train.ts';
import { documentTexts, reasoningStream } from '../../../src/data/reasoning.ts';
import { pretrain } from '../../../src/train/pretrain.ts';
import { loadCheckpoint, saveCheckpoint } from '../../../src/io/checkpoint.ts';
import { classifyError } from '../../../src/pipeline/arithmetic-analysis.ts';
import type { Tokenizer } from '../../../src/tokenizer/index.ts';
import { shapeName, type Shape } from '../../../src/tasks/columns.ts';
import { cleanShapesTask, trainingProblems, assertClean, shapeHeldOut, heldValueSet, traceOf, mentionedHeldValue } from '../../../src/pipeline/arithmetic-data.ts';
import { hintedTraceOf, hintStart, isHintedProduct, questionTail, tailDigits, tailRows, type HintLayout } from '../../../src/tasks/hinted-columns.ts';
import { columnTrace } from '../../../src/tasks/columns.ts';
import { Rng } from '../../../src/tasks/rng.ts';
import { classifyHinted } from '../../../src/tasks/hinted-analysis.ts';
import { rollouts } from '../../../src/rl/rollout.ts';
import { verifyProblem } from '../../../src/tasks/registry.ts';
import { setThreads } from '../../../src/backend/native/index.ts';
import type { Problem, Task } from '../../../src/tasks/types.ts';

setThreads(1);
const cfg = JSON.parse(process.argv[2]!);
const name: string = cfg.name;
const hinted = cfg.format === 'hinted';
const layout: HintLayout = cfg.layout ?? 'tail';
if (!hinted && cfg.format !== 'columns') throw new Error(`format must be "hinted" or "columns", got ${JSON.stringify(cfg.format)}`);
const out = process.argv[3] ?? `runs/arith-exp/${name}`; mkdirSync(out, { recursive: true });
const log = (s: string) => { console.log(s); appendFileSync(join(out, 'log.txt'), s + '\n'); };
const sh = (s: string): Shape => { const m = /^(\d+)([x+-])(\d+)$/.exec(s)!; return { op: m[2] === 'x' ? '*' : m[2] as '+' | '-', a: +m[1]!, b: +m[3]! }; };
const pre: Shape[] = (cfg.pretrain as string[]).map(sh);
const evalShapes: Shape[] = (cfg.eval as string[]).map(sh);
const n = cfg.n ?? 30, seed = cfg.seed ?? 1;

// Held-out sets, as in pretrain-shapes.ts.
const sets: Record<string, Problem[]> = {};
for (const s of evalShapes) sets[shapeName(s)] = shapeHeldOut(s, n, seed);
sets['3x1 held'] = heldValueSet(n, seed, 1);
const held = Object.values(sets).flat();

// The trace of a problem in this run's format.
// With the 'tail' layout, sums and differences start with the same reading rows (then their column trace).
const traceIn = (p: Problem): string => {
  if (hinted && isHintedProduct(p.question)) return hintedTraceOf(p.question, 'hinted', layout);
  const { a, op, b } = questionTail(p.question)!;
  if (hinted && layout.startsWith('tail')) return [...tailRows(p.question, hintStart(p.question, tailDigits(p.question))).slice(0, layout === 'tail' ? 3 : 2), columnTrace(a, op, b)].join('\n');
  return columnTrace(a, op, b);
};
// "wordings": training questions (not the held-out ones) asked in other plain words half the time,
// so that the characters before the numbers in a tail reading cannot be told from the length alone.
const WORDINGS = ['Compute ', 'Calculate ', "What's ", 'Find ', 'Work out ', 'Please compute ', 'How much is ', 'Now: '];
const reword = (ps: Problem[]): Problem[] => {
  const rng = new Rng(seed + 77);
  return ps.map((p) => (rng.float() < 0.5 ? p : { ...p, question: p.question.replace(/^What is /, rng.pick(WORDINGS)) }));
};
const steps = cfg.steps, B = cfg.batch ?? 16, T = cfg.seqLen ?? 256;
// Training problems clear of the held-out sets in the column format, and (checked here) in this run's format too.
const drawnPlain = trainingProblems(pre, Math.ceil(steps * B * (T + 1) / 100) + 3000, seed, held);
assertClean(drawnPlain, held);
const drawn = cfg.wordings ? reword(drawnPlain) : drawnPlain;
const train = drawn.filter((p) => mentionedHeldValue(traceIn(p)) === null);
for (const p of train) if (mentionedHeldValue(`${p.question}\n${traceIn(p)}`) !== null) throw new Error(`held value in ${p.question}`);
const base = cleanShapesTask('column-arithmetic', pre, held);
const task: Task = { ...base, solveWithSteps: traceIn };

// Character-level tokens (no merges) unless a vocabulary is given: the hinted rows must keep one
// letter or '.' a token so that a row's column is a fixed distance from the row above.
const tok = trainBpe(documentTexts(task, train.slice(0, 5000)), cfg.vocab ?? MIN_VOCAB);
const model = { d_model: 96, n_layers: 3, n_heads: 3, n_kv_heads: 3, d_ff: 256, max_seq_len: cfg.maxSeq ?? 384, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true, ...(cfg.model ?? {}) };
const config = validateConfig({ ...model, vocab_size: Math.max(tok.vocabSize, 64) });
const stream = reasoningStream(tok, task, train, 1, seed);
const net = new Transformer(config, seed);
log(`${name} (${cfg.format}${hinted ? `, ${layout}` : ''}): ${train.length} problems (${drawn.length - train.length} dropped for a held value in the trace), ${stream.length} tokens, vocab ${tok.vocabSize}, ${net.paramCount()} params`);
log(`example:\n${traceIn({ question: 'What is 75339238 * 6?', answer: '452035428', task: 'column-multiplication' })}`);

type Result = { shape: string; accuracy: number; errors: Record<string, number>; meanTokens: number; examples: { question: string; completion: string; correct: boolean }[] };
const t0 = performance.now();
const secs = () => ((performance.now() - t0) / 1000).toFixed(0);

/** Greedy, thinking forced on; the first wrong line classified (hinted products) or the answer checked. */
function evaluate(m: Transformer, t: Tokenizer): Result[] {
  return Object.entries(sets).map(([shape, problems]) => {
    const rolls = rollouts(m, t, problems, { groupSize: 1, maxNewTokens: cfg.evalMax ?? 300, temperature: 0, mode: 'on', batchSize: 64 });
    const errors: Record<string, number> = {};
    const examples: Result['examples'] = [];
    let ok = 0, tokens = 0;
    for (const r of rolls) {
      let right = false;
      try { right = r.parsed.answer.trim() !== '' && verifyProblem(r.parsed.answer, r.problem); } catch { right = false; }
      tokens += r.completion.length;
      if (right) ok++;
      else {
        const kind = hinted && isHintedProduct(r.problem.question) ? classifyHinted(r.problem.question, r.parsed.reasoning ?? '', layout)
          : classifyError(r.parsed.reasoning ?? '', traceOf(r.problem).split('\n').slice(0, -1));
        errors[kind] = (errors[kind] ?? 0) + 1;
      }
      if (examples.length < 3 && (!right || examples.length === 0)) examples.push({ question: r.problem.question, completion: r.text, correct: right });
    }
    return { shape, accuracy: ok / rolls.length, errors, meanTokens: tokens / rolls.length, examples };
  });
}
const evalNow = (m: Transformer, step: number, t: Tokenizer = tok): Result[] => {
  const rs = evaluate(m, t);
  log(`[${secs()}s] step ${step}: ` + rs.map((r) => `${r.shape} ${(r.accuracy * 100).toFixed(0)}% ${JSON.stringify(r.errors)}`).join(' | '));
  return rs;
};
if (cfg.evalFrom) {
  // "evalFrom": a saved model (e.g. runs/hint/H6/model) scored on this run's sets; no training.
  const ck = loadCheckpoint(cfg.evalFrom);
  if (!ck.tokenizer) throw new Error(`${cfg.evalFrom}: no ponder tokenizer`);
  const rs = evalNow(ck.model, -1, ck.tokenizer);
  writeFileSync(join(out, 'final.json'), JSON.stringify({ config: cfg, results: rs }, null, 1));
  process.exit(0);
}
const evalEvery = cfg.evalEvery ?? 500;
const r = pretrain({
  model: net, tokenizer: tok, tokens: stream, outDir: join(out, 'base'), steps, batchSize: B, seqLen: T, lr: cfg.lr ?? 3e-3,
  evalEvery: 100, checkpointEvery: 100000, seed, progress: false,
  onStep: (s, loss) => { if (s % 100 === 0) log(`step ${s} loss ${loss.toFixed(3)} ${secs()}s`); if (s % evalEvery === 0 && s < steps) evalNow(net, s); },
});
saveCheckpoint(join(out, 'model'), r.model, { tokenizer: tok });
const rs = evalNow(r.model, steps);
for (const x of rs) for (const e of x.examples) log(`--- ${x.shape} (${e.correct ? 'right' : 'wrong'})\n${e.completion}`);
writeFileSync(join(out, 'final.json'), JSON.stringify({ config: cfg, results: rs }, null, 1));
