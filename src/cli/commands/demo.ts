// `ponder demo`: a few seconds of training a tiny transformer, to show the loss falling.
import type { Command } from '../command.ts';
import { Transformer } from '../../model/transformer.ts';
import { validateConfig } from '../../model/config.ts';
import { AdamW } from '../../optim/adamw.ts';
import { trainStep, paramGroups } from '../../train/step.ts';
import { randomBatch } from '../../data/batches.ts';
import { Rng } from '../../tensor/random.ts';
import { backend } from '../../backend/index.ts';
import { getTask } from '../../tasks/registry.ts';
import { TrainingSampler } from '../../tasks/heldout.ts';

export const command: Command = {
  name: 'demo',
  summary: 'train a tiny model for a few seconds and watch the loss fall',
  run() {
    // Byte-level text of addition problems with their answers: structure a tiny model can learn.
    const task = getTask('addition');
    const text = new TrainingSampler(task, 1).sampleMany(2, 4000).map((p) => `${p.question} ${p.answer}\n`).join('');
    const tokens = Int32Array.from(Buffer.from(text, 'latin1'));
    const cfg = validateConfig({ vocab_size: 128, d_model: 64, n_layers: 2, n_heads: 4, n_kv_heads: 4, d_ff: 172, max_seq_len: 64 });
    const model = new Transformer(cfg, 1);
    const opt = new AdamW(paramGroups(model, 0.1));
    const rng = new Rng(1);
    console.log(`ponder demo: ${model.paramCount().toLocaleString()}-parameter transformer on the ${backend().name} backend, learning addition text`);
    const t0 = performance.now();
    for (let step = 1; step <= 150; step++) {
      const { loss } = trainStep(model, opt, [randomBatch(tokens, 16, 64, rng)], 3e-3);
      if (step === 1 || step % 15 === 0) console.log(`step ${String(step).padStart(3)}  loss ${loss.toFixed(3)}  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
    console.log('The loss fell from about ln(128) = 4.85: the model has learnt the text\'s structure.');
  },
};
