// `ponder sft --model base --data chat.jsonl --out dir`: instruction tuning on chat JSONL, of
// ponder's models or of an imported one (rendered with its own chat template).
import { join } from 'node:path';
import { parseFlags, type Command } from '../command.ts';
import { num } from '../shared.ts';
import { loadTrainableChat, trainablePath } from '../trainable.ts';
import { readChatJsonl, trainSft, type BadLine } from '../../train/sft.ts';
import { saveCheckpoint } from '../../io/checkpoint.ts';
import { tokenizerToSave } from '../../train/checkpoint-tokenizer.ts';
import { PonderError } from '../../errors.ts';

const HELP = `usage: ponder sft [--model base] --data chat.jsonl [--val val.jsonl] [--out runs/sft]
  [--steps 200] [--batch 16] [--seq-len T] [--lr 3e-4] [--warmup N] [--mask-reasoning]
  [--eval-every 50] [--checkpoint-every 200] [--seed 1] [--max-seconds S] [--resume]

Each line of chat.jsonl is {"messages": [{"role": "system"|"user"|"assistant", "content": "...",
"reasoning_content"?: "..."}]} (OpenAI's format; DeepSeek's reasoning_content on assistant turns).
The loss covers assistant tokens only: reasoning, answer and end of turn (--mask-reasoning leaves
the reasoning out). Conversations are packed into rows of seq-len tokens. Without --val, the last 5%
of conversations are the validation set. Lines with unknown roles, empty turns or more tokens than
the context are counted, reported by line number and skipped. The tuned model is saved to OUT/final.
--model (or --checkpoint; default the embedded model): a ponder checkpoint, a Hugging Face folder or
a .gguf file (float32 while training). A model with its own tokenizer is trained on its own chat
template's rendering: each assistant reply as the model writes it after the template's generation
prompt, through its end token; the tokenizer files and template go with OUT/final, and
\`ponder export --format hf --model OUT/final\` writes them back out.`;

function report(what: string, bad: BadLine[]): void {
  if (bad.length === 0) return;
  console.error(`sft: skipped ${bad.length} ${what}:`);
  for (const b of bad.slice(0, 20)) console.error(`  line ${b.line}: ${b.reason}`);
  if (bad.length > 20) console.error(`  … and ${bad.length - 20} more`);
}

export const command: Command = {
  name: 'sft',
  summary: 'instruction tuning on chat JSONL (loss on assistant turns; packing, validation, resume)',
  run(argv) {
    const { values } = parseFlags(argv, {
      checkpoint: { type: 'string' }, model: { type: 'string' }, data: { type: 'string' }, val: { type: 'string' }, out: { type: 'string' },
      steps: { type: 'string' }, batch: { type: 'string' }, 'seq-len': { type: 'string' }, lr: { type: 'string' },
      warmup: { type: 'string' }, 'mask-reasoning': { type: 'boolean' }, 'eval-every': { type: 'string' },
      'checkpoint-every': { type: 'string' }, seed: { type: 'string' }, 'max-seconds': { type: 'string' },
      resume: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    }, false);
    if (values.help || !values.data) { console.log(HELP); return values.help ? 0 : 2; }
    const loaded = loadTrainableChat(trainablePath(values), 'sft');
    const data = readChatJsonl(values.data);
    report(`bad lines of ${values.data}`, data.bad);
    const val = values.val ? readChatJsonl(values.val) : null;
    if (val) report(`bad lines of ${values.val}`, val.bad);
    if (data.conversations.length === 0) throw new PonderError(`${values.data}: no usable conversation (${data.bad.length} bad lines)`);
    const out = values.out ?? 'runs/sft';
    const r = trainSft({
      model: loaded.model, tokenizer: loaded.tokenizer, format: loaded.chat, tokenizerFiles: loaded.tokenizerFiles, conversations: data.conversations, validation: val?.conversations,
      outDir: out, steps: num('steps', values.steps, 200, { int: true, min: 1 }), batchSize: num('batch', values.batch, 16, { int: true, min: 1 }),
      seqLen: values['seq-len'] ? num('seq-len', values['seq-len'], 0, { int: true, min: 2, max: loaded.config.max_seq_len }) : undefined,
      lr: num('lr', values.lr, 3e-4, { min: 0 }), warmupSteps: values.warmup ? num('warmup', values.warmup, 0, { int: true, min: 0 }) : undefined,
      maskReasoning: values['mask-reasoning'], evalEvery: num('eval-every', values['eval-every'], 50, { int: true, min: 1 }),
      checkpointEvery: num('checkpoint-every', values['checkpoint-every'], 200, { int: true, min: 1 }), seed: num('seed', values.seed, 1, { int: true }),
      maxSeconds: values['max-seconds'] ? num('max-seconds', values['max-seconds'], 0, { min: 0 }) : undefined, resume: values.resume,
    });
    report('conversations longer than the context', r.tooLong);
    report('conversations the chat template refused', r.refused);
    saveCheckpoint(join(out, 'final'), r.model, { ...tokenizerToSave(loaded.tokenizer, loaded.tokenizerFiles), state: { ...loaded.state, sft: { data: values.data, steps: r.steps } } });
    console.log(`sft: ${r.steps} steps on ${r.trainRows} packed rows; train loss ${r.trainLoss.toFixed(3)}, validation loss ${Number.isNaN(r.valLoss) ? '- (no validation conversations)' : r.valLoss.toFixed(3)}`);
    console.log(`sft: model in ${join(out, 'final')}, checkpoint ${join(out, 'checkpoint')}, loss chart ${join(out, 'loss.svg')}`);
    return 0;
  },
};
