// Quantised GEMM throughput per weight type and matrix shape (what prompt processing spends its
// time on): Y (M, N) = X (M, K) · Wᵀ through the native kernels, W random blocks of the type, on
// the panel GEMM (native/quant_gemm.c) and on the row kernels (native/quant.c) in the same run,
// interleaved repeat by repeat so that load from other processes hits both alike. Reports GFLOP/s
// (2·M·N·K per product): best and median of the repeats.
//
//   npx tsx bench/quant-gemm.ts [--shape 1.5b|0.5b] [--m 512] [--threads 1] [--reps 7] [--types q4_k,q6_k,q8_0]
import { parseArgs } from 'node:util';
import { setThreads } from '../src/backend/native/index.ts';
import { loadNativeQuant, setQuantGemmMinTokens } from '../src/backend/native/quant.ts';
import { randomBlocks } from '../src/infer/runner/random-gguf.ts';
import { GGML_TYPE } from '../src/quant/blocks.ts';

const { values } = parseArgs({ options: {
  shape: { type: 'string' }, m: { type: 'string' }, threads: { type: 'string' }, reps: { type: 'string' }, types: { type: 'string' },
} });
const q = loadNativeQuant();
if (!q) throw new Error('the native addon is not built (npm run build:native)');
setThreads(Number(values.threads ?? 1));
const M = Number(values.m ?? 512), reps = Number(values.reps ?? 7);
const d = values.shape === '0.5b' ? 896 : 1536, ff = values.shape === '0.5b' ? 4864 : 8960;
const shapes: [string, number, number][] = [['q/o', d, d], ['k/v', 256, d], ['gate/up', ff, d], ['down', d, ff]];
const TYPES: Record<string, number> = { q4_k: GGML_TYPE.Q4_K, q5_k: GGML_TYPE.Q5_K, q6_k: GGML_TYPE.Q6_K, q8_0: GGML_TYPE.Q8_0, q4_0: GGML_TYPE.Q4_0, q5_0: GGML_TYPE.Q5_0, bf16: GGML_TYPE.BF16 };
const types = (values.types ?? 'q4_k,q6_k,q8_0').split(',');
const KQUANT = new Set<number>([GGML_TYPE.Q4_K, GGML_TYPE.Q5_K, GGML_TYPE.Q6_K]);

const X = Float32Array.from({ length: M * Math.max(d, ff) }, (_, i) => Math.sin(i * 0.37) * 0.5);
const fmt = (g: number[]) => `${g[g.length - 1].toFixed(0).padStart(4)} best ${g[g.length >> 1].toFixed(0).padStart(4)} median`;
for (const t of types) {
  const type = TYPES[t];
  for (const [name, N, K] of shapes) {
    if (KQUANT.has(type) && K % 256 !== 0) continue;
    const W = randomBlocks(type, N * K);
    const Y = new Float32Array(M * N);
    const time = (minTokens: number) => {
      setQuantGemmMinTokens(minTokens);
      const t0 = performance.now();
      q.quantMatmul(type, W, N, K, X, M, Y);
      return 2 * M * N * K / ((performance.now() - t0) / 1000) / 1e9;
    };
    time(8); time(1 << 30);
    const panel: number[] = [], rows: number[] = [];
    for (let r = 0; r < reps; r++) { panel.push(time(8)); rows.push(time(1 << 30)); }
    setQuantGemmMinTokens(8);
    panel.sort((a, b) => a - b); rows.sort((a, b) => a - b);
    console.log(`${t.padEnd(6)} ${name.padEnd(8)} ${String(N).padStart(5)}x${String(K).padEnd(5)} M=${M} GFLOP/s: panel ${fmt(panel)} | rows ${fmt(rows)} | panel/rows ${(panel[reps >> 1] / rows[reps >> 1]).toFixed(2)}x`);
  }
}
