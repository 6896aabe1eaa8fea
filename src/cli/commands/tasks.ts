// `ponder tasks`: list the checkable-problem tasks, or print sample problems as JSONL.
import { PonderError } from '../../errors.ts';
import { EVAL_DEFAULTS, heldOutSet, sampleSet, splitProblems } from '../../tasks/heldout.ts';
import { defaultEvalSet } from '../../tasks/evalsets.ts';
import { loadJsonlProblems } from '../../tasks/jsonl.ts';
import { resolveTask, taskNames, getTask } from '../../tasks/registry.ts';
import { parseFlags, type Command } from '../command.ts';
import type { Problem, Task } from '../../tasks/types.ts';

const HELP = `usage: ponder tasks list
       ponder tasks sample --task NAME|FILE.jsonl [--difficulty N] [--n 5] [--seed 1] [--trace]

sample prints one {"question", "answer", "task"} per line: distinct problems that are never in
the set \`ponder eval\` scores by default (nor in the held-out set of --seed); for a .jsonl file,
only lines of its training part. --trace adds the step-by-step "trace".`;

function intFlag(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new PonderError(`--${name} must be an integer, got '${v}'`);
  return n;
}

// A space smaller than an evaluation set has none by default (eval then needs a smaller --n).
const orNone = (f: () => Problem[]): Problem[] => {
  try { return f(); } catch (e) { if (e instanceof PonderError && /distinct problems/.test(e.message)) return []; throw e; }
};
const defaultEvalSetOrNone = (t: Task, d: number) => orNone(() => defaultEvalSet(t, d));
const heldOutSetOrNone = (t: Task, d: number, seed: number) => orNone(() => heldOutSet(t, d, EVAL_DEFAULTS.n, seed));

export const command: Command = {
  name: 'tasks',
  summary: 'list checkable-problem tasks, or print samples as JSONL',
  run(argv) {
    const { values, positionals } = parseFlags(argv, {
      task: { type: 'string' },
      difficulty: { type: 'string' },
      n: { type: 'string' },
      seed: { type: 'string' },
      trace: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    const sub = positionals[0];
    if (values.help || sub === undefined) { console.log(HELP); return values.help ? 0 : 1; }
    if (positionals.length > 1) throw new PonderError(`unexpected argument '${positionals[1]}'`);
    if (sub === 'list') {
      for (const name of taskNames()) {
        const t = getTask(name);
        console.log(`${name.padEnd(15)} difficulty ${t.difficulty.min}..${t.difficulty.max}  ${t.summary}`);
      }
      return 0;
    }
    if (sub !== 'sample') throw new PonderError(`unknown subcommand 'tasks ${sub}' (list, sample)`);
    if (values.task === undefined) throw new PonderError('tasks sample needs --task (see `ponder tasks list`)');
    const { task, skipped } = resolveTask(values.task);
    for (const s of skipped) console.error(`${values.task}:${s.line}: skipped: ${s.reason}`);
    const difficulty = intFlag('difficulty', values.difficulty, task.difficulty.min);
    const n = intFlag('n', values.n, 5);
    if (n < 0) throw new PonderError(`--n must be >= 0, got ${n}`);
    const seed = intFlag('seed', values.seed, 1);
    let problems;
    if (values.task.endsWith('.jsonl')) {
      const { train } = splitProblems(loadJsonlProblems(values.task).problems);
      problems = train.slice(0, n);
    } else {
      // Keep clear of what eval scores by default and of the held-out set for this seed.
      const evalSets = [...defaultEvalSetOrNone(task, difficulty), ...(seed === EVAL_DEFAULTS.seed ? [] : heldOutSetOrNone(task, difficulty, seed))];
      problems = sampleSet(task, difficulty, n, seed, evalSets);
    }
    for (const p of problems) {
      const rec = values.trace ? { ...p, trace: task.solveWithSteps(p) } : p;
      console.log(JSON.stringify(rec));
    }
    return 0;
  },
};
