// `ponder eval --task name|file.jsonl`: greedy pass@1, sampled pass@k and maj@k on held-out
// problems, with thinking free, forced on and forced off.
import { parseFlags, type Command } from '../command.ts';
import { loadChatModel, MODEL_FLAGS, modelPath, needChat, num } from '../shared.ts';
import { resolveTask } from '../../tasks/registry.ts';
import { EVAL_DEFAULTS, heldOutSet, splitProblems } from '../../tasks/heldout.ts';
import { loadJsonlProblems } from '../../tasks/jsonl.ts';
import { evaluate } from '../../eval/evaluate.ts';
import type { ThinkingMode } from '../../rl/prompt.ts';
import { PonderError } from '../../errors.ts';

export const command: Command = {
  name: 'eval',
  summary: 'pass@1, pass@k and maj@k on held-out problems, thinking free / forced on / forced off',
  run(argv) {
    const { values } = parseFlags(argv, {
      ...MODEL_FLAGS,
      task: { type: 'string' },
      difficulty: { type: 'string' },
      n: { type: 'string' },
      k: { type: 'string' },
      seed: { type: 'string' },
      mode: { type: 'string', default: 'all' },
      'max-tokens': { type: 'string' },
      json: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    }, false);
    if (values.help) {
      console.log('usage: ponder eval [--model hf-folder|file.gguf|checkpoint] [--task long-multiplication|file.jsonl] [--difficulty 3] [--n 500]\n' +
        '                   [--k 8] [--seed 1] [--mode all|free|on|off] [--max-tokens 64] [--json] [--all]\n' +
        'A .jsonl file is split as `ponder rl` splits it: only its held-out part is scored (--all scores every line).');
      return 0;
    }
    const loaded = loadChatModel(modelPath(values));
    const chat = needChat(loaded);
    // Ponder's own format keeps its own path (rollouts id by id); other models go through their template.
    const format = chat.kind === 'ponder' ? undefined : chat;
    const st = loaded.state as { task?: string; difficulty?: number };
    const taskName = values.task ?? st.task ?? 'long-multiplication';
    const difficulty = num('difficulty', values.difficulty, st.difficulty ?? 3, { int: true });
    const n = num('n', values.n, EVAL_DEFAULTS.n, { int: true, min: 1 });
    const seed = num('seed', values.seed, EVAL_DEFAULTS.seed, { int: true });
    let problems;
    if (taskName.endsWith('.jsonl')) {
      const { problems: ps, skipped } = loadJsonlProblems(taskName);
      if (skipped.length) console.error(`eval: skipped ${skipped.length} bad lines of ${taskName} (first: line ${skipped[0].line}: ${skipped[0].reason})`);
      // The part `ponder rl` held out of this file (it trained on the rest), unless --all.
      const { heldOut } = splitProblems(ps);
      problems = (values.all ? ps : heldOut).slice(0, n);
      if (problems.length === 0) throw new PonderError(`${taskName}: no held-out problems to score (${ps.length} problems; --all scores them all)`);
      console.error(values.all
        ? `eval: scoring all ${problems.length} problems of ${taskName}, including any that \`ponder rl\` trained on`
        : `eval: scoring ${problems.length} of the ${heldOut.length} problems held out of ${ps.length} in ${taskName} (\`ponder rl\` trains on the other ${ps.length - heldOut.length})`);
    } else {
      // The same seeded held-out set the speedrun excluded from training.
      problems = heldOutSet(resolveTask(taskName).task, difficulty, n, seed);
    }
    const modes: ThinkingMode[] = values.mode === 'all' ? ['free', 'on', 'off'] : [values.mode as ThinkingMode];
    if (!modes.every((m) => ['free', 'on', 'off'].includes(m))) throw new PonderError(`--mode must be all, free, on or off, not '${values.mode}'`);
    const k = num('k', values.k, 8, { int: true, min: 0 });
    const results = modes.map((mode) => evaluate(loaded.model, loaded.tokenizer, problems, {
      mode, k: mode === 'free' ? k : 0, format, maxNewTokens: num('max-tokens', values['max-tokens'], 64, { int: true, min: 1 }), seed,
    }));
    if (values.json) {
      console.log(JSON.stringify(results.map((r) => ({ ...r, examples: undefined })), null, 2));
      return 0;
    }
    const pct = (x?: number) => (x === undefined ? '-' : `${(x * 100).toFixed(1)}%`);
    console.log(`${problems.length} problems (${taskName}${taskName.endsWith('.jsonl') ? '' : `, difficulty ${difficulty}, seed ${seed}`})`);
    console.log('thinking  greedy   pass@k   maj@k    reasons  mean length');
    for (const r of results) {
      console.log(`${r.mode.padEnd(8)}  ${pct(r.pass1).padEnd(7)}  ${pct(r.passK).padEnd(7)}  ${pct(r.majK).padEnd(7)}  ${pct(r.reasoningFraction).padEnd(7)}  ${r.meanLength.toFixed(1)}`);
    }
    return 0;
  },
};
