// Where Q8_0's logit error comes from, on the runner test's random model (test/infer/runner.test.ts:
// qwen2 shape, d 64, 2 layers, seed 6) over the f32 model's 128-token greedy continuation. Each
// variant's relative L2 error per position against the f32 Transformer:
//   weights      the Transformer itself with every matrix replaced by its Q8_0 dequantisation
//                (the weights' own rounding, bit-exact with ggml's dequantisation)
//   runner-f32   the runner on f32 weights (f16 KV cache, float order)
//   runner-dq    the runner on the dequantised weights as f32 (weights' rounding + f16 KV cache)
//   runner-q8    the runner on Q8_0 as it runs: activations quantised to Q8_0 blocks with f16 scales
//                as ggml does, but the LM head's to ~15 bits (headActivations 'fine', the default)
//   q8-ggml-head the same with the LM head's activations as ggml quantises them (llama.cpp's logits)
//   q8-f32scale  Q8_0 weights, activations quantised per 32 with an f32 scale (not ggml's f16)
//   q8-exact-act Q8_0 weights, activations kept f32 (the TS kernels with exact activations)
//   q8-int16-act Q8_0 weights, activations as int16 per 32 values
//   exact ROLE   Q8_0 weights, activations exact for one role's products only (ggml's Q8_0 elsewhere)
//
//   npx tsx bench/q8-accuracy.ts
import { Transformer } from '../src/model/transformer.ts';
import { validateConfig, type ModelConfig } from '../src/model/config.ts';
import { noGrad, withScope } from '../src/tensor/index.ts';
import { Runner, type RunnerOptions } from '../src/infer/runner/runner.ts';
import { weightsFromTransformer } from '../src/infer/runner/weights.ts';
import { dequantize, GGML_TYPE, quantize, rowBytes } from '../src/quant/blocks.ts';
import { quantKernels, type QuantKernels } from '../src/backend/quant.ts';
import { quantizeActivations } from '../src/backend/ts/quant.ts';
import { randn, spreadWeights } from '../test/helpers.ts';

const BASE = { vocab_size: 320, d_model: 64, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 96, max_seq_len: 256, rope_theta: 10000, norm_eps: 1e-6 };

function model(seed: number): Transformer { // as the runner test builds it
  const cfg: ModelConfig = validateConfig({ ...BASE, tie_embeddings: false, qkv_bias: true, architecture: 'Qwen2ForCausalLM' }, 'test');
  const m = new Transformer(cfg, seed);
  spreadWeights(m, seed);
  return m;
}
const ids = (n: number, V: number, seed: number) => Int32Array.from(randn(n, seed), (v, i) => Math.abs(Math.floor(v * 1000 + i * 7)) % V);
const relL2 = (a: Float32Array, b: Float32Array) => { let e = 0, n = 0; for (let i = 0; i < a.length; i++) { e += (a[i] - b[i]) ** 2; n += b[i] ** 2; } return Math.sqrt(e / n); };
const logitsOf = (m: Transformer, x: Int32Array) => noGrad(() => withScope(() => Float32Array.from(m.forward(x, 1, x.length).data)));

const V = BASE.vocab_size, m = model(6);
const seq = [...ids(8, V, 9)];
const mc = m.newCache(1, 160);
let lg = noGrad(() => withScope(() => Float32Array.from(m.forward(Int32Array.from(seq), 1, seq.length, { cache: mc, lastOnly: true }).data)));
for (let i = 0; i < 128; i++) {
  seq.push(lg.indexOf(Math.max(...lg)));
  if (i < 127) lg = noGrad(() => withScope(() => Float32Array.from(m.forward(Int32Array.of(seq[seq.length - 1]), 1, 1, { cache: mc, lastOnly: true }).data)));
}
const S = Int32Array.from(seq), want = logitsOf(m, S);

// the Transformer with dequantised Q8_0 matrices (embedding included: the runner's is Q8_0 too)
const dq = model(6);
for (const [name, p] of dq.namedParameters()) {
  if (p.shape.length === 2) p.data.set(dequantize(GGML_TYPE.Q8_0, quantize(GGML_TYPE.Q8_0, p.data), p.size));
}

type Role = 'qkv' | 'o' | 'gate/up' | 'down' | 'head';
/** The role of a product in the test model (d 64, ff 96, vocab 320): q/k/v and gate/up come as multi-products. */
const roleOf = (N: number, K: number, multi: boolean): Role => multi ? (N === 96 ? 'gate/up' : 'qkv') : N === 320 ? 'head' : K === 96 ? 'down' : 'o';

