// Training and evaluation of the classifier on the labelled JSONL ({"text", "label", "split"}).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PonderError } from '../errors.ts';
import { TextClassifier, trainClassifier, type TrainOptions } from './classifier.ts';
import { CLASSES, type Example } from './dataset.ts';
import { evaluate, type Report } from './metrics.ts';

export const DEFAULT_DATA_FILE = fileURLToPath(new URL('../../models/moderation/data.jsonl', import.meta.url));

/** Reads and validates the labelled set; a bad line is a PonderError naming file and line. */
export function readDataset(path: string): Example[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PonderError(`cannot read moderation data '${path}': ${(e as Error).message}`);
  }
  const out: Example[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let o: unknown;
    try { o = JSON.parse(line); } catch { throw new PonderError(`${path}:${i + 1}: not valid JSON`); }
    const e = o as Partial<Example>;
    if (typeof e?.text !== 'string') throw new PonderError(`${path}:${i + 1}: "text" must be a string`);
    if (!CLASSES.includes(e.label as Example['label'])) throw new PonderError(`${path}:${i + 1}: unknown label ${JSON.stringify(e.label)} (${CLASSES.join(', ')})`);
    if (e.split !== 'train' && e.split !== 'test') throw new PonderError(`${path}:${i + 1}: "split" must be train or test`);
    out.push({ text: e.text, label: e.label as Example['label'], split: e.split });
  });
  if (out.length === 0) throw new PonderError(`${path}: no examples`);
  return out;
}

export const DEFAULT_SHAPE = { buckets: 1 << 14, dim: 16, hidden: 32 };

export function trainOnExamples(examples: Example[], opts: TrainOptions & Partial<typeof DEFAULT_SHAPE> = {}): TextClassifier {
  const model = new TextClassifier({ classes: [...CLASSES], buckets: opts.buckets ?? DEFAULT_SHAPE.buckets,
    dim: opts.dim ?? DEFAULT_SHAPE.dim, hidden: opts.hidden ?? DEFAULT_SHAPE.hidden }, opts.seed ?? 0);
  const train = examples.filter((e) => e.split === 'train');
  if (train.length === 0) throw new PonderError('the data has no train split');
  trainClassifier(model, train.map((e) => ({ text: e.text, label: model.config.classes.indexOf(e.label) })), { epochs: 3, ...opts });
  return model;
}

/** Predicted class per text: the likeliest unsafe class if its probability reaches threshold, else safe. */
export function classify(model: TextClassifier, texts: string[], threshold = 0.5): string[] {
  const classes = model.config.classes;
  return model.predict(texts).map((p) => {
    let best = 1;
    for (let k = 2; k < p.length; k++) if (p[k] > p[best]) best = k;
    return p[best] >= threshold ? classes[best] : classes[0];
  });
}

/** Precision, recall and F1 on the held-out split. */
export function evaluateHeldOut(model: TextClassifier, examples: Example[], threshold = 0.5): Report {
  const test = examples.filter((e) => e.split === 'test');
  if (test.length === 0) throw new PonderError('the data has no test split');
  return evaluate(test.map((e) => e.label), classify(model, test.map((e) => e.text), threshold), model.config.classes);
}
