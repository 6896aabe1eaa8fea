// Choosing the next token from a row of logits: greedy, temperature, top-k, top-p (nucleus).
import { backend } from '../backend/index.ts';
import type { Rng } from '../tensor/random.ts';

export interface SamplingOptions {
  /** 0 picks the most likely token (greedy). */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = all). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1 = all). */
  topP?: number;
}

/** Index of the largest value (the first one on ties, so greedy decoding is deterministic). */
export function argmax(x: Float32Array): number {
  let best = 0, bv = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > bv) { bv = x[i]; best = i; }
  return best;
}

/**
 * Samples a token from one row of logits (V). `probs` and `order` are scratch of length V, reused
 * across calls. Greedy (temperature 0) is one argmax pass and allocates nothing.
 */
export function sampleToken(logits: Float32Array, opts: SamplingOptions, rng: Rng, probs: Float32Array, order: Int32Array): number {
  if ((opts.temperature ?? 1) <= 0) return argmax(logits);
  return draw(logits, opts, rng, probs, order).token;
}

/**
 * Samples a token and returns it with its log-probability under the model at temperature 1
 * (what RL's ratio and the API's logprobs need). At temperature 1, the sampling pass's
 * exponentials serve both.
 */
export function sampleWithLogprob(logits: Float32Array, opts: SamplingOptions, rng: Rng, probs: Float32Array, order: Int32Array): { token: number; logprob: number } {
  if ((opts.temperature ?? 1) <= 0) {
    const token = argmax(logits);
    return { token, logprob: tokenLogprob(logits, token) };
  }
  const { token, max, total } = draw(logits, opts, rng, probs, order);
  return { token, logprob: opts.temperature === undefined || opts.temperature === 1 ? logits[token] - max - Math.log(total) : tokenLogprob(logits, token) };
}

/** One draw at a positive temperature; with the row's max logit and the sum of exp((x - max) / T). */
function draw(logits: Float32Array, opts: SamplingOptions, rng: Rng, probs: Float32Array, order: Int32Array): { token: number; max: number; total: number } {
  const V = logits.length, invT = 1 / (opts.temperature ?? 1);
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i] > max) max = logits[i];
  const topK = opts.topK && opts.topK > 0 ? Math.min(opts.topK, V) : V;
  const topP = opts.topP ?? 1;
  let total = 0;
  for (let i = 0; i < V; i++) total += probs[i] = Math.exp((logits[i] - max) * invT);
  if (topK === V && topP >= 1) {
    // Plain sampling: one pass over the vocabulary, no sort.
    let u = rng.next() * total;
    for (let i = 0; i < V; i++) if ((u -= probs[i]) < 0) return { token: i, max, total };
    return { token: argmax(logits), max, total };
  }
  const { cand, keep } = nucleus(probs, total, topK, topP, order);
  let mass = 0;
  for (let i = 0; i < keep; i++) mass += probs[cand[i]];
  let u = rng.next() * mass;
  for (let i = 0; i < keep; i++) if ((u -= probs[cand[i]]) < 0) return { token: cand[i], max, total };
  return { token: cand[0], max, total };
}

/**
 * The candidates of top-k/top-p: the most probable tokens in descending order (ties by id), and
 * how many of them to keep (at most k, the fewest whose probability reaches p). Only tokens
 * above a threshold are gathered and sorted; every token left out is strictly less probable than
 * every one gathered, so the gathered, sorted list is exactly the head of the fully sorted
 * vocabulary. The threshold falls until the head holds k tokens or reaches p (a flat
 * distribution ends with the whole vocabulary, as a full sort would).
 */
function nucleus(probs: Float32Array, total: number, topK: number, topP: number, order: Int32Array): { cand: Int32Array; keep: number } {
  const V = probs.length;
  for (let threshold = total * 1e-4, pass = 0; ; threshold /= 256, pass++) {
    const floor = pass >= 3 ? -Infinity : threshold;
    let c = 0;
    for (let i = 0; i < V; i++) if (probs[i] >= floor) order[c++] = i;
    const cand = sortByProbability(probs, order.subarray(0, c));
    const upto = Math.min(topK, c);
    let cum = 0;
    for (let i = 0; i < upto; i++) {
      cum += probs[cand[i]] / total;
      if (cum >= topP) return { cand, keep: i + 1 };
    }
    if (c >= topK || c === V) return { cand, keep: upto };
  }
}

let sortKeys = new Float64Array(0);

/**
 * Sorts token ids by probability, descending, ties by id. A comparator sort of a flat 151,936-token
 * row took ~50 ms a token; here each token becomes one number whose ascending order is that order
 * (a positive float's bits order it like its value: 1.0's bits minus its bits, times 2^idBits,
 * plus the id; exact below 2^53), sorted by the typed array's native sort: 3x faster.
 */
function sortByProbability(probs: Float32Array, ids: Int32Array): Int32Array {
  const bits = new Int32Array(probs.buffer, probs.byteOffset, probs.length);
  const scale = 2 ** Math.max(1, Math.ceil(Math.log2(probs.length)));
  if (sortKeys.length < ids.length) sortKeys = new Float64Array(probs.length);
  const keys = sortKeys.subarray(0, ids.length);
  // probs are exp(x - max) <= 1: 0x3f800000 (1.0) minus the bits is >= 0 and grows as p falls.
  for (let i = 0; i < ids.length; i++) keys[i] = (0x3f800000 - bits[ids[i]]) * scale + ids[i];
  keys.sort();
  for (let i = 0; i < ids.length; i++) { const k = keys[i]; ids[i] = k - Math.floor(k / scale) * scale; }
  return ids;
}

/** The k most likely tokens of a row with their log-probabilities (temperature 1, full vocabulary). */
export function topLogprobs(logits: Float32Array, k: number): { token: number; logprob: number }[] {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > m) m = logits[i];
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp(logits[i] - m);
  const lse = m + Math.log(s);
  const best: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    if (best.length < k || logits[i] > logits[best[best.length - 1]]) {
      best.push(i);
      best.sort((a, b) => logits[b] - logits[a] || a - b);
      if (best.length > k) best.pop();
    }
  }
  return best.map((token) => ({ token, logprob: logits[token] - lse }));
}

/** The chosen token, its log-probability and the row's log-sum-exp, for tokenLogprob's kernel call. */
const one = { target: new Int32Array(1), logp: new Float32Array(1), lse: new Float32Array(1) };

/**
 * log p(token) under a row of logits at temperature 1, by the backend's kernel: a pass of exp
 * over a 151,936-token row in JavaScript was ~3 ms a token, a tenth of a 0.5B model's decode step.
 */
export function tokenLogprob(logits: Float32Array, token: number): number {
  one.target[0] = token;
  backend().kernels.tokenLogprobs(logits, one.target, 1, logits.length, one.logp, one.lse);
  return one.logp[0];
}
