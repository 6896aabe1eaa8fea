// Top-k/top-p sampling gathers and sorts only the head of the vocabulary; the reference here is
// the full sort it replaced (every token sorted by probability, ties by id, then cut by k and p).
// On random logits of many shapes (peaked, flat, ties, banned tokens) both give the same token
// for the same seed, so the sampled distribution is exactly the one before; greedy allocates nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/tensor/random.ts';
import { argmax, sampleToken, sampleWithLogprob, tokenLogprob, type SamplingOptions } from '../../src/infer/sampling.ts';
import { randn } from '../helpers.ts';

/** The full-sort sampler (the previous implementation), kept as the reference. */
function fullSortSample(logits: Float32Array, opts: SamplingOptions, rng: Rng): { token: number; logprob: number } {
  const T = opts.temperature ?? 1, V = logits.length;
  let m = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i] > m) m = logits[i];
  const topK = opts.topK && opts.topK > 0 ? Math.min(opts.topK, V) : V, topP = opts.topP ?? 1;
  const probs = new Float32Array(V);
  let total = 0;
  for (let i = 0; i < V; i++) total += probs[i] = Math.exp((logits[i] - m) * (1 / T));
  const lp = (t: number) => (T === 1 ? logits[t] - m - Math.log(total) : tokenLogprob(logits, t));
  if (topK === V && topP >= 1) {
    let u = rng.next() * total;
    for (let i = 0; i < V; i++) if ((u -= probs[i]) < 0) return { token: i, logprob: lp(i) };
    return { token: argmax(logits), logprob: lp(argmax(logits)) };
  }
  const cand = Int32Array.from({ length: V }, (_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
  let keep = topK, cum = 0;
  for (let i = 0; i < topK; i++) {
    cum += probs[cand[i]] / total;
    if (cum >= topP) { keep = i + 1; break; }
  }
  let mass = 0;
  for (let i = 0; i < keep; i++) mass += probs[cand[i]];
  let u = rng.next() * mass;
  for (let i = 0; i < keep; i++) if ((u -= probs[cand[i]]) < 0) return { token: cand[i], logprob: lp(cand[i]) };
  return { token: cand[0], logprob: lp(cand[0]) };
}

/** Logits of several shapes: a scale sets how peaked; some rows have ties and banned (-inf) tokens. */
function rows(V: number): { name: string; logits: Float32Array }[] {
  const out: { name: string; logits: Float32Array }[] = [];
  for (const [scale, seed] of [[0.01, 1], [1, 2], [4, 3], [20, 4]] as const) out.push({ name: `randn x ${scale}`, logits: randn(V, seed, scale) });
  const ties = Float32Array.from(randn(V, 5, 2), (v) => Math.round(v)); // few distinct values: many ties
  ties[7] = -Infinity; ties[8] = -Infinity;
  out.push({ name: 'rounded (ties) with banned tokens', logits: ties });
  out.push({ name: 'flat', logits: new Float32Array(V) });
  const heavy = randn(V, 6, 1); for (let i = 0; i < V; i += 97) heavy[i] += 12; // a long, heavy head
  out.push({ name: 'many strong tokens', logits: heavy });
  return out;
}

const SETTINGS: SamplingOptions[] = [
  { topP: 0.9 }, { topP: 0.5, temperature: 0.7 }, { topP: 0.999, temperature: 1.3 }, { topP: 1e-6 },
  { topK: 1 }, { topK: 5 }, { topK: 40, temperature: 0.8 }, { topK: 3000 }, { topK: 50, topP: 0.95 }, { topK: 20000, topP: 0.99, temperature: 2 },
];

test('top-k/top-p without a full sort: the same token and logprob as the full sort, for every seed', () => {
  for (const V of [13, 1000, 32000]) {
    const probs = new Float32Array(V), order = new Int32Array(V);
    for (const { name, logits } of rows(V)) {
      for (const opts of SETTINGS) {
        const a = new Rng(11), b = new Rng(11);
        for (let draw = 0; draw < (V > 1000 ? 3 : 30); draw++) {
          const got = sampleWithLogprob(logits, opts, a, probs, order), want = fullSortSample(logits, opts, b);
          assert.deepEqual(got, want, `V ${V}, ${name}, ${JSON.stringify(opts)}, draw ${draw}`);
        }
      }
    }
  }
});

test('the sampled distribution is the full sort\'s: frequencies over many draws match, and top-k keeps k tokens', () => {
  const V = 1500, logits = randn(V, 9, 3), probs = new Float32Array(V), order = new Int32Array(V);
  const opts = { topK: 8, topP: 0.97, temperature: 0.9 };
  const count = (f: () => number) => { const c = new Map<number, number>(); for (let i = 0; i < 3000; i++) { const t = f(); c.set(t, (c.get(t) ?? 0) + 1); } return c; };
  const ra = new Rng(3), rb = new Rng(3);
  const ours = count(() => sampleToken(logits, opts, ra, probs, order));
  const ref = count(() => fullSortSample(logits, opts, rb).token);
  assert.deepEqual([...ours].sort((x, y) => x[0] - y[0]), [...ref].sort((x, y) => x[0] - y[0]));
  assert.ok(ours.size > 1 && ours.size <= 8, `${ours.size} distinct tokens`);
});

test('greedy is the argmax (first on ties) and allocates nothing per token', () => {
  const V = 151_936, logits = randn(V, 12, 2), probs = new Float32Array(V), order = new Int32Array(V), rng = new Rng(1);
  logits[500] = 50; logits[900] = 50;
  assert.equal(sampleToken(logits, { temperature: 0, topP: 0.9, topK: 5 }, rng, probs, order), 500);
  assert.equal(argmax(logits), 500);
  // Greedy draws nothing from the RNG and writes nothing to the scratch (it never builds probabilities).
  assert.equal(rng.next(), new Rng(1).next());
  assert.ok(probs.every((p) => p === 0) && order.every((o) => o === 0));
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) sampleToken(logits, { temperature: 0 }, rng, probs, order);
    assert.ok(process.memoryUsage().heapUsed - before < 64 * 1024);
  }
});
