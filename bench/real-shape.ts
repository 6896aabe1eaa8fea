// Decode speed and memory of ponder on a random-weight model with DeepSeek-R1-Distill-Qwen-1.5B's
// shape (Qwen2: d 1536, 28 layers, 12 heads / 2 kv of 128, ffn 8960, vocab 151936, untied head),
// for the README's "Run a real model". The full model is 7.1 GB of float32; to fit a shared
// machine this builds it with fewer layers (default 2 and 4) and extrapolates: time per token =
// head and embedding part + 28 x one layer's part, from the difference of the two runs.
//   PONDER_THREADS=1 npx tsx bench/real-shape.ts [layersA layersB] [tokens]
import { Transformer } from '../src/model/transformer.ts';
import { validateConfig } from '../src/model/config.ts';
import { generate } from '../src/infer/generate.ts';
import { backend } from '../src/backend/index.ts';

const [la, lb, n] = [Number(process.argv[2] ?? 2), Number(process.argv[3] ?? 4), Number(process.argv[4] ?? 12)];
const shape = (layers: number) => validateConfig({
  architecture: 'Qwen2ForCausalLM', vocab_size: 151936, d_model: 1536, n_layers: layers, n_heads: 12, n_kv_heads: 2, d_ff: 8960,
  max_seq_len: 4096, rope_theta: 10000, norm_eps: 1e-6, tie_embeddings: false, qkv_bias: true,
});

/** Median milliseconds per decoded token after a 32-token prompt (greedy). */
function msPerToken(layers: number): { ms: number; params: number } {
  const m = new Transformer(shape(layers), 1);
  const prompt = Array.from({ length: 32 }, (_, i) => (i * 7919) % 151936);
  const times: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    generate(m, [prompt], { maxNewTokens: 1, temperature: 0 });
    const t1 = performance.now();
    generate(m, [prompt], { maxNewTokens: 1 + n, temperature: 0 });
    times.push((performance.now() - t1 - (t1 - t0)) / n);
  }
  times.sort((a, b) => a - b);
  return { ms: times[1], params: m.paramCount() };
}

const a = msPerToken(la), b = msPerToken(lb);
const perLayer = (b.ms - a.ms) / (lb - la), fixed = a.ms - la * perLayer;
const full = fixed + 28 * perLayer;
console.log(`backend ${backend().name}, ${backend().threads} thread(s)`);
console.log(`${la} layers: ${a.ms.toFixed(1)} ms/token (${(a.params / 1e6).toFixed(0)}M params); ${lb} layers: ${b.ms.toFixed(1)} ms/token (${(b.params / 1e6).toFixed(0)}M)`);
console.log(`28 layers (1.78B params, extrapolated): ${full.toFixed(0)} ms/token = ${(1000 / full).toFixed(2)} tokens/s`);
