// Experiment (docs/reasoning/report.md, section 13; not adopted): products by one digit in a trace whose every
// step names its column by place, so that no line copies a number whose length grows with the
// operand. Line k writes the multiplicand's digit at place k followed by k zeros (with place digits
// that is one token x@k and the zeros below it), the digit product with the carry, and the
// product's digit at place k followed by k zeros:
//
//   What is 75339238 * 6?
//   75339238*6
//   8 8*6+0=48 8
//   30 3*6+4=22 20
//   200 2*6+2=14 400
//   ...
//   70000000 7*6+3=45 50000000
//   000000000 0*6+4=4 400000000
//   =452035428
//
// Each line takes its place from the line above (one more), its digit from the question (the digit
// at that place) and its carry from the line above; the answer's digit at place p is the last
// number of the line whose first number has place p. Sums and differences keep the column traces
// (src/tasks/columns.ts). Pretraining only, scored like place-digits.ts (greedy, thinking on).
//   PONDER_THREADS=1 npx tsx docs/reasoning/experiments/placed-steps.ts '{"name":"S1","pretrain":[...],"eval":["3x1","6x1","7x1","8x1","9x1","10x1"],"steps":1500}' [outDir]
import { trainBpe } from '../../../src/tokenizer/index.ts';
import { PlaceDigitTokenizer } from '../../../src/tokenizer/place-digits.ts';
import { documentTexts, reasoningStream } from '../../../src/data/reasoning.ts';
import { cleanShapesTask } from '../../../src/pipeline/arithmetic-data.ts';
import { questionTail } from '../../../src/tasks/hinted-columns.ts';
import { setThreads } from '../../../src/backend/native/index.ts';
import type { Problem } from '../../../src/tasks/types.ts';
import { placeDigitModel, pretrainAndScore, shapeRun } from './shape-runs.ts';

/** The placed trace of a * d (d one digit); its last line is the answer. */
export function placedTrace(a: bigint, d: number): string {
  const as = a.toString(), n = as.length;
  const lines = [`${as}*${d}`];
  if (a === 0n || d === 0) return [...lines, 'a factor is 0', '0'].join('\n');
  const digits: number[] = [];
  let carry = 0;
  for (let k = 0; k < n || carry > 0; k++) {
    const x = k < n ? Number(as[n - 1 - k]) : 0, v = x * d + carry, zeros = '0'.repeat(k);
    lines.push(`${x}${zeros} ${x}*${d}+${carry}=${v} ${v % 10}${zeros}`);
    digits.unshift(v % 10);
    carry = Math.floor(v / 10);
  }
  const answer = (a * BigInt(d)).toString();
  if (digits.join('') !== answer) throw new Error(`placed trace of ${a}*${d} reads ${digits.join('')}`);
  return [...lines, `=${answer}`, answer].join('\n');
}

setThreads(Number(process.env.PONDER_THREADS ?? 1));
const run = shapeRun(100);
const { cfg, train, seed } = run;
const clean = cleanShapesTask('column-arithmetic', run.pre, run.held);
const task = {
  ...clean,
  solveWithSteps(p: Problem): string {
    const q = questionTail(p.question);
    return q && q.op === '*' && q.b <= 9n ? placedTrace(q.a, Number(q.b)) : clean.solveWithSteps(p);
  },
};
const tok = new PlaceDigitTokenizer(trainBpe(documentTexts(task, train.slice(0, 5000)), cfg.vocab ?? 300).merges, cfg.places ?? 12);
const stream = reasoningStream(tok, task, train, 1, seed);
const base = placeDigitModel(cfg, tok, seed);
run.log(`${run.name}: ${train.length} problems, ${stream.length} tokens, ${base.paramCount()} params, vocab ${tok.vocabSize}`);
pretrainAndScore(run, base, tok, stream, cfg.evalEvery ?? 500);
