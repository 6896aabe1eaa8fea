// `ponder align --model model --data prefs.jsonl`: preference optimisation (DPO or KTO), of ponder's
// models or of an imported one (prompts and answers through its own chat template).
import { join } from 'node:path';
import { parseFlags, type Command } from '../command.ts';
import { num } from '../shared.ts';
import { loadTrainableChat, trainablePath } from '../trainable.ts';
import { tokenizerToSave } from '../../train/checkpoint-tokenizer.ts';
import { parsePairs, parseRatings, pairsToRatings, readText, type PreferencePair, type Rating } from '../../align/data.ts';
import { trainAlign, type AlignMethod } from '../../align/trainer.ts';
import { saveCheckpoint } from '../../io/checkpoint.ts';
import type { BadLine } from '../../train/sft.ts';
import { PonderError } from '../../errors.ts';

const HELP = `usage: ponder align [--model model] [--method dpo|kto] --data prefs.jsonl [--ratings ratings.jsonl]
  [--val val.jsonl] [--out runs/align] [--steps 100] [--batch 8] [--beta 0.1] [--nll-weight 0] [--lr 5e-5]
  [--desirable-weight 1] [--undesirable-weight 1] [--eval-every 25] [--sample-every 50]
  [--seed 1] [--max-seconds S] [--resume]

dpo (default): Direct Preference Optimization against the starting model, frozen, with strength β,
  from {"prompt", "chosen", "rejected"} lines (what \`ponder data export --preferences\` writes).
  --nll-weight α adds α × the chosen answers' per-token NLL (RPO): on small models plain DPO
  can lower both answers and leave a model that says neither.
kto: learns from single thumbs up/down, {"prompt", "completion", "label": true|false} lines
  (--ratings; \`ponder data export --ratings\`); pairs given with --data count as one up, one down.
A prompt is [{role, content}] turns or a string. Logged to OUT/metrics.jsonl: loss, implicit
rewards, margin, accuracy, KL to the reference; OUT/samples.jsonl: greedy answers; charts. Lines
that cannot be used (identical chosen and rejected, unknown roles, empty text, too long) are
counted, reported by line and skipped. The aligned model is saved to OUT/final.
--model (or --checkpoint; default the embedded model): a ponder checkpoint, a Hugging Face folder or
a .gguf file (float32 while training). A model with its own tokenizer gets its own chat template's
prompt (with the generation prompt) and each answer as it writes a direct reply, through its end
token; its tokenizer files and template go with OUT/final.`;

function report(what: string, bad: BadLine[]): void {
  if (bad.length === 0) return;
  console.error(`align: skipped ${bad.length} ${what}:`);
  for (const b of bad.slice(0, 20)) console.error(`  line ${b.line}: ${b.reason}`);
  if (bad.length > 20) console.error(`  … and ${bad.length - 20} more`);
}

export const command: Command = {
  name: 'align',
  summary: 'preference optimisation from ratings and rewrites (DPO against a frozen reference, or KTO)',
  run(argv) {
    const { values } = parseFlags(argv, {
      checkpoint: { type: 'string' }, model: { type: 'string' }, method: { type: 'string', default: 'dpo' }, data: { type: 'string' }, ratings: { type: 'string' },
      val: { type: 'string' }, out: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' }, beta: { type: 'string' }, 'nll-weight': { type: 'string' },
      lr: { type: 'string' }, 'desirable-weight': { type: 'string' }, 'undesirable-weight': { type: 'string' },
      'eval-every': { type: 'string' }, 'sample-every': { type: 'string' }, seed: { type: 'string' }, 'max-seconds': { type: 'string' },
      resume: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    }, false);
    if (values.help || (!values.data && !values.ratings)) { console.log(HELP); return values.help ? 0 : 2; }
    const method = values.method as AlignMethod;
    if (method !== 'dpo' && method !== 'kto') throw new PonderError(`--method must be dpo or kto, not '${values.method}'`);
    if (method === 'dpo' && values.ratings) throw new PonderError('--ratings (single thumbs) needs --method kto; DPO learns from pairs (--data)');
    let pairs: PreferencePair[] = [], ratings: Rating[] = [];
    if (values.data) {
      const r = parsePairs(readText(values.data));
      report(`lines of ${values.data}`, r.bad);
      pairs = r.items;
    }
    if (values.ratings) {
      const r = parseRatings(readText(values.ratings));
      report(`lines of ${values.ratings}`, r.bad);
      ratings = r.items;
    }
    let valPairs: PreferencePair[] | undefined, valRatings: Rating[] | undefined;
    if (values.val) {
      const text = readText(values.val);
      if (method === 'dpo') { const r = parsePairs(text); report(`lines of ${values.val}`, r.bad); valPairs = r.items; }
      else { const r = parseRatings(text); report(`lines of ${values.val}`, r.bad); valRatings = r.items; }
    }
    if (method === 'kto') ratings = [...ratings, ...pairsToRatings(pairs)];
    const loaded = loadTrainableChat(trainablePath(values), 'align');
    const out = values.out ?? 'runs/align';
    const r = trainAlign({
      method, policy: loaded.model, tokenizer: loaded.tokenizer, format: loaded.chat, tokenizerFiles: loaded.tokenizerFiles, pairs, ratings, valPairs, valRatings, outDir: out,
      steps: num('steps', values.steps, 100, { int: true, min: 1 }), batchSize: num('batch', values.batch, 8, { int: true, min: 1 }),
      beta: num('beta', values.beta, 0.1, { min: 1e-6 }), nllWeight: num('nll-weight', values['nll-weight'], 0, { min: 0 }), lr: num('lr', values.lr, 5e-5, { min: 0 }),
      desirableWeight: num('desirable-weight', values['desirable-weight'], 1, { min: 0 }),
      undesirableWeight: num('undesirable-weight', values['undesirable-weight'], 1, { min: 0 }),
      evalEvery: num('eval-every', values['eval-every'], 25, { int: true, min: 1 }), sampleEvery: num('sample-every', values['sample-every'], 50, { int: true, min: 1 }),
      seed: num('seed', values.seed, 1, { int: true }), resume: values.resume,
      maxSeconds: values['max-seconds'] ? num('max-seconds', values['max-seconds'], 0, { min: 0 }) : undefined,
    });
    if (r.tooLong.length) console.error(`align: skipped ${r.tooLong.length} examples longer than the context (lines ${r.tooLong.slice(0, 20).join(', ')})`);
    saveCheckpoint(join(out, 'final'), r.policy, { ...tokenizerToSave(loaded.tokenizer, loaded.tokenizerFiles), state: { ...loaded.state, align: { method, data: values.data ?? values.ratings, steps: r.steps } } });
    const last = r.rows[r.rows.length - 1];
    if (last) console.log(`align (${method}): ${r.steps} steps; loss ${last.loss.toFixed(4)}, margin ${last.margin.toFixed(3)}, accuracy ${last.accuracy.toFixed(2)}, KL ${last.kl.toFixed(4)}`);
    console.log(`align: model in ${join(out, 'final')}; metrics ${join(out, 'metrics.jsonl')}, samples ${join(out, 'samples.jsonl')}, charts ${join(out, 'loss.svg')}, ${join(out, 'reward.svg')}`);
    return 0;
  },
};
