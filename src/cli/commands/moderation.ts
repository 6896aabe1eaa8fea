// `ponder moderation data|train|eval|check`: the moderation layer's labelled set, classifier and rules.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PonderError } from '../../errors.ts';
import { writeFileAtomic } from '../../store/atomic.ts';
import { TextClassifier } from '../../moderation/classifier.ts';
import { datasetToJsonl, generateDataset } from '../../moderation/dataset.ts';
import { DEFAULT_CLASSIFIER_FILE, Moderator } from '../../moderation/moderate.ts';
import { DEFAULT_RULES_FILE, loadRules } from '../../moderation/rules.ts';
import { DEFAULT_POLICY } from '../../moderation/policy.ts';
import { DEFAULT_DATA_FILE, evaluateHeldOut, readDataset, trainOnExamples } from '../../moderation/train.ts';
import type { Report } from '../../moderation/metrics.ts';
import { benignReport, type BenignReport } from '../../moderation/benign.ts';
import { parseFlags, type Command } from '../command.ts';
import { num } from '../shared.ts';

const HELP = `usage: ponder moderation data  [--out FILE.jsonl] [--seed N]
       ponder moderation train [--data FILE.jsonl] [--out FILE.safetensors] [--epochs N] [--lr X] [--seed N]
       ponder moderation eval  [--data FILE.jsonl] [--model FILE.safetensors] [--rules FILE.json] [--threshold X] [--json]
       ponder moderation check [--rules FILE.json] [--model FILE.safetensors] "text"

data   writes the generated labelled set (templated safe and unsafe texts; train and held-out
       splits with disjoint templates) as JSON Lines.
train  trains the classifier on the train split with ponder's engine and saves it.
eval   reports precision, recall and F1 on the held-out split, and the false-positive rate of the
       rules and classifier together on benign text not made from the training templates (stories,
       task problems and traces, chat greetings: src/moderation/benign.ts).
check  runs the keyword rules and the classifier on one text and prints the verdict as JSON.
Defaults: data ${DEFAULT_DATA_FILE}, model ${DEFAULT_CLASSIFIER_FILE}, rules ${DEFAULT_RULES_FILE}.
Moderation of chats is turned off for local use with PONDER_MODERATION=off.`;

const pct = (x: number) => (100 * x).toFixed(1) + '%';

function printReport(r: Report): void {
  console.log(`held-out examples: ${r.n}, accuracy ${pct(r.accuracy)}`);
  const row = (name: string, m: Report['flagged']) => console.log(
    `${name.padEnd(18)} precision ${pct(m.precision).padStart(6)}  recall ${pct(m.recall).padStart(6)}  F1 ${pct(m.f1).padStart(6)}  (tp ${m.tp}, fp ${m.fp}, fn ${m.fn})`);
  row('flagged (any)', r.flagged);
  for (const [c, m] of Object.entries(r.perClass)) row(c, m);
}

function printBenign(b: BenignReport): void {
  const by = Object.entries(b.bySource).map(([s, x]) => `${s} ${x.flagged}/${x.n}`).join(', ');
  console.log(`benign text:       ${b.flagged} of ${b.n} flagged, false-positive rate ${(100 * b.falsePositiveRate).toFixed(2)}% (${by})`);
  for (const e of b.examples) console.log(`  flagged: ${JSON.stringify(e)}`);
}

export const command: Command = {
  name: 'moderation',
  summary: 'moderation: generate data, train and evaluate the classifier, check a text',
  run(argv) {
    const { values, positionals } = parseFlags(argv, {
      data: { type: 'string' }, out: { type: 'string' }, model: { type: 'string' }, rules: { type: 'string' },
      epochs: { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' }, threshold: { type: 'string' },
      json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    });
    const [sub, ...rest] = positionals;
    if (values.help || sub === undefined) { console.log(HELP); return values.help ? 0 : 1; }
    const seed = num('seed', values.seed, 1234, { int: true, min: 0 });
    switch (sub) {
      case 'data': {
        const out = resolve(values.out ?? DEFAULT_DATA_FILE);
        const ex = generateDataset({ seed });
        mkdirSync(dirname(out), { recursive: true });
        writeFileAtomic(out, datasetToJsonl(ex));
        console.log(`wrote ${ex.length} examples (${ex.filter((e) => e.split === 'train').length} train, ${ex.filter((e) => e.split === 'test').length} held-out) -> ${out}`);
        return 0;
      }
      case 'train': {
        const data = readDataset(resolve(values.data ?? DEFAULT_DATA_FILE));
        const out = resolve(values.out ?? DEFAULT_CLASSIFIER_FILE);
        const t0 = Date.now();
        const model = trainOnExamples(data, {
          epochs: num('epochs', values.epochs, 3, { int: true, min: 1 }), lr: num('lr', values.lr, 0.01, { min: 0 }), seed,
          onEpoch: (e, l) => console.log(`epoch ${e}: loss ${l.toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`),
        });
        mkdirSync(dirname(out), { recursive: true });
        model.save(out, { trained_on: values.data ?? 'models/moderation/data.jsonl' });
        printReport(evaluateHeldOut(model, data));
        console.log(`saved -> ${out}`);
        return 0;
      }
      case 'eval': {
        const data = readDataset(resolve(values.data ?? DEFAULT_DATA_FILE));
        const model = TextClassifier.load(resolve(values.model ?? DEFAULT_CLASSIFIER_FILE));
        const threshold = num('threshold', values.threshold, 0.5, { min: 0, max: 1 });
        const r = evaluateHeldOut(model, data, threshold);
        const b = benignReport(new Moderator(loadRules(values.rules ? resolve(values.rules) : undefined), model),
          undefined, { ...DEFAULT_POLICY, threshold });
        if (values.json) console.log(JSON.stringify({ heldOut: r, benign: b }, null, 2));
        else { printReport(r); printBenign(b); }
        return 0;
      }
      case 'check': {
        if (rest.length !== 1) throw new PonderError('moderation check needs exactly one text argument (quote it)');
        const m = new Moderator(loadRules(values.rules ? resolve(values.rules) : undefined),
          TextClassifier.load(resolve(values.model ?? DEFAULT_CLASSIFIER_FILE)));
        const r = m.moderate(rest[0]);
        const scores = Object.fromEntries(Object.entries(r.scores).map(([c, s]) => [c, Number(s.toFixed(4))]));
        console.log(JSON.stringify({ flagged: r.flagged, categories: Object.keys(r.categories).filter((c) => r.categories[c]), scores, rule: r.rule }, null, 2));
        return 0;
      }
      default:
        throw new PonderError(`unknown subcommand 'moderation ${sub}' (data, train, eval, check)`);
    }
  },
};
