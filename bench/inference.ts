// Inference benchmark: ponder's quantised runner against llama.cpp (node-llama-cpp 3.21.1) on the
// same GGUF files, same thread count, in the same run. Random-weight qwen2 models with the shapes
// of Qwen2.5-0.5B and DeepSeek-R1-Distill-Qwen-1.5B in Q8_0, Q4_K_M and BF16 (speed does not
// depend on the values). Per model: prompt processing tok/s (a 512-token prompt in one batch),
// generation tok/s (128 tokens, batch 1, greedy), resident memory against file + KV cache, and
// each decode as a fraction of the memory-bandwidth limit (bytes read per token ÷ the best
// bandwidth a STREAM triad or a read-only sum reached in this run: measured before the first model
// and again after each, because a shared machine's bandwidth moves by tens of percent in minutes).
// Each side runs in its own process (bench/inference-worker.ts), so its resident memory is its
// own. Writes bench/results/inference.json.
//
//   npx tsx bench/inference.ts [--shapes 0.5b,1.5b] [--quants q8_0,q4_k_m,bf16] [--threads 2]
//                              [--prompt 512] [--gen 128] [--dir /tmp/ponder-bench-gguf]
//                              [--repeats 1] [--out bench/results/inference.json] [--note TEXT]
// With --repeats N each model runs N times, llama.cpp and ponder alternating, and the ratios are
// per repeat (median, with min and max): on a shared machine a repeat's two sides see similar load.
// The GGUF files are written once into --dir and reused (0.5b: ~0.4-1 GB each; 1.5b: ~1-3.6 GB).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeRandomQwen2, QWEN25_05B, R1_DISTILL_15B, type ModelShape, type Quantisation } from '../src/infer/runner/random-gguf.ts';
import { memoryBandwidth } from '../src/backend/native/quant.ts';
import { kvCacheBytes } from '../src/infer/runner/cache.ts';
import type { PairedResult } from './inference-paired.ts';
import { median } from './inference-common.ts';

const SHAPES: Record<string, ModelShape> = { '0.5b': QWEN25_05B, '1.5b': R1_DISTILL_15B };
const worker = fileURLToPath(new URL('./inference-worker.ts', import.meta.url));
const pairedWorker = fileURLToPath(new URL('./inference-paired.ts', import.meta.url));

export interface InferenceOptions {
  shapes?: string[];
  quants?: Quantisation[];
  threads?: number;
  prompt?: number;
  gen?: number;
  dir?: string;
  repeats?: number;
}

interface Side { ppTokS: number; tgTokS: number; rss: number; peakRss: number; baselineRss: number; [k: string]: unknown }

export interface InferenceRow {
  shape: string; quant: Quantisation; threads: number; fileBytes: number; kvBytes: number; bytesPerToken: number;
  ponder: Side; llama: Side | { error: string };
  ppRatio: number | null; tgRatio: number | null;
  /** Per repeat (llama.cpp, then ponder, each in its own process): the two ratios; the row's ratios are their medians. */
  repeats: { ppRatio: number | null; tgRatio: number | null; tgStepRatio: number | null; ponderPp: number; ponderTg: number; llamaPp: number | null; llamaTg: number | null;
    ponderStepMs: number; llamaStepMs: number | null }[];
  ppRatioRange: [number, number] | null; tgRatioRange: [number, number] | null;
  /**
   * Generation compared by each side's median time per token (llama.cpp's ÷ ponder's): a burst of
   * load from outside (another process, another VM's memory traffic) lengthens some steps of one
   * side only and moves the mean rate of 128 tokens by tens of percent, the median hardly.
   */
  tgStepRatio: number | null; tgStepRatioRange: [number, number] | null;
  /** Both engines in one process taking turns (bench/inference-paired.ts): the ratios least moved by load from outside. */
  paired: PairedResult | { error: string };
  /** Generation tok/s ÷ (triad bandwidth ÷ bytes per token), each side. */
  bandwidthFraction: { ponder: number; llama: number | null };
  /** Resident memory while generating ÷ (file + KV cache), ponder (1.15 is the target's limit). */
  memoryRatio: number;
  /** The same without the process's own resident memory before the model was loaded (Node, V8, tsx). */
  memoryRatioAboveBaseline: number;
  /** llama.cpp's, measured the same way (its worker process, also Node under tsx, after generating; same denominator). */
  llamaMemoryRatio: number | null;
  llamaMemoryRatioAboveBaseline: number | null;
}

