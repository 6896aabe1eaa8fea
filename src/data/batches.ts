// Packing a token stream into (B, T) training batches: random windows of T + 1 tokens, the first T
// as inputs and the last T as next-token targets (documents are separated by end-of-text tokens, so
// windows cross document boundaries as in GPT pretraining). A held-out tail is the validation split.
import type { Rng } from '../tensor/random.ts';
import type { Batch } from '../train/step.ts';
import { PonderError } from '../errors.ts';

export interface Splits {
  train: Int32Array;
  val: Int32Array;
}

/** Splits the stream: the last `valFraction` of tokens is validation (never trained on). */
export function splitTokens(tokens: Int32Array, valFraction: number, T: number): Splits {
  const nVal = Math.max(T + 1, Math.floor(tokens.length * valFraction));
  if (tokens.length < nVal + T + 1) {
    throw new PonderError(`the corpus has ${tokens.length} tokens: too few for windows of ${T + 1} plus a validation split`);
  }
  return { train: tokens.subarray(0, tokens.length - nVal), val: tokens.subarray(tokens.length - nVal) };
}

/** A batch of B random windows drawn with rng (the same rng state gives the same batch). */
export function randomBatch(tokens: Int32Array, B: number, T: number, rng: Rng, out?: Batch): Batch {
  const b = out ?? { inputs: new Int32Array(B * T), targets: new Int32Array(B * T), B, T };
  const span = tokens.length - T - 1;
  for (let r = 0; r < B; r++) {
    const s = rng.int(span + 1);
    b.inputs.set(tokens.subarray(s, s + T), r * T);
    b.targets.set(tokens.subarray(s + 1, s + T + 1), r * T);
  }
  return b;
}

/** Consecutive non-overlapping windows (for a deterministic validation loss). */
export function sequentialBatches(tokens: Int32Array, B: number, T: number, maxBatches: number): Batch[] {
  const out: Batch[] = [];
  let s = 0;
  while (out.length < maxBatches && s + B * T + 1 <= tokens.length) {
    const b = { inputs: new Int32Array(B * T), targets: new Int32Array(B * T), B, T };
    for (let r = 0; r < B; r++, s += T) {
      b.inputs.set(tokens.subarray(s, s + T), r * T);
      b.targets.set(tokens.subarray(s + 1, s + T + 1), r * T);
    }
    out.push(b);
  }
  return out;
}
