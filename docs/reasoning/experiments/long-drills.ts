// Experiment (docs/reasoning/report.md, section 14): the column traces of place-digits.ts, plus
// drills that write long numbers in the layout of a product's step lines but with no arithmetic, to
// test whether 9x1 and 10x1 fail for want of long copies (a shrinking rest and a growing result)
// rather than for the reasoning. A drill asks "Unpack 887829627?" and answers the number:
//
//   887829627
//   887829627 7 7
//   88782962 2 27
//   ...
//   8 8 887829627
//   =887829627
//
// Its numbers have 1 to "drillMax" digits; no drill is an arithmetic problem, so every operand of
// every training problem stays at most 6 digits long, but numbers up to drillMax digits are
// written in training. "drills" is their share of the documents; "wording": "hash" asks
// "What is N # d?" instead.
//   PONDER_THREADS=1 npx tsx docs/reasoning/experiments/long-drills.ts '{"name":"D1","drills":0.25,"drillMax":12,"pretrain":[...],"eval":[...],"steps":1500}' [outDir]
import { trainBpe } from '../../../src/tokenizer/index.ts';
import { PlaceDigitTokenizer } from '../../../src/tokenizer/place-digits.ts';
import { documentTexts, reasoningStream } from '../../../src/data/reasoning.ts';
import { cleanShapesTask, mentionedHeldValue } from '../../../src/pipeline/arithmetic-data.ts';
import { randomDigits } from '../../../src/tasks/arithmetic.ts';
import { Rng } from '../../../src/tasks/rng.ts';
import { setThreads } from '../../../src/backend/native/index.ts';
import type { Problem } from '../../../src/tasks/types.ts';
import { placeDigitModel, pretrainAndScore, shapeRun } from './shape-runs.ts';

/** The drill's trace: the number (with "#d" in the "hash" wording), then rest-digit-run lines as a
 *  product's, then "=number". */
function drillTrace(n: string, d?: string): string {
  const lines = [d === undefined ? n : `${n}#${d}`];
  let rest = n, run = '';
  while (rest !== '') {
    const x = rest[rest.length - 1]!;
    run = x + run;
    lines.push(`${rest} ${x} ${run}`);
    rest = rest.slice(0, -1);
  }
  return [...lines, `=${n}`, n].join('\n');
}

setThreads(Number(process.env.PONDER_THREADS ?? 1));
const run = shapeRun(100);
const { cfg, seed } = run;
const clean = cleanShapesTask('column-arithmetic', run.pre, run.held);
const share: number = cfg.drills ?? 0.25, drillMax: number = cfg.drillMax ?? 12;
const rng = new Rng(seed + 77);
const train: Problem[] = [];
for (const p of run.train) {
  if (rng.float() < share) {
    let n: string;
    do n = randomDigits(rng, rng.int(1, drillMax)).toString(); while (mentionedHeldValue(drillTrace(n)) !== null);
    // "hash": worded as a product with another operator ("What is N # d?"), so that the wording,
    // not the number's length, tells a drill from a product
    train.push(cfg.wording === 'hash' ? { question: `What is ${n} # ${rng.int(1, 9)}?`, answer: n, task: 'drill' } : { question: `Unpack ${n}?`, answer: n, task: 'drill' });
  } else train.push(p);
}
const hashD = (p: Problem) => /# (\d)\?$/.exec(p.question)?.[1];
const task = { ...clean, solveWithSteps: (p: Problem) => (p.task === 'drill' ? drillTrace(p.answer, hashD(p)) : clean.solveWithSteps(p)) };
const tok = new PlaceDigitTokenizer(trainBpe(documentTexts(task, train.slice(0, 5000)), cfg.vocab ?? 300).merges, cfg.places ?? 12);
const stream = reasoningStream(tok, task, train, 1, seed);
const base = placeDigitModel(cfg, tok, seed);
run.log(`${run.name}: ${train.length} documents (${train.filter((p) => p.task === 'drill').length} drills), ${stream.length} tokens, ${base.paramCount()} params, vocab ${tok.vocabSize}`);
pretrainAndScore(run, base, tok, stream, cfg.evalEvery ?? 500);
