// The CI test's run written to a folder with its report (docs/reasoning/ci-run was made so):
//   PONDER_THREADS=1 npx tsx docs/reasoning/experiments/ci-run.ts runs/arith-ci
// One thread and budgets in steps only, as in test/pipeline/arithmetic.test.ts, so the numbers are the test's.
import { ARITHMETIC_PRESETS, runArithmetic } from '../../../src/pipeline/arithmetic.ts';
import { writeArithmeticReport } from '../../../src/pipeline/arithmetic-report.ts';
import { setThreads } from '../../../src/backend/native/index.ts';
setThreads(1);
const p = structuredClone(ARITHMETIC_PRESETS['arithmetic-ci']!);
p.pretrain.maxSeconds = p.grpo.maxSeconds = 1e9;
const r = runArithmetic({ preset: p, outDir: process.argv[2]!, seed: 1, progress: false });
console.log(writeArithmeticReport(r), r.seconds);
