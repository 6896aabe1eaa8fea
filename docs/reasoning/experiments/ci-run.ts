// The CI test's run written to a folder with its report (docs/reasoning/ci-run was made so):
//   PONDER_THREADS=1 npx tsx docs/reasoning/experiments/ci-run.ts runs/arith-ci
// One thread unless PONDER_THREADS says otherwise, and budgets in steps only, as in
// test/pipeline/arithmetic.test.ts, so the numbers are the test's. An optional JSON second argument
// changes the preset for a comparison (docs/reasoning/report.md, sections 10 and 11):
//   {"preset":"arithmetic", "seed":2, "tokenizer":"chars"|"bpe", "pretrainSteps":900, "grpoSteps":60,
//    "countdownPretrainSteps":1500, "rlShapeInPretraining":1}
// rlShapeInPretraining: N adds the RL shape N times to the pretraining shape list (a pick is uniform
// over the list), so the RL stage starts from a base that sometimes gets its shape right.
import { ARITHMETIC_PRESETS, ARITHMETIC_TOKENIZERS, runArithmetic, type ArithmeticTokenizer } from '../../../src/pipeline/arithmetic.ts';
import { writeArithmeticReport } from '../../../src/pipeline/arithmetic-report.ts';
import { setThreads } from '../../../src/backend/native/index.ts';
setThreads(Number(process.env.PONDER_THREADS ?? 1));
const o: { preset?: string; seed?: number; tokenizer?: ArithmeticTokenizer; pretrainSteps?: number; grpoSteps?: number; countdownPretrainSteps?: number; rlShapeInPretraining?: number } =
  JSON.parse(process.argv[3] ?? '{}');
if (o.tokenizer !== undefined && !ARITHMETIC_TOKENIZERS.includes(o.tokenizer)) throw new Error(`tokenizer must be one of ${ARITHMETIC_TOKENIZERS.join(', ')}`);
const preset = ARITHMETIC_PRESETS[o.preset ?? 'arithmetic-ci'];
if (!preset) throw new Error(`unknown preset ${o.preset}; known: ${Object.keys(ARITHMETIC_PRESETS).join(', ')}`);
const p = structuredClone(preset);
p.pretrain.maxSeconds = p.grpo.maxSeconds = 1e9;
if (o.tokenizer) p.tokenizer = o.tokenizer;
if (o.pretrainSteps) p.pretrain.steps = o.pretrainSteps;
if (o.grpoSteps) p.grpo.steps = o.grpoSteps;
if (o.rlShapeInPretraining) p.plan = { ...p.plan, pretrain: [...p.plan.pretrain, ...Array(o.rlShapeInPretraining).fill(p.plan.rl)] };
if (p.countdown) {
  p.countdown.pretrain.maxSeconds = p.countdown.grpo.maxSeconds = 1e9;
  if (o.countdownPretrainSteps) p.countdown.pretrain.steps = o.countdownPretrainSteps;
}
const r = runArithmetic({ preset: p, outDir: process.argv[2]!, seed: o.seed ?? 1, progress: false });
console.log(writeArithmeticReport(r), r.seconds);
