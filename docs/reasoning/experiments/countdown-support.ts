// Countdown (docs/reasoning/report.md, section 6): how often a right answer is supported by its own search
// (a last "yes" line whose value is the target), false "yes" lines, and step lines with wrong arithmetic.
//   PONDER_THREADS=1 npx tsx docs/reasoning/experiments/countdown-support.ts 256 runs/cd1/base/checkpoint runs/cd1/rl/checkpoint
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { countdownSearchTask } from '../../../src/tasks/countdown-search.ts';
import { heldOutSet } from '../../../src/tasks/heldout.ts';
import { rollouts } from '../../../src/rl/rollout.ts';
import { verifyProblem } from '../../../src/tasks/registry.ts';
import { parseCountdownQuestion } from '../../../src/tasks/countdown.ts';
import { setThreads } from '../../../src/backend/native/index.ts';
import type { Tokenizer } from '../../../src/tokenizer/index.ts';
setThreads(1);
const task = countdownSearchTask(12);
const set = heldOutSet(task, 1, 100, 1);
const maxNew = Number(process.argv[2]);
for (const dir of process.argv.slice(3)) {
  const ck = loadCheckpoint(dir);
  const rolls = rollouts(ck.model, ck.tokenizer as Tokenizer, set, { groupSize: 1, maxNewTokens: maxNew, temperature: 0, mode: 'on', batchSize: 64 });
  let right = 0, supported = 0, falseYes = 0, badArith = 0, lines = 0;
  for (const r of rolls) {
    const { target } = parseCountdownQuestion(r.problem.question, r.problem.task);
    const ls = (r.parsed.reasoning ?? '').split('\n').filter((l) => l.trim());
    lines += ls.length;
    for (const l of ls) { const m = /(\d+)([-+*/])(\d+)=(\d+)/.exec(l); if (m) { const [a, o, b, v] = [Number(m[1]), m[2], Number(m[3]), Number(m[4])]; const t = o === '+' ? a + b : o === '-' ? a - b : o === '*' ? a * b : a / b; if (t !== v) badArith++; } }
    const last = ls[ls.length - 1] ?? '';
    const m = /(\d+)([-+*/])(\d+)=(\d+)(?: vs \d+)? yes$/.exec(last);
    const ok = (() => { try { return verifyProblem(r.parsed.answer, r.problem); } catch { return false; } })();
    if (ok) right++;
    if (m && Number(m[4]) !== target) falseYes++;
    if (ok && m && Number(m[4]) === target) supported++;
  }
  console.log(dir, { right, supported, falseYes, badArithLines: badArith, meanLines: (lines / rolls.length).toFixed(1) });
}
