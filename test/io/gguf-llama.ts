// llama.cpp (through node-llama-cpp's prebuilt CPU binary) as the referee for GGUF files, and
// ponder's side of the same comparisons: greedy continuations and teacher-forced next-token
// probabilities.
import type { Llama, LlamaModel, Token } from 'node-llama-cpp';
import { noGrad } from '../../src/tensor/index.ts';
import type { Transformer } from '../../src/model/transformer.ts';

let llamaPromise: Promise<Llama> | null = null;

/** One llama.cpp instance per test file (CPU only, never builds, quiet). */
export function llama(): Promise<Llama> {
  llamaPromise ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) =>
    getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error }));
  return llamaPromise;
}

export async function loadLlamaModel(path: string): Promise<LlamaModel> {
  return (await llama()).loadModel({ modelPath: path });
}

/** llama.cpp's greedy continuation of `prompt`: n tokens, or fewer when one in `stop` comes (end-of-generation tokens are yielded, not obeyed). */
export async function llamaGreedy(model: LlamaModel, prompt: number[], n: number, stop: number[], contextSize: number): Promise<number[]> {
  const ctx = await model.createContext({ contextSize, threads: 1 });
  try {
    const seq = ctx.getSequence();
    const out: number[] = [];
    for await (const t of seq.evaluate(prompt as Token[], { temperature: 0, yieldEogToken: true })) {
      out.push(t);
      if (out.length >= n || stop.includes(t)) break;
    }
    return out;
  } finally { await ctx.dispose(); }
}

/** llama.cpp's next-token probabilities after each prefix of `tokens` (teacher forcing). */
export async function llamaProbs(model: LlamaModel, tokens: number[], contextSize: number): Promise<Map<number, number>[]> {
  // An f32 KV cache (llama.cpp's default is f16), so that only the order of sums differs from ponder.
  const ctx = await model.createContext({ contextSize, threads: 1, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32', flashAttention: false });
  try {
    const seq = ctx.getSequence();
    const res = await seq.controlledEvaluate(tokens.map((t) => [t as Token, { generateNext: { probabilities: true } }]));
    return res.map((r, i) => {
      const p = r?.next.probabilities;
      if (!p) throw new Error(`llama.cpp gave no probabilities at position ${i}`);
      return p as Map<number, number>;
    });
  } finally { await ctx.dispose(); }
}

function argmax(x: Float32Array, from: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[from + i] > x[from + best]) best = i;
  return best;
}

/** What ponderGreedy needs of a model: the autograd Transformer and the quantised runner both have it. */
interface GreedyModel<C> {
  readonly config: { vocab_size: number };
  newCache(B: number): C;
  forward(ids: Int32Array, B: number, T: number, opts: { cache?: C; lastOnly?: boolean }): { data: Float32Array };
}

/** Ponder's greedy continuation (KV cache, one token at a time). */
export function ponderGreedy<C>(model: GreedyModel<C>, prompt: number[], n: number, stop: number[]): number[] {
  return noGrad(() => {
    const V = model.config.vocab_size;
    const cache = model.newCache(1);
    let logits = model.forward(Int32Array.from(prompt), 1, prompt.length, { cache, lastOnly: true }).data;
    const out: number[] = [];
    for (;;) {
      const t = argmax(logits, 0, V);
      out.push(t);
      if (out.length >= n || stop.includes(t)) return out;
      logits = model.forward(Int32Array.of(t), 1, 1, { cache, lastOnly: true }).data;
    }
  });
}

/** Ponder's next-token probabilities after each prefix of `tokens`, one row of V per position. */
export function ponderProbs(model: Transformer, tokens: number[]): Float32Array[] {
  return noGrad(() => {
    const V = model.config.vocab_size, T = tokens.length;
    const logits = model.forward(Int32Array.from(tokens), 1, T).data;
    const rows: Float32Array[] = [];
    for (let t = 0; t < T; t++) {
      const row = new Float32Array(V);
      let max = -Infinity, sum = 0;
      for (let v = 0; v < V; v++) max = Math.max(max, logits[t * V + v]);
      for (let v = 0; v < V; v++) { row[v] = Math.exp(logits[t * V + v] - max); sum += row[v]; }
      for (let v = 0; v < V; v++) row[v] /= sum;
      rows.push(row);
    }
    return rows;
  });
}

/** The k most likely ids of a probability row. */
export function topK(p: Float32Array, k: number): number[] {
  return [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, k);
}
