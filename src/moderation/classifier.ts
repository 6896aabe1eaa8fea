// The moderation classifier, on ponder's own engine: hashed n-gram embeddings (featureIds),
// mean-pooled per text, one hidden layer, softmax over classes (safe + unsafe categories).
//
//   ids (N)      --embedding-->  E (N, D)
//   P (B, N)     rows of 1/n_b over each text's ids   --matmul-->  x = P·E (B, D)
//   h = silu(x·W1ᵀ + b1) (B, H);  logits = h·W2ᵀ + b2 (B, K)
// trained with cross-entropy and AdamW; saved as safetensors with the classes in the metadata.
import { PonderError } from '../errors.ts';
import { readSafetensors, writeSafetensors, floatTensor } from '../io/safetensors.ts';
import { AdamW } from '../optim/adamw.ts';
import { clipGradNorm } from '../optim/clip.ts';
import {
  add, backward, crossEntropy, embedding, matmul, noGrad, parameter, silu, softmax, tensor, withScope, zeroGrad,
  type Tensor,
} from '../tensor/index.ts';
import { Rng } from '../tensor/random.ts';
import { featureIds } from './features.ts';

export interface ClassifierConfig {
  classes: string[];
  /** Hash buckets (rows of the embedding table). */
  buckets: number;
  /** Embedding width D. */
  dim: number;
  /** Hidden width H. */
  hidden: number;
}

export const FEATURES_VERSION = 'ngram34-wordpair-numshape-fnv1a-v2';

export class TextClassifier {
  readonly config: ClassifierConfig;
  readonly table: Tensor; // (buckets, D)
  readonly w1: Tensor; // (H, D)
  readonly b1: Tensor; // (H)
  readonly w2: Tensor; // (K, H)
  readonly b2: Tensor; // (K)

  constructor(config: ClassifierConfig, seed = 0) {
    const { buckets, dim, hidden, classes } = config;
    if (classes.length < 2 || classes[0] !== 'safe') throw new PonderError(`classifier classes must start with 'safe' and have at least two, got ${JSON.stringify(classes)}`);
    for (const [k, v] of Object.entries({ buckets, dim, hidden })) {
      if (!Number.isInteger(v) || v < 1) throw new PonderError(`classifier ${k} must be a positive integer, got ${v}`);
    }
    this.config = { classes: [...classes], buckets, dim, hidden };
    const rng = new Rng(seed);
    const init = (n: number, std: number) => Float32Array.from({ length: n }, () => rng.normal() * std);
    const K = classes.length;
    this.table = parameter(init(buckets * dim, 0.1), [buckets, dim]);
    this.w1 = parameter(init(hidden * dim, 1 / Math.sqrt(dim)), [hidden, dim]);
    this.b1 = parameter(new Float32Array(hidden), [hidden]);
    this.w2 = parameter(init(K * hidden, 1 / Math.sqrt(hidden)), [K, hidden]);
    this.b2 = parameter(new Float32Array(K), [K]);
  }

  parameters(): Tensor[] {
    return [this.table, this.w1, this.b1, this.w2, this.b2];
  }

  /** Logits (B, K) for a batch of feature-id lists. */
  forward(batch: Int32Array[]): Tensor {
    const B = batch.length;
    const N = batch.reduce((s, ids) => s + ids.length, 0);
    const ids = new Int32Array(N);
    const pool = new Float32Array(B * N);
    let off = 0;
    batch.forEach((f, b) => {
      ids.set(f, off);
      for (let i = 0; i < f.length; i++) pool[b * N + off + i] = 1 / f.length;
      off += f.length;
    });
    const E = embedding(this.table, ids); // (N, D)
    const x = matmul(tensor(pool, [B, N]), E); // (B, D)
    const h = silu(add(matmul(x, this.w1, { transB: true }), this.b1)); // (B, H)
    return add(matmul(h, this.w2, { transB: true }), this.b2); // (B, K)
  }

  /** Class probabilities for each text, (B, K) as arrays. */
  predict(texts: string[]): number[][] {
    if (texts.length === 0) return [];
    const K = this.config.classes.length;
    return noGrad(() => withScope(() => {
      const p = softmax(this.forward(texts.map((t) => featureIds(t, this.config.buckets)))).data;
      return texts.map((_, b) => Array.from(p.subarray(b * K, (b + 1) * K)));
    }));
  }