function run(side: 'ponder' | 'llama', path: string, shape: ModelShape, o: Required<InferenceOptions>, profile: boolean): Side {
  const args = ['--import', 'tsx', worker, '--side', side, '--model', path, '--threads', String(o.threads),
    '--prompt', String(o.prompt), '--gen', String(o.gen), '--vocab', String(shape.vocab), ...(profile ? ['--profile'] : [])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, PONDER_THREADS: String(o.threads) }, maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`${side} on ${path} failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as Side;
}

/** The turn-taking measurement of one file (both engines in one process). */
function runPaired(path: string, shape: ModelShape, o: Required<InferenceOptions>): PairedResult | { error: string } {
  const args = ['--import', 'tsx', pairedWorker, '--model', path, '--threads', String(o.threads),
    '--prompt', String(o.prompt), '--gen', String(o.gen), '--vocab', String(shape.vocab)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, PONDER_THREADS: String(o.threads) }, maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) return { error: `exit ${r.status}: ${r.stderr.slice(-1000)}` };
  return JSON.parse(line) as PairedResult;
}

/** The GGUF of shape × quant in dir, written (atomically) when missing. */
function modelFile(dir: string, shape: ModelShape, quant: Quantisation): string {
  const path = join(dir, `${shape.name}-${quant}.gguf`);
  if (!existsSync(path)) {
    const t0 = performance.now();
    writeRandomQwen2(path, shape, quant);
    console.log(`wrote ${path} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  return path;
}

