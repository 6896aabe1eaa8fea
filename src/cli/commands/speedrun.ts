// `ponder speedrun [--preset full|ci] [--out dir]`: the whole pipeline that makes the embedded model.
import { join } from 'node:path';
import { parseFlags, type Command } from '../command.ts';
import { PRESETS, speedrun, installEmbedded } from '../../pipeline/speedrun.ts';
import { PonderError } from '../../errors.ts';
import { ARITHMETIC_PRESETS, runArithmeticSpeedrun } from '../../pipeline/arithmetic.ts';

export const command: Command = {
  name: 'speedrun',
  summary: 'tokenizer, pretraining, GRPO, evaluation and report.md in one run (≤ 30 min)',
  run(argv) {
    const { values } = parseFlags(argv, {
      preset: { type: 'string', default: 'full' },
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      install: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    }, false);
    if (values.help) {
      console.log('usage: ponder speedrun [--preset full|ci|arithmetic|arithmetic-ci] [--out runs/speedrun] [--seed 1] [--install]\n' +
        '  --install  copy the final model to models/ponder-r1-zero (the embedded default)');
      return 0;
    }
    // The arithmetic presets (issue 12) are their own pipeline: src/pipeline/arithmetic.ts.
    if (values.preset! in ARITHMETIC_PRESETS) {
      runArithmeticSpeedrun(values.preset!, values.out ?? join('runs', `speedrun-${values.preset}`), Number(values.seed));
      return 0;
    }
    const preset = PRESETS[values.preset!];
    if (!preset) throw new PonderError(`unknown preset '${values.preset}' (known: ${[...Object.keys(PRESETS), ...Object.keys(ARITHMETIC_PRESETS)].join(', ')})`);
    const seed = Number(values.seed);
    if (!Number.isInteger(seed)) throw new PonderError(`--seed must be an integer, got '${values.seed}'`);
    const outDir = values.out ?? join('runs', `speedrun-${values.preset}`);
    const r = speedrun({ preset, outDir, seed });
    if (values.install) installEmbedded(r.finalDir, join('models', 'ponder-r1-zero'));
    return 0;
  },
};
