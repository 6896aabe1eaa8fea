// llama.cpp (node-llama-cpp 3.21.1) generating from a GGUF in a bare Node process (plain
// JavaScript: no tsx loader), the counterpart of a bare `ponder generate --model x.gguf` for
// bench/generate-memory.ts, which samples this process's resident memory from outside.
//
//   node bench/lib/llama-generate.mjs FILE PROMPT_TOKENS GEN_TOKENS THREADS
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

const [path, p, g, t] = process.argv.slice(2);
const P = Number(p), G = Number(g), threads = Number(t);
const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: path, useMmap: true, gpuLayers: 0 });
// the context llama.cpp would need for this prompt and generation, as ponder sizes its cache
const ctx = await model.createContext({ contextSize: P + G, threads, sequences: 1 });
const seq = ctx.getSequence();
const ids = Array.from({ length: P }, (_, i) => 256 + ((i * 7919) % 1000));
let n = 0;
for await (const tok of seq.evaluate(ids, { temperature: 0 })) { void tok; if (++n >= G) break; }
process.stdout.write(`generated ${n}\n`);
await ctx.dispose(); await model.dispose(); await llama.dispose();