  save(path: string, metadata: Record<string, string> = {}): void {
    const t = (x: Tensor) => ({ shape: [...x.shape], data: x.data });
    writeSafetensors(path, { 'embed.weight': t(this.table), 'hidden.weight': t(this.w1), 'hidden.bias': t(this.b1),
      'out.weight': t(this.w2), 'out.bias': t(this.b2) },
    { ...metadata, classes: JSON.stringify(this.config.classes), features: FEATURES_VERSION,
      buckets: String(this.config.buckets), dim: String(this.config.dim), hidden: String(this.config.hidden) });
  }

  static load(path: string): TextClassifier {
    const st = readSafetensors(path);
    const m = st.metadata;
    if (m.features !== FEATURES_VERSION) throw new PonderError(`${path}: not a moderation classifier of this version (features '${m.features}', expected '${FEATURES_VERSION}')`);
    let classes: unknown;
    try { classes = JSON.parse(m.classes ?? ''); } catch { classes = null; }
    if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string')) throw new PonderError(`${path}: metadata "classes" is not a list of names`);
    const c = new TextClassifier({ classes, buckets: Number(m.buckets), dim: Number(m.dim), hidden: Number(m.hidden) });
    const put = (name: string, into: Tensor) => {
      const f = floatTensor(st, name);
      if (f.data.length !== into.size) throw new PonderError(`${path}: tensor '${name}' has shape [${f.shape}], expected [${into.shape}]`);
      into.data.set(f.data);
    };
    put('embed.weight', c.table); put('hidden.weight', c.w1); put('hidden.bias', c.b1);
    put('out.weight', c.w2); put('out.bias', c.b2);
    return c;
  }
}

export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  seed?: number;
  /** Fraction of each text's feature ids dropped at random per step (regularises: no single
   *  template word can carry a class). */
  featureDropout?: number;
  /** Called after each epoch with the mean training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

/** Trains in place on (text, class index) pairs; classes are balanced by per-example weights. */
export function trainClassifier(model: TextClassifier, data: { text: string; label: number }[], opts: TrainOptions = {}): number {
  const epochs = opts.epochs ?? 8, bs = opts.batchSize ?? 32, lr = opts.lr ?? 0.01;
  const K = model.config.classes.length;
  if (data.length === 0) throw new PonderError('no training examples');
  for (const d of data) if (!(Number.isInteger(d.label) && d.label >= 0 && d.label < K)) throw new PonderError(`label ${d.label} is outside the ${K} classes`);
  const feats = data.map((d) => featureIds(d.text, model.config.buckets));
  const counts = new Array(K).fill(0);
  for (const d of data) counts[d.label]++;
  const classWeight = counts.map((c) => (c > 0 ? data.length / (K * c) : 0));
  const opt = new AdamW([
    { params: [model.table, model.b1, model.b2], weightDecay: 0 },
    { params: [model.w1, model.w2], weightDecay: opts.weightDecay ?? 0.01 },
  ], { beta2: 0.99 });
  const rng = new Rng(opts.seed ?? 0);
  const drop = opts.featureDropout ?? 0.5;
  if (!(drop >= 0 && drop < 1)) throw new PonderError(`feature dropout must be in [0, 1), got ${drop}`);
  const order = data.map((_, i) => i);
  const steps = epochs * Math.ceil(data.length / bs);
  let step = 0, last = NaN;
  for (let e = 0; e < epochs; e++) {
    for (let i = order.length - 1; i > 0; i--) { const j = rng.int(i + 1); [order[i], order[j]] = [order[j], order[i]]; }
    let total = 0, n = 0;
    for (let s = 0; s < order.length; s += bs) {
      const idx = order.slice(s, s + bs);
      zeroGrad(model.parameters());
      const loss = withScope(() => {
        const logits = model.forward(idx.map((i) => dropIds(feats[i], drop, rng)));
        const l = crossEntropy(logits, Int32Array.from(idx, (i) => data[i].label),
          { weights: Float32Array.from(idx, (i) => classWeight[data[i].label]) });
        backward(l);
        return l.item();
      });
      if (!Number.isFinite(loss)) throw new PonderError(`the classifier's loss became ${loss}; lower the learning rate (${lr})`);
      clipGradNorm(model.parameters(), 1.0);
      // Linear decay to 10% of lr: big early steps, a settled end.
      opt.update(lr * (1 - 0.9 * (step++ / steps)));
      total += loss * idx.length; n += idx.length;
    }
    last = total / n;
    opts.onEpoch?.(e + 1, last);
  }
  return last;
}

/** A random subset of ids, each kept with probability 1 - p (never empty). */
function dropIds(ids: Int32Array, p: number, rng: Rng): Int32Array {
  if (p === 0) return ids;
  const kept = ids.filter(() => rng.next() >= p);
  return kept.length > 0 ? kept : ids.subarray(0, 1);
}
