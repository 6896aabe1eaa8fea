// What the inference benchmark's files share: the prompt both engines read, the median, opening llama.cpp.
import { Rng } from '../src/tensor/random.ts';

/** A seeded random prompt of P token ids above the byte tokens (the same for both engines). */
export function promptIds(P: number, V: number): number[] {
  const r = new Rng(42);
  return Array.from({ length: P }, () => Math.floor(r.next() * (V - 256)) + 256);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** llama.cpp through node-llama-cpp on the CPU: the file memory-mapped, one sequence with room for the prompt and generation. */
export async function openLlama(path: string, threads: number, P: number, G: number) {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const ll = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error });
  const model = await ll.loadModel({ modelPath: path, useMmap: true, gpuLayers: 0 });
  const ctx = await model.createContext({ contextSize: P + G + 64, threads, batchSize: P, sequences: 1 });
  return { ll, model, ctx, seq: ctx.getSequence() };
}
