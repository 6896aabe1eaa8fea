// `ponder tasks`: list the checkable-problem tasks, or print sample problems as JSONL.
import { PonderError } from '../../errors.ts';
import { heldOutSet } from '../../tasks/heldout.ts';
import { resolveTask, taskNames, getTask } from '../../tasks/registry.ts';
import { parseFlags, type Command } from '../command.ts';

const HELP = `usage: ponder tasks list
       ponder tasks sample --task NAME|FILE.jsonl [--difficulty N] [--n 5] [--seed 1] [--trace]

sample prints one {"question", "answer", "task"} per line (distinct problems, the same set as
heldOutSet for that seed); --trace adds the step-by-step "trace".`;

function intFlag(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new PonderError(`--${name} must be an integer, got '${v}'`);
  return n;
}

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
    for (const p of heldOutSet(task, difficulty, n, seed)) {
      const rec = values.trace ? { ...p, trace: task.solveWithSteps(p) } : p;
      console.log(JSON.stringify(rec));
    }
    return 0;
  },
};
