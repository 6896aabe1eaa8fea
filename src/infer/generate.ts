// Batched generation with a KV cache: prompts of different lengths are left-padded to a common
// length (padding masked out of attention), prefilled in one forward pass, then decoded one token
// per step for every row still running.
import { noGrad, withScope } from '../tensor/index.ts';
import { backend } from '../backend/index.ts';
import { Rng } from '../tensor/random.ts';
import type { Transformer } from '../model/transformer.ts';
import { PonderError } from '../errors.ts';
import { sampleWithLogprob, topLogprobs, type SamplingOptions } from './sampling.ts';

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Tokens that end a row (the stop token itself is kept in the output). */
  stopTokens?: number[];
  seed?: number;
  /** The token used for left padding (any valid id: it is masked). */
  padToken?: number;
  /** Only ids below this are generated (a tokenizer smaller than the model's vocabulary). */
  vocabLimit?: number;
  /** Tokens that may not be the first generated token (e.g. </think> when thinking is forced on). */
  banFirst?: number[];
  /** Return the k most likely alternatives at each step (OpenAI's top_logprobs). */
  topLogprobs?: number;
  /** Called for every new token; return false to stop that row early (a client went away, say). */
  onToken?: (row: number, token: number, logprob: number) => boolean | void;
}

export interface Generation {
  tokens: number[];
  /** log p of each generated token under the model at temperature 1. */
  logprobs: number[];
  top?: { token: number; logprob: number }[][];
  finish: FinishReason;
}

export function generate(model: Transformer, prompts: number[][], opts: GenerateOptions): Generation[] {
  const B = prompts.length;
  if (B === 0) return [];
  const V = model.config.vocab_size, ctx = model.config.max_seq_len;
  const L = Math.max(...prompts.map((p) => p.length));
  if (prompts.some((p) => p.length === 0)) throw new PonderError('generate: a prompt is empty (it needs at least one token)');
  if (L >= ctx) throw new PonderError(`the prompt has ${L} tokens, but the model's context is ${ctx}: nothing is left to generate into`);
  for (const p of prompts) for (const t of p) if (!(t >= 0 && t < V)) throw new PonderError(`generate: token id ${t} is outside the vocabulary [0, ${V})`);
  const maxNew = Math.max(0, Math.min(opts.maxNewTokens, ctx - L));
  const stop = new Set(opts.stopTokens ?? []);
  const rng = new Rng(opts.seed ?? 0);
  const pad = opts.padToken ?? 0;

  const ids = new Int32Array(B * L).fill(pad);
  const keyStart = new Int32Array(B);
  prompts.forEach((p, b) => {
    keyStart[b] = L - p.length;
    ids.set(p, b * L + keyStart[b]);
  });
  const anyPad = keyStart.some((k) => k > 0);
  const out: Generation[] = prompts.map(() => ({ tokens: [], logprobs: [], finish: 'length' as FinishReason, ...(opts.topLogprobs ? { top: [] } : {}) }));
  const running = new Uint8Array(B).fill(1);
  let alive = B;
  if (maxNew === 0) return out;

  const cache = model.newCache(B, L + maxNew);
  const probs = new Float32Array(V), order = new Int32Array(V), next = new Int32Array(B);
  noGrad(() => {
    // Logits are copied out of each step's scope so that the step's buffers go back to the pool.
    const logits = new Float32Array(B * V);
    const ks = anyPad ? keyStart : null;
    withScope(() => logits.set(model.forward(ids, B, L, { cache, keyStart: ks, lastOnly: true }).data));
    // Plain sampling and greedy choose every row's token in one kernel call (uniform draws taken
    // in row order, one per running row, as the per-row path takes them); top-k/top-p go per row.
    const temperature = opts.temperature ?? 1;
    const batched = !(opts.topK && opts.topK > 0 && opts.topK < V) && !(opts.topP !== undefined && opts.topP < 1);
    const u = new Float64Array(B), toks = new Int32Array(B), lps = new Float32Array(B);
    for (let step = 0; step < maxNew && alive > 0; step++) {
      for (let b = 0; b < B; b++) {
        if (!running[b]) continue;
        const row = logits.subarray(b * V, (b + 1) * V);
        if (step === 0 && opts.banFirst) for (const t of opts.banFirst) row[t] = -Infinity;
        if (opts.vocabLimit !== undefined && opts.vocabLimit < V) row.fill(-Infinity, opts.vocabLimit);
      }
      if (batched) {
        if (temperature > 0) for (let b = 0; b < B; b++) u[b] = running[b] ? rng.next() : 0;
        backend().kernels.sampleRows(logits, B, V, Math.max(temperature, 0), temperature > 0 ? u : null, toks, lps);
      }
      for (let b = 0; b < B; b++) {
        if (!running[b]) { next[b] = pad; continue; }
        const row = logits.subarray(b * V, (b + 1) * V);
        const { token: tok, logprob: lp } = batched ? { token: toks[b], logprob: lps[b] } : sampleWithLogprob(row, opts, rng, probs, order);
        next[b] = tok;
        const o = out[b];
        o.tokens.push(tok);
        o.logprobs.push(lp);
        if (o.top) o.top.push(topLogprobs(row, opts.topLogprobs!));
        let stopRow = false;
        if (opts.onToken?.(b, tok, lp) === false) { o.finish = 'cancelled'; stopRow = true; }
        else if (stop.has(tok)) { o.finish = 'stop'; stopRow = true; }
        if (stopRow) { running[b] = 0; alive--; }
      }
      if (alive === 0 || step === maxNew - 1) break;
      withScope(() => logits.set(model.forward(next, B, 1, { cache, keyStart: ks }).data));
    }
  });
  return out;
}