/**
 * Kernels whose products see the activations as `act` makes them (exact dot in float64), for the
 * roles in `only` (every role when absent); the others quantise to Q8_0 as ggml does.
 */
function kernelsWith(act: (x: Float32Array) => Float32Array, only?: Role[]): QuantKernels {
  const base = quantKernels();
  let multi = false;
  return { ...base, quantMatmul(type, W, N, K, X, M, Y) {
    const bytes = new Uint8Array(W.buffer, W.byteOffset, W.byteLength), rb = rowBytes(type, K);
    const a = only && !only.includes(roleOf(N, K, multi)) ? (x: Float32Array) => quantizeActivations(x, 32).values : act;
    const acts = Array.from({ length: M }, (_, r) => a(X.subarray(r * K, (r + 1) * K)));
    for (let n = 0; n < N; n++) {
      const w = dequantize(type, bytes.subarray(n * rb, (n + 1) * rb), K);
      for (let r = 0; r < M; r++) { let s = 0; for (let k = 0; k < K; k++) s += w[k] * acts[r][k]; Y[r * N + n] = s; }
    }
  }, quantMatmulMulti(X, M, K, mats) { multi = true; for (const [t, W, N, Y] of mats) this.quantMatmul(t, W, N, K, X, M, Y); multi = false; } };
}
/** Activations as int16 per 32 values (f32 scale): what a 16-bit activation kernel would see. */
function q16(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < x.length; b += 32) {
    let amax = 0;
    for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[b + i]));
    const d = amax / 32767, id = amax ? 32767 / amax : 0;
    for (let i = 0; i < 32; i++) out[b + i] = Math.round(x[b + i] * id) * d;
  }
  return out;
}
/** Q8_0-style activations with an f32 scale per 32 values. */
function q8f32(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < x.length; b += 32) {
    let amax = 0;
    for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(x[b + i]));
    const d = amax / 127, id = amax ? 127 / amax : 0;
    for (let i = 0; i < 32; i++) out[b + i] = Math.round(x[b + i] * id) * d;
  }
  return out;
}

function runnerLogits(type: number, source: Transformer, qk?: QuantKernels, opts: RunnerOptions = {}): Float32Array {
  const { config, weights } = weightsFromTransformer(source, type);
  const r = new Runner(config, weights, opts);
  if (qk) (r as unknown as { qk: QuantKernels }).qk = qk;
  return Float32Array.from(r.forward(S, 1, S.length, { cache: r.newCache(1, 160) }).data);
}

const variants: [string, Float32Array][] = [
  ['weights', logitsOf(dq, S)],
  ['runner-f32', runnerLogits(GGML_TYPE.F32, m)],
  ['runner-dq', runnerLogits(GGML_TYPE.F32, dq)],
  ['runner-q8', runnerLogits(GGML_TYPE.Q8_0, m)],
  ['q8-ggml-head', runnerLogits(GGML_TYPE.Q8_0, m, undefined, { headActivations: 'ggml' })],
  ['q8-f32scale', runnerLogits(GGML_TYPE.Q8_0, m, kernelsWith(q8f32))],
  ['q8-exact-act', runnerLogits(GGML_TYPE.Q8_0, m, kernelsWith((x) => x))],
  ['q8-int16-act', runnerLogits(GGML_TYPE.Q8_0, m, kernelsWith(q16))],
  ...(['qkv', 'o', 'gate/up', 'down', 'head'] as Role[]).map((r): [string, Float32Array] => [`exact ${r}`, runnerLogits(GGML_TYPE.Q8_0, m, kernelsWith((x) => x, [r]))]),
];
for (const [name, got] of variants) {
  const e: number[] = [];
  let agree = 0;
  for (let t = 7; t < S.length - 1; t++) {
    const g = got.subarray(t * V, (t + 1) * V), w = want.subarray(t * V, (t + 1) * V);
    e.push(relL2(g, w));
    if (g.indexOf(Math.max(...g)) === S[t + 1]) agree++;
  }
  const over = e.filter((x) => x >= 0.01).length;
  console.log(`${name.padEnd(13)} mean ${(100 * e.reduce((a, b) => a + b) / e.length).toFixed(3)}%  worst ${(100 * Math.max(...e)).toFixed(3)}%  positions >= 1%: ${over}/128  greedy ${agree}/128`);
}
