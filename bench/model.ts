// Model benchmarks, each beside PyTorch 1.13 in eager mode (bench/ref/llama.py, tuned) measured in
// the same run, and only when PyTorch runs on a tuned BLAS (bench/ref/blas.ts):
//   - one training step (forward, cross-entropy, backward, AdamW) on configs a, b, c;
//   - prefill and KV-cache greedy decode on config b at batch 1 and 32;
//   - RL rollout sampling (temperature 1, batch 256) on the speedrun's model.
// Same weights shape, same batch, same random-token inputs, same FLOP formula (bench/flops.ts).
import { Transformer } from '../src/model/transformer.ts';
import { loadConfig, validateConfig, type ModelConfig } from '../src/model/config.ts';
import { AdamW } from '../src/optim/adamw.ts';
import { trainStep, paramGroups } from '../src/train/step.ts';
import { generate } from '../src/infer/generate.ts';
import { setThreads } from '../src/backend/native/index.ts';
import { backend } from '../src/backend/index.ts';
import { trainFlopsPerToken } from './flops.ts';
import { runTorchRef } from './ref/torch_env.ts';
import { referenceProblem, torchLabel } from './ref/blas.ts';
import { fileURLToPath } from 'node:url';
import { writeFileSync, mkdirSync } from 'node:fs';

const cfgPath = (name: string) => fileURLToPath(new URL(`../configs/${name}.json`, import.meta.url));

let refusal: string | null | undefined;

