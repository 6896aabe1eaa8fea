// `ponder rl --checkpoint dir --task name`: GRPO reasoning training (R1-Zero style).
import { readFileSync } from 'node:fs';
import { parseFlags, type Command } from '../command.ts';
import { num } from '../shared.ts';
import { loadTrainableChat, trainablePath } from '../trainable.ts';
import { resolveTask } from '../../tasks/registry.ts';
import { loadJsonlProblems } from '../../tasks/jsonl.ts';
import { EVAL_DEFAULTS, FILE_HELD_OUT_FRACTION, heldOutSet, splitProblems } from '../../tasks/heldout.ts';
import type { Problem } from '../../tasks/types.ts';
import { trainGrpo, DEFAULT_REWARDS } from '../../rl/trainer.ts';
import { overlongPenalty } from '../../rl/rewards.ts';
import { PonderError } from '../../errors.ts';

const FLAGS = {
  checkpoint: { type: 'string' }, model: { type: 'string' }, task: { type: 'string' }, difficulty: { type: 'string' }, out: { type: 'string' },
  steps: { type: 'string' }, prompts: { type: 'string' }, group: { type: 'string' }, lr: { type: 'string' },
  'max-tokens': { type: 'string' }, temperature: { type: 'string' }, 'eps-low': { type: 'string' }, 'eps-high': { type: 'string' },
  beta: { type: 'string' }, updates: { type: 'string' }, 'no-std': { type: 'boolean' }, 'no-dynamic-sampling': { type: 'boolean' },
  truncation: { type: 'string' }, overlong: { type: 'string' }, 'held-out': { type: 'string' }, seed: { type: 'string' },
  'max-seconds': { type: 'string' }, resume: { type: 'boolean' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

export const command: Command = {
  name: 'rl',
  summary: 'GRPO reasoning training on checkable problems (rewarding the answer only)',
  run(argv) {
    let { values } = parseFlags(argv, FLAGS, false);
    if (values.help) {
      console.log(`usage: ponder rl [--model PATH (ponder checkpoint, HF folder or .gguf)] --task name|file.jsonl [--difficulty 3] [--out runs/rl]
  [--steps 80] [--prompts 32] [--group 8] [--lr 5e-5] [--max-tokens 64] [--temperature 1]
  [--eps-low 0.2] [--eps-high 0.28] [--beta 0] [--updates 1] [--no-std] [--no-dynamic-sampling]
  [--truncation keep|mask] [--overlong L] [--held-out 500] [--seed 1] [--max-seconds S] [--resume]
  [--config file.json]   (a JSON object with the same keys as the flags; flags win)
A .jsonl task holds out ${Math.round(100 * FILE_HELD_OUT_FRACTION)}% of its problems (chosen by content; \`ponder eval\` scores exactly
those); --held-out 0 trains on every line.
A model with its own tokenizer is prompted through its own chat template and stops on its EOS ids;
a template that opens <think> itself (DeepSeek-R1's) has its replies read from inside the think
block. The checkpoint in OUT/checkpoint keeps the model's tokenizer files and template.`);
      return 0;
    }
    if (values.config) {
      let cfg: Record<string, unknown>;
      try {
        cfg = JSON.parse(readFileSync(values.config, 'utf8'));
      } catch (e) {
        throw new PonderError(`${values.config}: cannot read the RL config: ${(e as Error).message}`);
      }
      for (const k of Object.keys(cfg)) if (!(k in FLAGS)) throw new PonderError(`${values.config}: unknown key "${k}"`);
      values = { ...Object.fromEntries(Object.entries(cfg).map(([k, v]) => [k, typeof v === 'boolean' ? v : String(v)])), ...values } as typeof values;
    }
    // Any model format (a ponder checkpoint, a Hugging Face folder, a .gguf): ponder's chat format or the model's template.
    const loaded = loadTrainableChat(trainablePath(values), 'rl');
    const st = loaded.state as { task?: string; difficulty?: number };
    const taskName = values.task ?? st.task;
    if (!taskName) throw new PonderError('--task is required (a built-in task name or a .jsonl file)');
    const { task, skipped } = resolveTask(taskName);
    if (skipped.length) console.error(`rl: skipped ${skipped.length} bad lines of ${taskName} (first: line ${skipped[0].line}: ${skipped[0].reason})`);
    const difficulty = num('difficulty', values.difficulty, st.difficulty ?? 3, { int: true });
    const seed = num('seed', values.seed, 1, { int: true });
    const nHeld = num('held-out', values['held-out'], EVAL_DEFAULTS.n, { int: true, min: 0 });
    let heldOut: Problem[] = [];
    if (taskName.endsWith('.jsonl')) {
      // A file is split by content (see splitProblems); `ponder eval` scores the same held-out part.
      const all = loadJsonlProblems(taskName).problems;
      if (nHeld > 0) heldOut = splitProblems(all).heldOut;
      console.error(`rl: holding out ${heldOut.length} of ${all.length} problems of ${taskName} for \`ponder eval\`${nHeld > 0 ? '' : ' (--held-out 0)'}`);
    } else if (nHeld > 0) heldOut = heldOutSet(task, difficulty, nHeld, seed);
    const maxNew = num('max-tokens', values['max-tokens'], 64, { int: true, min: 1 });
    const truncation = values.truncation ?? 'keep';
    if (truncation !== 'keep' && truncation !== 'mask') throw new PonderError(`--truncation must be keep or mask, not '${truncation}'`);
    const rewards = [...DEFAULT_REWARDS];
    if (values.overlong) rewards.push({ name: 'overlong', fn: overlongPenalty(maxNew, num('overlong', values.overlong, 16, { int: true, min: 1, max: maxNew })), weight: 1 });
    const r = trainGrpo({
      policy: loaded.model, tokenizer: loaded.tokenizer, task, difficulty,
      format: loaded.chat.kind === 'template' ? loaded.chat : undefined, tokenizerFiles: loaded.tokenizerFiles,
      heldOut,
      outDir: values.out ?? 'runs/rl', steps: num('steps', values.steps, 80, { int: true, min: 1 }),
      promptsPerStep: num('prompts', values.prompts, 32, { int: true, min: 1 }), groupSize: num('group', values.group, 8, { int: true, min: 2 }),
      lr: num('lr', values.lr, 5e-5, { min: 0 }), maxNewTokens: maxNew, temperature: num('temperature', values.temperature, 1, { min: 0.01 }),
      epsLow: num('eps-low', values['eps-low'], 0.2, { min: 0 }), epsHigh: num('eps-high', values['eps-high'], 0.28, { min: 0 }),
      beta: num('beta', values.beta, 0, { min: 0 }), updatesPerBatch: num('updates', values.updates, 1, { int: true, min: 1 }),
      scaleByStd: !values['no-std'], dynamicSampling: !values['no-dynamic-sampling'], truncation, rewards, seed,
      maxSeconds: values['max-seconds'] ? num('max-seconds', values['max-seconds'], 0, { min: 0 }) : undefined, resume: values.resume,
    });
    const last = r.rows[r.rows.length - 1];
    if (last) console.log(`rl: ${r.steps} steps; last reward ${last.reward.toFixed(3)}, accuracy ${last.accuracy.toFixed(3)}, reasoning ${last.reasoning_fraction.toFixed(2)}`);
    return 0;
  },
};
