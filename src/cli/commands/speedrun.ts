// `ponder speedrun [--preset full|assistant-ci|r1-zero|ci|…] [--out dir]`: the pipelines that make the embedded model.
import { join } from 'node:path';
import { parseFlags, type Command } from '../command.ts';
import { PRESETS, speedrun, installEmbedded } from '../../pipeline/speedrun.ts';
import { PonderError } from '../../errors.ts';
import { ARITHMETIC_PRESETS, runArithmeticSpeedrun } from '../../pipeline/arithmetic.ts';
import { ASSISTANT_PRESETS, assistantSpeedrun } from '../../pipeline/assistant.ts';

export const command: Command = {
  name: 'speedrun',
  summary: 'pretraining, instruction tuning, alignment, reasoning RL, evaluation and report.md in one run',
  run(argv) {
    const { values } = parseFlags(argv, {
      preset: { type: 'string', default: 'full' },
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      install: { type: 'boolean', default: false },
      'budget-scale': { type: 'string' },
      reuse: { type: 'boolean', default: false },
      tokenizer: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    }, false);
    if (values.help) {
      console.log('usage: ponder speedrun [--preset full|assistant-ci|r1-zero|ci|arithmetic|arithmetic-ci] [--out runs/speedrun] [--seed 1] [--install]\n' +
        '  full          the assistant of a tiny world: pretraining, SFT, DPO, GRPO (src/pipeline/assistant.ts)\n' +
        '  assistant-ci  the same, shortened for CI\n' +
        '  r1-zero, ci   R1-Zero and R1 on products (src/pipeline/speedrun.ts)\n' +
        '  arithmetic, arithmetic-ci  column arithmetic with place digits, GRPO, Countdown (src/pipeline/arithmetic.ts;\n' +
        '                arithmetic-bpe and arithmetic-ci-bpe: the same before place digits)\n' +
        '  --budget-scale S  multiply the assistant stages\' time budgets by S (a slower or busier machine)\n' +
        '  --reuse  continue an interrupted assistant run in --out: stages with a finished checkpoint are loaded, not retrained\n' +
        '  --tokenizer chars|bpe|places  the arithmetic presets\' tokenizer (default: the preset\'s; bpe reproduces runs before it changed; places: digits that carry their place)\n' +
        '  --install  copy the final model to models/ponder-assistant (full) or models/ponder-r1-zero (r1-zero)');
      return 0;
    }
    // The arithmetic presets (issue 12) are their own pipeline: src/pipeline/arithmetic.ts.
    if (values.preset! in ARITHMETIC_PRESETS) {
      runArithmeticSpeedrun(values.preset!, values.out ?? join('runs', `speedrun-${values.preset}`), Number(values.seed), values.tokenizer);
      return 0;
    }
    const seed = Number(values.seed);
    if (!Number.isInteger(seed)) throw new PonderError(`--seed must be an integer, got '${values.seed}'`);
    const outDir = values.out ?? join('runs', `speedrun-${values.preset}`);
    const assistant = ASSISTANT_PRESETS[values.preset!];
    if (assistant) {
      const scale = values['budget-scale'] === undefined ? 1 : Number(values['budget-scale']);
      if (!(scale > 0)) throw new PonderError(`--budget-scale must be a positive number, got '${values['budget-scale']}'`);
      const preset = structuredClone(assistant);
      for (const st of [preset.pretrain, preset.sft, preset.align, preset.rl]) st.maxSeconds *= scale;
      const r = assistantSpeedrun({ preset, outDir, seed, reuse: values.reuse });
      if (values.install) installEmbedded(r.finalDir, join('models', 'ponder-assistant'));
      return 0;
    }
    const preset = PRESETS[values.preset!];
    if (!preset) throw new PonderError(`unknown preset '${values.preset}' (known: ${[...Object.keys(ASSISTANT_PRESETS), ...Object.keys(PRESETS), ...Object.keys(ARITHMETIC_PRESETS)].join(', ')})`);
    const r = speedrun({ preset, outDir, seed });
    if (values.install) installEmbedded(r.finalDir, join('models', 'ponder-r1-zero'));
    return 0;
  },
};
