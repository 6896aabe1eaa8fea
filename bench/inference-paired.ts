// Generation speed of ponder and llama.cpp measured in turns, in one process: both load the same
// GGUF file, then take turns generating blocks of tokens (ponder 16, llama.cpp 16, ponder 16 ...),
// each block timed on its own. Two separate runs of 128 tokens each can see different weather on a
// shared machine: other processes and other virtual machines' memory traffic come in bursts that
// last seconds, and one burst moved a whole run's rate by 20-50% (bench/results/inference-1.5b-bf16-quiet.json).
// Adjacent blocks see nearly the same weather, so the ratio of each pair of blocks is a paired
// measurement; the median over pairs is the row's ratio and the spread is reported with it.
// Prompt processing takes turns the same way (whole 512-token prompts). Resident memory is not
// measured here (two models in one process): bench/inference-worker.ts does that.
//
//   npx tsx bench/inference-paired.ts --model FILE --threads 2 --vocab V [--prompt 512] [--gen 128] [--block 16] [--rounds 2]
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { setThreads } from '../src/backend/native/index.ts';
import { createRunner } from '../src/infer/runner/index.ts';
import { argmax } from '../src/infer/sampling.ts';
import { median, openLlama, promptIds } from './inference-common.ts';

const { values } = parseArgs({ options: {
  model: { type: 'string' }, threads: { type: 'string' }, vocab: { type: 'string' },
  prompt: { type: 'string' }, gen: { type: 'string' }, block: { type: 'string' }, rounds: { type: 'string' },
} });
const path = values.model!, threads = Number(values.threads ?? 2), V = Number(values.vocab ?? 151936);
const P = Number(values.prompt ?? 512), G = Number(values.gen ?? 128), B = Number(values.block ?? 16), rounds = Number(values.rounds ?? 2);
// Idle time between turns, untimed: long enough for the side that just ran to park its threads
// (both spin a little after their last kernel) before the other side starts.
const PAUSE_MS = 30;

export interface PairedResult {
  /** Per turn of prompt processing (one whole prompt each side): tok/s. */
  prompt: { ponder: number; llama: number; ratio: number }[];
  /** Per pair of generation blocks: ms per token of each side, and llama.cpp's ÷ ponder's. */
  blocks: { ponderMs: number; llamaMs: number; ratio: number }[];
  ppRatio: number; tgRatio: number; ppRatioRange: [number, number]; tgRatioRange: [number, number];
  ponderTgTokS: number; llamaTgTokS: number; ponderPpTokS: number; llamaPpTokS: number;
}

const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];

/** ponder's side: a prompt turn (fresh cache) and generation blocks continuing from it. */
function ponderSide() {
  setThreads(threads);
  const { runner } = createRunner(path);
  let cache = runner.newCache(1, P + G + 8);
  let logits: Float32Array = new Float32Array(0);
  const tok = new Int32Array(1);
  return {
    prompt(ids: number[]): number {
      cache = runner.newCache(1, P + G + 8);
      const t0 = performance.now();
      logits = runner.forward(Int32Array.from(ids), 1, ids.length, { cache, lastOnly: true }).data;
      return performance.now() - t0;
    },
    block(n: number): number {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        tok[0] = argmax(logits);
        logits = runner.decodeStep(tok, [cache]).data;
      }
      return performance.now() - t0;
    },
  };
}

/** llama.cpp's side through node-llama-cpp, the same calls as bench/inference-worker.ts. */
async function llamaSide() {
  type Token = import('node-llama-cpp').Token;
  const { ll, model, ctx, seq } = await openLlama(path, threads, P, G);
  let next: Token = 0 as Token;
  return {
    async prompt(ids: number[]): Promise<number> {
      await seq.clearHistory();
      const t0 = performance.now();
      await seq.evaluateWithoutGeneratingNewTokens(ids.slice(0, -1) as Token[]);
      const ms = performance.now() - t0;
      next = ids[ids.length - 1] as Token;
      return ms;
    },
    /** n tokens: each evaluates the token before it (the block's first, the last one sampled). */
    async block(n: number): Promise<number> {
      let k = 0;
      const t0 = performance.now();
      for await (const t of seq.evaluate([next], { temperature: 0 })) {
        next = t;
        if (++k >= n) break;
      }
      return performance.now() - t0;
    },
    async dispose() { await ctx.dispose(); await model.dispose(); await ll.dispose(); },
  };
}

async function main(): Promise<PairedResult> {
  const ids = promptIds(P, V);
  const ponder = ponderSide(), llama = await llamaSide();
  // warm-up: every weight page touched by both, and both sides' threads started
  ponder.prompt(ids.slice(0, 32)); ponder.block(4);
  await llama.prompt(ids.slice(0, 32)); await llama.block(4);

  const prompt: PairedResult['prompt'] = [];
  for (let r = 0; r < rounds; r++) { // alternate which side goes first
    let p = 0, l = 0;
    if (r % 2 === 0) { p = ponder.prompt(ids); await sleep(PAUSE_MS); l = await llama.prompt(ids); }
    else { l = await llama.prompt(ids); await sleep(PAUSE_MS); p = ponder.prompt(ids); }
    await sleep(PAUSE_MS);
    prompt.push({ ponder: (P / p) * 1000, llama: ((P - 1) / l) * 1000, ratio: (P / p) / ((P - 1) / l) });
  }
  const blocks: PairedResult['blocks'] = [];
  for (let b = 0; b < G / B; b++) {
    let p = 0, l = 0;
    if (b % 2 === 0) { p = ponder.block(B); await sleep(PAUSE_MS); l = await llama.block(B); }
    else { l = await llama.block(B); await sleep(PAUSE_MS); p = ponder.block(B); }
    await sleep(PAUSE_MS);
    blocks.push({ ponderMs: p / B, llamaMs: l / B, ratio: l / p });
  }
  await llama.dispose();
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    prompt, blocks,
    ppRatio: median(prompt.map((x) => x.ratio)), tgRatio: median(blocks.map((x) => x.ratio)),
    ppRatioRange: range(prompt.map((x) => x.ratio)), tgRatioRange: range(blocks.map((x) => x.ratio)),
    ponderTgTokS: (blocks.length * 1000) / sum(blocks.map((x) => x.ponderMs)), llamaTgTokS: (blocks.length * 1000) / sum(blocks.map((x) => x.llamaMs)),
    ponderPpTokS: median(prompt.map((x) => x.ponder)), llamaPpTokS: median(prompt.map((x) => x.llama)),
  };
}

process.stdout.write(`${JSON.stringify(await main())}\n`);
process.exit(0);