export async function benchInference(opts: InferenceOptions = {}): Promise<{ bandwidth: Record<string, number>; bandwidthSamples: Bandwidth[]; rows: InferenceRow[] }> {
  const o: Required<InferenceOptions> = {
    shapes: opts.shapes ?? ['0.5b', '1.5b'], quants: opts.quants ?? ['q8_0', 'q4_k_m', 'bf16'], threads: opts.threads ?? 2,
    prompt: opts.prompt ?? 512, gen: opts.gen ?? 128, dir: opts.dir ?? join(tmpdir(), 'ponder-bench-gguf'), repeats: opts.repeats ?? 1,
  };
  mkdirSync(o.dir, { recursive: true });
  const bandwidth = measureBandwidth();
  const samples = [bandwidth];
  console.log(`memory bandwidth, GB/s: triad ${bandwidth.triad1.toFixed(1)} (1 thread), ${bandwidth.triad2.toFixed(1)} (2); read ${bandwidth.read1.toFixed(1)}, ${bandwidth.read2.toFixed(1)}`);
  const rows: InferenceRow[] = [];
  for (const key of o.shapes) {
    const shape = SHAPES[key];
    if (!shape) throw new Error(`unknown shape ${key} (${Object.keys(SHAPES).join(', ')})`);
    for (const quant of o.quants) {
      const path = modelFile(o.dir, shape, quant);
      let llama: Side | { error: string } = { error: 'not run' };
      let ponder: Side | null = null;
      const repeats: InferenceRow['repeats'] = [];
      for (let r = 0; r < o.repeats; r++) {
        try { llama = run('llama', path, shape, o, false); } catch (e) { llama = { error: (e as Error).message }; }
        ponder = run('ponder', path, shape, o, key === '1.5b' && r === 0);
        const l = 'ppTokS' in llama ? llama : null;
        const ponderStepMs = ponder.msPerToken as number, llamaStepMs = l ? l.msPerToken as number : null;
        repeats.push({ ppRatio: l ? ponder.ppTokS / l.ppTokS : null, tgRatio: l ? ponder.tgTokS / l.tgTokS : null,
          tgStepRatio: llamaStepMs !== null ? llamaStepMs / ponderStepMs : null,
          ponderPp: ponder.ppTokS, ponderTg: ponder.tgTokS, llamaPp: l?.ppTokS ?? null, llamaTg: l?.tgTokS ?? null, ponderStepMs, llamaStepMs });
      }
      if (!ponder) throw new Error('--repeats must be at least 1');
      const paired = runPaired(path, shape, o);
      const ok = 'ppTokS' in llama;
      const bytesPerToken = ponder.bytesPerToken as number, fileBytes = ponder.fileBytes as number;
      const kvBytes = kvCacheBytes({ layers: shape.layers, kvHeads: shape.kvHeads, headDim: shape.d / shape.heads } as never, o.prompt + o.gen + 8);
      const known = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
      const pp = known(repeats.map((x) => x.ppRatio)), tg = known(repeats.map((x) => x.tgRatio)), step = known(repeats.map((x) => x.tgStepRatio));
      const row: InferenceRow = {
        shape: shape.name, quant, threads: o.threads, fileBytes, kvBytes, bytesPerToken, ponder, llama,
        ppRatio: pp.length ? median(pp) : null, tgRatio: tg.length ? median(tg) : null, repeats,
        ppRatioRange: pp.length ? [Math.min(...pp), Math.max(...pp)] : null, tgRatioRange: tg.length ? [Math.min(...tg), Math.max(...tg)] : null,
        tgStepRatio: step.length ? median(step) : null, tgStepRatioRange: step.length ? [Math.min(...step), Math.max(...step)] : null, paired,
        bandwidthFraction: { ponder: NaN, llama: null }, // set below, against the run's best bandwidth
        memoryRatio: ponder.rss / (fileBytes + kvBytes),
        memoryRatioAboveBaseline: (ponder.rss - ponder.baselineRss) / (fileBytes + kvBytes),
        llamaMemoryRatio: ok ? (llama as Side).rss / (fileBytes + kvBytes) : null,
        llamaMemoryRatioAboveBaseline: ok ? ((llama as Side).rss - (llama as Side).baselineRss) / (fileBytes + kvBytes) : null,
      };
      rows.push(row);
      printRow(row);
      samples.push(measureBandwidth());
    }
  }
  const limit = Math.max(...samples.map((b) => o.threads >= 2 ? Math.max(b.triad2, b.read2) : Math.max(b.triad1, b.read1)));
  console.log(`decode against the best bandwidth of the run, ${limit.toFixed(1)} GB/s (${o.threads >= 2 ? 2 : 1} thread${o.threads >= 2 ? 's' : ''}; ` +
    `${samples.length} measurements, ${f(Math.min(...samples.map((b) => b.read2)))}-${f(Math.max(...samples.map((b) => b.read2)))} GB/s read with 2):`);
  for (const r of rows) {
    const l = 'ppTokS' in r.llama ? r.llama : null;
    r.bandwidthFraction = { ponder: r.ponder.tgTokS * r.bytesPerToken / (limit * 1e9), llama: l ? l.tgTokS * r.bytesPerToken / (limit * 1e9) : null };
    console.log(`${r.shape.padEnd(22)}${r.quant.padEnd(8)} ${(r.bandwidthFraction.ponder * 100).toFixed(0)}% / ${l ? (r.bandwidthFraction.llama! * 100).toFixed(0) : '-'}% of bandwidth (ponder / llama.cpp)`);
  }
  return { bandwidth: { ...bandwidth, limit }, bandwidthSamples: samples, rows };
}

type Bandwidth = { triad1: number; triad2: number; read1: number; read2: number };

/** GB/s of the STREAM triad and of a read-only sum, on 1 and 2 threads (3 arrays of 256 MiB: far beyond the L3 cache). */
function measureBandwidth(): Bandwidth {
  const n = 1 << 25;
  return {
    triad1: memoryBandwidth('triad', n, 1, 5), triad2: memoryBandwidth('triad', n, 2, 5),
    read1: memoryBandwidth('read', n, 1, 5), read2: memoryBandwidth('read', n, 2, 5),
  };
}

const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