/** The PyTorch reference's result, or null (said once) when PyTorch is missing or on a reference BLAS. */
async function torchRef(args: string[]): Promise<Record<string, unknown> | null> {
  if (refusal === undefined) {
    refusal = referenceProblem('torch');
    if (refusal) console.warn(`PyTorch reference skipped: ${refusal}`);
  }
  return refusal ? null : runTorchRef(args);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export interface TrainRow { config: string; threads: number; ponderTokS: number; ponderGflops: number; torchTokS: number | null; ratio: number | null }

/** ponder's training step: median step time over `steps` after 2 warm-up steps. */
export function ponderTrainStep(cfg: ModelConfig, B: number, T: number, steps: number): number {
  const m = new Transformer(cfg, 1);
  const opt = new AdamW(paramGroups(m, 0.1));
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
  let s = 12345;
  for (let i = 0; i < B * T; i++) { s = (s * 1103515245 + 12345) >>> 0; inputs[i] = s % cfg.vocab_size; targets[i] = (s >>> 8) % cfg.vocab_size; }
  const times: number[] = [];
  for (let i = 0; i < steps + 2; i++) {
    const t0 = performance.now();
    trainStep(m, opt, [{ inputs, targets, B, T }], 3e-4);
    if (i >= 2) times.push(performance.now() - t0);
  }
  return (B * T) / (median(times) / 1000);
}

export async function benchTrain(configs = ['a', 'b', 'c'], threads = [1, 2]): Promise<TrainRow[]> {
  const rows: TrainRow[] = [];
  for (const name of configs) {
    const { model, train } = loadConfig(cfgPath(name));
    const B = train!.batch_size, T = train!.seq_len;
    for (const th of threads) {
      setThreads(th);
      const steps = name === 'c' ? 5 : 10;
      const tok = ponderTrainStep(model, B, T, steps);
      const ref = await torchRef(['train-bench', '--config', cfgPath(name), '--threads', String(th), '--steps', String(steps)]);
      const torchTok = ref ? (ref.tokens_per_s as number) : null;
      rows.push({ config: name, threads: th, ponderTokS: tok, ponderGflops: (tok * trainFlopsPerToken(model, T)) / 1e9, torchTokS: torchTok, ratio: torchTok ? tok / torchTok : null });
    }
  }
  setThreads(Math.max(...threads));
  return rows;
}

export interface DecodeRow { what: string; threads: number; batch: number; ponderPrefill: number; ponderDecode: number; torchPrefill: number | null; torchDecode: number | null; ratio: number | null }

/**
 * ponder's prefill and decode rates, timed inside one generate call as llama.py times PyTorch's:
 * prefill until the first token is chosen, decode from there to the end (N more forwards, each
 * followed by choosing the next tokens). Best of 3 calls.
 */
export function ponderDecode(cfg: ModelConfig, B: number, P: number, N: number, sample: boolean): { prefill: number; decode: number } {
  const m = new Transformer(cfg, 1);
  let s = 7;
  const prompts = Array.from({ length: B }, () => Array.from({ length: P }, () => ((s = (s * 1103515245 + 12345) >>> 0), s % cfg.vocab_size)));
  generate(m, prompts.map((p) => p.slice(0, 8)), { maxNewTokens: 4, temperature: sample ? 1 : 0 }); // warm-up
  let best = { prefill: Infinity, decode: Infinity };
  for (let r = 0; r < 3; r++) {
    let first = 0;
    const onToken = () => { first ||= performance.now(); }; // the first call: step 0's tokens are chosen
    const t0 = performance.now();
    generate(m, prompts, { maxNewTokens: N + 1, temperature: sample ? 1 : 0, seed: r, onToken });
    const t1 = performance.now();
    const pf = first - t0, dc = t1 - first;
    if (pf + dc < best.prefill + best.decode) best = { prefill: pf, decode: dc };
  }
  return { prefill: (B * P) / (best.prefill / 1000), decode: (B * N) / (best.decode / 1000) };
}

export async function benchDecode(threads = [1, 2]): Promise<DecodeRow[]> {
  const rows: DecodeRow[] = [];
  const b = loadConfig(cfgPath('b')).model;
  const speedrun = validateConfig({ vocab_size: 512, d_model: 128, n_layers: 4, n_heads: 4, n_kv_heads: 4, d_ff: 352, max_seq_len: 128 });
  const cases: { what: string; cfg: ModelConfig; path: string | null; B: number; P: number; N: number; sample: boolean }[] = [
    { what: 'config b greedy decode', cfg: b, path: cfgPath('b'), B: 1, P: 64, N: 128, sample: false },
    { what: 'config b greedy decode', cfg: b, path: cfgPath('b'), B: 32, P: 64, N: 128, sample: false },
    { what: 'RL rollouts (speedrun model, T=1 sampling)', cfg: speedrun, path: cfgPath('a'), B: 256, P: 16, N: 48, sample: true },
  ];
  for (const c of cases) {
    for (const th of threads) {
      setThreads(th);
      const p = ponderDecode(c.cfg, c.B, c.P, c.N, c.sample);
      const ref = await torchRef([c.sample ? 'sample-bench' : 'decode-bench', '--config', c.path!, '--batch', String(c.B), '--prompt', String(c.P), '--new', String(c.N), '--threads', String(th)]);
      const td = ref ? (ref.decode_tokens_per_s as number) : null;
      rows.push({ what: c.what, threads: th, batch: c.B, ponderPrefill: p.prefill, ponderDecode: p.decode, torchPrefill: ref ? (ref.prefill_tokens_per_s as number) : null, torchDecode: td, ratio: td ? p.decode / td : null });
    }
  }
  setThreads(Math.max(...threads));
  return rows;
}

const f0 = (x: number | null) => (x === null ? '-' : x.toFixed(0));
const r2 = (x: number | null) => (x === null ? '-' : `${x.toFixed(2)}x`);

export function printTrain(rows: TrainRow[]): void {
  console.log('\nTraining step (forward + backward + AdamW), tokens/s');
  const ref = `${torchLabel()} tok/s`;
  console.log(`config  threads  ponder tok/s  GFLOP/s  ${ref}  ponder/PyTorch`);
  for (const r of rows) console.log(`${r.config.padEnd(6)}  ${String(r.threads).padEnd(7)}  ${f0(r.ponderTokS).padStart(12)}  ${r.ponderGflops.toFixed(0).padStart(7)}  ${f0(r.torchTokS).padStart(ref.length)}  ${r2(r.ratio).padStart(14)}`);
}

export function printDecode(rows: DecodeRow[]): void {
  console.log(`\nGeneration with a KV cache, tokens/s (PyTorch: ${torchLabel()}; both sides timed inside one generation)`);
  console.log('what                                         threads  batch  ponder prefill  ponder decode  PyTorch prefill  PyTorch decode  decode ratio');
  for (const r of rows) console.log(`${r.what.padEnd(43)}  ${String(r.threads).padEnd(7)}  ${String(r.batch).padEnd(5)}  ${f0(r.ponderPrefill).padStart(14)}  ${f0(r.ponderDecode).padStart(13)}  ${f0(r.torchPrefill).padStart(15)}  ${f0(r.torchDecode).padStart(14)}  ${r2(r.ratio).padStart(12)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`backend ${backend().name}`);
  const what = process.argv[2] ?? 'all';
  const out: Record<string, unknown> = {};
  if (what === 'all' || what === 'train') { out.train = await benchTrain(); printTrain(out.train as TrainRow[]); }
  if (what === 'all' || what === 'decode') { out.decode = await benchDecode(); printDecode(out.decode as DecodeRow[]); }
  mkdirSync(fileURLToPath(new URL('./results', import.meta.url)), { recursive: true });
  writeFileSync(fileURLToPath(new URL(`./results/model-${what}.json`, import.meta.url)), JSON.stringify(out, null, 2));
}
