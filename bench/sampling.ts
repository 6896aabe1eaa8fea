// Top-p sampling on a real vocabulary (151,936 tokens): ponder's sampler beside the previous one
// (the same gathering of the head above a falling threshold, sorted by a JS comparator), on the
// same rows in the same run. A flat row (random weights, or a high
// temperature) puts most of the vocabulary in the nucleus, so the sort is the whole cost; a peaked
// row (a trained model) gathers a few hundred tokens. Reports the median and spread of repeats.
//   npx tsx bench/sampling.ts [--repeats 30]
import { parseArgs } from 'node:util';
import { Rng } from '../src/tensor/random.ts';
import { sampleToken } from '../src/infer/sampling.ts';

const { values } = parseArgs({ options: { repeats: { type: 'string' } } });
const R = Number(values.repeats ?? 30), V = 151_936;

/** The previous sampler's top-p path: the head above a falling threshold, sorted by a comparator. */
function comparatorTopP(logits: Float32Array, p: number, T: number, rng: Rng, probs: Float32Array, order: Int32Array): number {
  let m = -Infinity, total = 0;
  for (let i = 0; i < V; i++) if (logits[i] > m) m = logits[i];
  for (let i = 0; i < V; i++) total += probs[i] = Math.exp((logits[i] - m) / T);
  for (let threshold = total * 1e-4, pass = 0; ; threshold /= 256, pass++) {
    const floor = pass >= 3 ? -Infinity : threshold;
    let c = 0;
    for (let i = 0; i < V; i++) if (probs[i] >= floor) order[c++] = i;
    const cand = order.subarray(0, c).sort((a, b) => probs[b] - probs[a] || a - b);
    let cum = 0;
    for (let i = 0; i < c; i++) {
      if ((cum += probs[cand[i]] / total) < p) continue;
      let u = rng.next() * cum * total;
      for (let j = 0; j <= i; j++) if ((u -= probs[cand[j]]) < 0) return cand[j];
      return cand[0];
    }
    if (c === V) return cand[0];
  }
}

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `median ${s[s.length >> 1].toFixed(2)} ms (min ${s[0].toFixed(2)}, max ${s[s.length - 1].toFixed(2)})`;
}

const gen = new Rng(1);
const rows: [string, Float32Array][] = [
  ['flat (random weights)', Float32Array.from({ length: V }, () => (gen.next() - 0.5) * 0.5)],
  ['peaked (trained-like)', Float32Array.from({ length: V }, () => { const u = gen.next(); return -8 * Math.log(1 - u); })],
];
const probs = new Float32Array(V), order = new Int32Array(V), rng = new Rng(2);
for (const [name, logits] of rows) {
  const ours: number[] = [], ref: number[] = [];
  for (let r = 0; r < R; r++) {
    let t = performance.now();
    sampleToken(logits, { temperature: 0.7, topP: 0.95 }, rng, probs, order);
    ours.push(performance.now() - t);
    t = performance.now();
    comparatorTopP(logits, 0.95, 0.7, rng, probs, order);
    ref.push(performance.now() - t);
  }
  const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1];
  console.log(`${name}: ponder ${stats(ours)}; previous (comparator) ${stats(ref)}; ${(med(ref) / med(ours)).toFixed(1)}x`);
}
