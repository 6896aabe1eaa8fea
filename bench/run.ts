// `npm run bench`: every benchmark in one run, each beside its reference measured in the same run
// (sgemm through numpy, PyTorch 1.13 in eager mode tuned, @huggingface/tokenizers). Prints which
// BLAS numpy and PyTorch loaded (no ratio against a reference BLAS: bench/prepare.sh installs
// OpenBLAS), the tables, and writes bench/results/bench.json. Timings move with machine load: run
// it on a quiet machine.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchMatmul, printMatmul } from './matmul.ts';
import { describeBlas, loadedBlas, torchLabel } from './ref/blas.ts';
import { benchTokenizer } from './tokenizer.ts';
import { benchTrain, benchDecode, printTrain, printDecode } from './model.ts';
import { benchInference } from './inference.ts';
import { backend } from '../src/backend/index.ts';
import { loadNativeBackend, peakGflops, setThreads } from '../src/backend/native/index.ts';

const b = backend();
console.log(`ponder bench: backend ${b.name}, ${b.threads} threads, SIMD ${b.simdWidth} lanes`);
let peak1 = NaN, peak2 = NaN;
if (loadNativeBackend()) {
  setThreads(1); peak1 = peakGflops(0.3);
  setThreads(2); peak2 = peakGflops(0.3);
}
console.log(`measured FMA peak: ${peak1.toFixed(0)} GFLOP/s on 1 thread, ${peak2.toFixed(0)} on 2`);

const blas = { numpy: loadedBlas('numpy'), torch: loadedBlas('torch') };
console.log(`BLAS loaded by the references: numpy ${describeBlas(blas.numpy)}; ${torchLabel()} ${describeBlas(blas.torch)}`);

const matmul = await benchMatmul({ seconds: 0.5 });
printMatmul(matmul, peak1, peak2);

const train = await benchTrain();
printTrain(train);
const decode = await benchDecode();
printDecode(decode);

// Each side at its best thread count: the ratio the targets are stated in.
console.log('\nBest of threads=1 and threads=2 on each side');
const best = <T>(rows: T[], key: (r: T) => string, ours: (r: T) => number, ref: (r: T) => number | null) => {
  const groups = new Map<string, T[]>();
  for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  for (const [k, rs] of groups) {
    const p = Math.max(...rs.map(ours)), t = Math.max(...rs.map((r) => ref(r) ?? NaN));
    console.log(`${k.padEnd(58)} ponder ${p.toFixed(0).padStart(7)} tok/s   ${torchLabel()} ${Number.isNaN(t) ? '      -' : t.toFixed(0).padStart(7)} tok/s   ${Number.isNaN(t) ? '' : `${(p / t).toFixed(2)}x`}`);
  }
};
best(train, (r) => `training step, config ${r.config}`, (r) => r.ponderTokS, (r) => r.torchTokS);
best(decode, (r) => `${r.what}, batch ${r.batch}`, (r) => r.ponderDecode, (r) => r.torchDecode);

const tokenizer = benchTokenizer();
console.log('\nTokenizer encode, MB/s');
for (const r of tokenizer) console.log(`${r.what.padEnd(42)} ${r.mbPerS.toFixed(2).padStart(8)}  ${r.note}`);

// Quantised inference against llama.cpp on the same GGUF files (bench/inference.ts; writes the big model files once into a temp folder).
console.log('\nInference on GGUF weights, ponder vs llama.cpp (node-llama-cpp), same file and threads');
const inference = await benchInference();

const dir = fileURLToPath(new URL('./results', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}/inference.json`, JSON.stringify({ date: new Date().toISOString(), ...inference }, null, 2));
writeFileSync(`${dir}/bench.json`, JSON.stringify({ date: new Date().toISOString(), backend: b.name, peakGflops: { t1: peak1, t2: peak2 }, blas, reference: torchLabel(), matmul, train, decode, tokenizer }, null, 2));
console.log(`\nwrote ${dir}/bench.json`);