function printRow(r: InferenceRow): void {
  const l = 'ppTokS' in r.llama ? r.llama : null;
  console.log(`${r.shape.padEnd(22)}${r.quant.padEnd(8)} pp ${f(r.ponder.ppTokS).padStart(7)} vs ${f(l?.ppTokS).padStart(7)} tok/s (${f(r.ppRatio, 2)}x)` +
    `   tg ${f(r.ponder.tgTokS).padStart(6)} vs ${f(l?.tgTokS).padStart(6)} tok/s (${f(r.tgRatio, 2)}x)` +
    `   RSS ${(r.ponder.rss / 2 ** 20).toFixed(0)} MiB = ${f(r.memoryRatio, 2)}x (file + KV), ${f(r.memoryRatioAboveBaseline, 2)}x above Node's own` +
    ` (llama.cpp ${l ? (l.rss / 2 ** 20).toFixed(0) : '-'} MiB = ${f(r.llamaMemoryRatio, 2)}x, ${f(r.llamaMemoryRatioAboveBaseline, 2)}x)`);
  // CPU time per token: comparable even when other processes share the cores
  console.log(`${''.padEnd(30)} CPU ms/token: prompt ${f(r.ponder.ppCpuMsPerToken as number, 2)} vs ${f(l?.ppCpuMsPerToken as number | undefined, 2)}, ` +
    `generation ${f(r.ponder.cpuMsPerToken as number, 2)} vs ${f(l?.cpuMsPerToken as number | undefined, 2)}`);
  if (r.tgStepRatio !== null) console.log(`${''.padEnd(30)} median ms/token: ${f(r.ponder.msPerToken as number, 1)} vs ${f(l?.msPerToken as number | undefined, 1)} (${f(r.tgStepRatio, 2)}x` +
    `${r.repeats.length > 1 ? `, repeats ${f(r.tgStepRatioRange?.[0], 2)}-${f(r.tgStepRatioRange?.[1], 2)}` : ''})`);
  if ('tgRatio' in r.paired) console.log(`${''.padEnd(30)} taking turns in one process: prompt ${f(r.paired.ppRatio, 2)}x (${f(r.paired.ppRatioRange[0], 2)}-${f(r.paired.ppRatioRange[1], 2)}), ` +
    `generation ${f(r.paired.tgRatio, 2)}x (blocks ${f(r.paired.tgRatioRange[0], 2)}-${f(r.paired.tgRatioRange[1], 2)}); ${f(r.paired.ponderTgTokS)} vs ${f(r.paired.llamaTgTokS)} tok/s`);
  else console.log(`  paired run failed: ${r.paired.error.slice(0, 300)}`);
  if (r.repeats.length > 1) console.log(`${''.padEnd(30)} ${r.repeats.length} repeats: prompt ratio ${f(r.ppRatioRange?.[0], 2)}-${f(r.ppRatioRange?.[1], 2)}, generation ratio ${f(r.tgRatioRange?.[0], 2)}-${f(r.tgRatioRange?.[1], 2)}`);
  if (!l) console.log(`  llama.cpp failed: ${(r.llama as { error: string }).error.slice(0, 300)}`);
  const p = r.ponder.profile as Record<string, number> | undefined;
  if (p) console.log(`  per token (ms): step ${f(p.stepMs, 2)} = weight products ${f(p.weightProductsMs, 2)} (LM head ${f(p.lmHeadMs, 2)}) + attention ${f(p.attentionMs, 2)} + other ${f(p.otherMs, 2)}; sampling (engine, top-p) ${f(p.samplingMs, 2)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: {
    shapes: { type: 'string' }, quants: { type: 'string' }, threads: { type: 'string' }, prompt: { type: 'string' }, gen: { type: 'string' }, dir: { type: 'string' },
    repeats: { type: 'string' }, out: { type: 'string' }, note: { type: 'string' },
  } });
  const res = await benchInference({
    shapes: values.shapes?.split(','), quants: values.quants?.split(',') as Quantisation[] | undefined,
    threads: values.threads ? Number(values.threads) : undefined, prompt: values.prompt ? Number(values.prompt) : undefined,
    gen: values.gen ? Number(values.gen) : undefined, dir: values.dir, repeats: values.repeats ? Number(values.repeats) : undefined,
  });
  const out = values.out ?? fileURLToPath(new URL('./results/inference.json', import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify({ date: new Date().toISOString(), ...(values.note ? { note: values.note } : {}), ...res }, null, 2));
  renameSync(tmp, out);
  console.log(`wrote ${out}`);
}
