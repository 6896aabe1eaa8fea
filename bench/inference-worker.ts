// One side of the inference benchmark, in its own process so that its resident memory is its
// own: `--side ponder` (the quantised runner) or `--side llama` (llama.cpp through node-llama-cpp),
// on one GGUF file and thread count. Prints one JSON line: prompt processing and generation
// tokens/s, resident memory, and (ponder, --profile) where a decode step's time goes.
//
//   npx tsx bench/inference-worker.ts --side ponder|llama --model FILE --threads 2 --vocab V [--prompt 512] [--gen 128] [--profile]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setThreads } from '../src/backend/native/index.ts';
import { createRunner } from '../src/infer/runner/index.ts';
import { quantKernels } from '../src/backend/quant.ts';
import { argmax, sampleToken } from '../src/infer/sampling.ts';
import { median, openLlama, promptIds } from './inference-common.ts';
import { Rng } from '../src/tensor/random.ts';

const { values } = parseArgs({ options: {
  side: { type: 'string' }, model: { type: 'string' }, threads: { type: 'string' },
  prompt: { type: 'string' }, gen: { type: 'string' }, profile: { type: 'boolean' }, vocab: { type: 'string' },
} });
const side = values.side, path = values.model!, threads = Number(values.threads ?? 2);
const P = Number(values.prompt ?? 512), G = Number(values.gen ?? 128);

/** VmRSS and VmHWM of this process, bytes. */
function memory(): { rss: number; peak: number } {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

async function ponder(): Promise<Record<string, unknown>> {
  setThreads(threads);
  const base = memory().rss;
  const { runner, model, bytesPerToken } = createRunner(path);
  const ids = promptIds(P, model.config.vocab);
  // warm-up: touches every weight page (the file is then in the page cache for both sides)
  const warm = runner.newCache(1, 64);
  let lg = runner.forward(Int32Array.from(ids.slice(0, 32)), 1, 32, { cache: warm, lastOnly: true }).data;
  for (let i = 0; i < 4; i++) lg = runner.decodeStep(Int32Array.of(argmax(lg)), [warm]).data;

  const cache = runner.newCache(1, P + G + 8);
  const pcpu0 = process.cpuUsage();
  let t0 = performance.now();
  lg = runner.forward(Int32Array.from(ids), 1, P, { cache, lastOnly: true }).data;
  const pp = (performance.now() - t0) / 1000;
  const pcpu = process.cpuUsage(pcpu0);
  const steps: number[] = [];
  const tok = new Int32Array(1);
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  for (let i = 0; i < G; i++) {
    const s0 = performance.now();
    tok[0] = argmax(lg);
    lg = runner.decodeStep(tok, [cache]).data;
    steps.push(performance.now() - s0);
  }
  const tg = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mem = memory();
  const out: Record<string, unknown> = {
    ppTokS: P / pp, tgTokS: G / tg, ppCpuMsPerToken: (pcpu.user + pcpu.system) / 1000 / P, cpuMsPerToken: (cpu.user + cpu.system) / 1000 / G, msPerToken: median(steps), rss: mem.rss, peakRss: mem.peak, baselineRss: base,
    fileBytes: model.fileBytes, kvBytes: cache.bytes, bytesPerToken, mapped: model.mapped,
  };
  if (values.profile) out.profile = profile(runner.weights, model.config, cache, median(steps), lg);
  return out;
}

/**
 * Where a decode step's time goes, each part timed alone at the step's context length: the
 * weight products (streaming every matrix once, activations quantised), attention over the cache,
 * sampling (the engine's sampler at temperature 0.7, top-p 0.95), and the rest (norms, RoPE,
 * residuals, JavaScript) as the difference from the measured step.
 */
function profile(w: ReturnType<typeof createRunner>['runner']['weights'], c: ReturnType<typeof createRunner>['model']['config'],
  cache: ReturnType<ReturnType<typeof createRunner>['runner']['newCache']>, stepMs: number, logits: Float32Array): Record<string, number> {
  const qk = quantKernels(), reps = 16;
  const mats = w.layers.flatMap((l) => [l.q, l.k, l.v, l.o, l.gate, l.up, l.down]).concat([w.output]);
  const xs = new Float32Array(Math.max(c.d, c.ff, c.heads * c.headDim)).fill(0.01), ys = new Float32Array(Math.max(c.vocab, c.ff));
  const time = (fn: () => void): number => {
    const ts: number[] = [];
    for (let r = 0; r < reps; r++) { const t0 = performance.now(); fn(); ts.push(performance.now() - t0); }
    return median(ts);
  };
  const products = time(() => { for (const m of mats) qk.quantMatmul(m.type, m.bytes, m.N, m.K, xs.subarray(0, m.K), 1, ys); });
  const head = time(() => qk.quantMatmul(w.output.type, w.output.bytes, w.output.N, w.output.K, xs.subarray(0, c.d), 1, ys));
  const q = new Float32Array(c.heads * c.headDim).fill(0.01), o = new Float32Array(c.heads * c.headDim);
  const pos = cache.length - 1;
  const attention = time(() => { for (let l = 0; l < c.layers; l++) qk.attentionF16(q, cache.k[l], cache.v[l], 1, c.heads, c.kvHeads, c.headDim, pos, 0.125, o); });
  const rng = new Rng(1), probs = new Float32Array(c.vocab), order = new Int32Array(c.vocab);
  const sampling = time(() => { sampleToken(logits, { temperature: 0.7, topP: 0.95 }, rng, probs, order); });
  return { stepMs, weightProductsMs: products, lmHeadMs: head, attentionMs: attention, samplingMs: sampling,
    otherMs: stepMs - products - attention, contextLength: cache.length };
}

async function llama(): Promise<Record<string, unknown>> {
  const base = memory().rss;
  type Token = import('node-llama-cpp').Token;
  const { ll, model, ctx, seq } = await openLlama(path, threads, P, G);
  const ids = promptIds(P, Number(values.vocab ?? 151936)) as Token[];
  await seq.evaluateWithoutGeneratingNewTokens(ids.slice(0, 32));
  let n = 0;
  for await (const t of seq.evaluate([ids[32]], { temperature: 0 })) { void t; if (++n >= 4) break; }
  await seq.clearHistory();

  const pcpu0 = process.cpuUsage();
  let t0 = performance.now();
  await seq.evaluateWithoutGeneratingNewTokens(ids);
  const pp = (performance.now() - t0) / 1000;
  const pcpu = process.cpuUsage(pcpu0);
  n = 0;
  const steps: number[] = [];
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  let s0 = t0;
  for await (const t of seq.evaluate([ids[0]], { temperature: 0 })) {
    void t;
    const s1 = performance.now();
    steps.push(s1 - s0);
    s0 = s1;
    if (++n >= G) break;
  }
  const tg = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mem = memory();
  await ctx.dispose(); await model.dispose(); await ll.dispose();
  return { ppTokS: P / pp, tgTokS: G / tg, ppCpuMsPerToken: (pcpu.user + pcpu.system) / 1000 / P, cpuMsPerToken: (cpu.user + cpu.system) / 1000 / G, msPerToken: median(steps), rss: mem.rss, peakRss: mem.peak, baselineRss: base };
}

const result = side === 'ponder' ? await ponder() : side === 'llama' ? await llama() : (() => { throw new Error('--side ponder|llama'); })();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
