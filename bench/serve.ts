// Load benchmark of `ponder serve` on loopback: N concurrent streaming chat completions against
// a server in a child process (so client parsing does not share the server's event loop).
// Reports p50/p95 time to first token (first reasoning or content text), total latency and
// aggregate completion tokens/s, beside a reference run of the same requests one at a time
// (no batching) on the same server. Writes bench/results/serve.json.
//
// Run: npx tsx bench/serve.ts [--checkpoint DIR | --gguf qwen2.5-0.5b:q4_k_m | --gguf FILE.gguf]
//        [--requests 50] [--max-tokens 64] [--max-active 16] [--sequential 8] [--profile DIR] [--out FILE]
// Without --checkpoint: the embedded model when it exists, else random weights of reference
// configuration (b) (d_model 256, 6 layers) with a BPE tokenizer trained on the test corpus.
// --gguf SHAPE:QUANT writes a random-weight GGUF of a real model's shape (qwen2.5-0.5b or
// r1-distill-qwen-1.5b; q4_k_m, q8_0, bf16 or f32; src/infer/runner/random-gguf.ts) with a plain
// chat template, served by the quantised runner; --gguf FILE.gguf serves that file.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Transformer } from '../src/model/transformer.ts';
import { validateConfig } from '../src/model/config.ts';
import { saveCheckpoint } from '../src/io/checkpoint.ts';
import { trainBpe } from '../src/tokenizer/index.ts';
import { EMBEDDED_MODEL } from '../src/cli/shared.ts';
import { sseData } from '../src/server/upstream.ts';
import { writeRandomQwen2, QWEN25_05B, R1_DISTILL_15B, type Quantisation } from '../src/infer/runner/random-gguf.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: {
  checkpoint: { type: 'string' }, gguf: { type: 'string' }, out: { type: 'string' }, requests: { type: 'string' }, 'max-tokens': { type: 'string' },
  'max-active': { type: 'string' }, sequential: { type: 'string' }, profile: { type: 'string' },
} });
const N = Number(values.requests ?? 50);
const MAX_TOKENS = Number(values['max-tokens'] ?? 64);
const MAX_ACTIVE = Number(values['max-active'] ?? 16);
const SEQUENTIAL = Number(values.sequential ?? 8); // requests in the one-at-a-time reference

const SHAPES = { [QWEN25_05B.name]: QWEN25_05B, [R1_DISTILL_15B.name]: R1_DISTILL_15B };
const QUANTS: Quantisation[] = ['q4_k_m', 'q8_0', 'bf16', 'f32'];
// Plain text turns (the random vocabulary has no special tokens beyond its last id, the EOS).
const PLAIN_TEMPLATE = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";

/** --gguf: a file as given, or a random one of a named shape and quantisation written to tmp. */
function ggufModel(spec: string, tmp: string): { dir: string; what: string } {
  if (spec.toLowerCase().endsWith('.gguf')) return { dir: spec, what: spec };
  const [shapeName, quant = 'q4_k_m'] = spec.split(':');
  const shape = SHAPES[shapeName];
  if (!shape || !QUANTS.includes(quant as Quantisation)) {
    throw new Error(`--gguf ${spec}: expected FILE.gguf or SHAPE:QUANT with SHAPE one of ${Object.keys(SHAPES).join(', ')} and QUANT one of ${QUANTS.join(', ')}`);
  }
  const path = join(tmp, `${shape.name}-random-${quant}.gguf`);
  writeRandomQwen2(path, shape, quant as Quantisation, { chatTemplate: PLAIN_TEMPLATE });
  return { dir: path, what: `random weights, ${shape.name} shape in ${quant} (quantised runner)` };
}

function checkpoint(tmp: string): { dir: string; what: string } {
  if (values.checkpoint && values.gguf) throw new Error('--checkpoint and --gguf exclude each other');
  if (values.gguf) return ggufModel(values.gguf, tmp);
  if (values.checkpoint) return { dir: values.checkpoint, what: values.checkpoint };
  if (existsSync(EMBEDDED_MODEL)) return { dir: EMBEDDED_MODEL, what: 'embedded model' };
  const corpus = readFileSync(join(root, 'test/fixtures/tokenizer-corpus.txt'), 'utf8').split('\n');
  const tok = trainBpe(corpus, 4096);
  const cfg = validateConfig({ vocab_size: 4096, d_model: 256, n_layers: 6, n_heads: 8, n_kv_heads: 8, d_ff: 704, max_seq_len: 512 });
  const dir = join(tmp, 'bench-b');
  saveCheckpoint(dir, new Transformer(cfg, 1), { tokenizer: tok });
  return { dir, what: 'random weights, config (b)' };
}

async function startServer(dir: string, dataDir: string): Promise<{ child: ChildProcess; url: string; model: string; runtime: string }> {
  // --profile DIR writes the server's V8 CPU profile there (open it in Chrome's DevTools).
  const prof = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve', '--model', dir, '--port', '0',
    '--data-dir', dataDir, '--max-active', String(MAX_ACTIVE), '--max-queue', String(N), '--rate-limit', '0', '--moderation', 'off'],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PONDER_LOG_LEVEL: 'warn' } });
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /serving .* at (http:\/\/\S+)\/v1/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error(`the server exited: ${err}`)));
  });
  const models = await (await fetch(`${url}/v1/models`)).json() as { data: { id: string; runtime?: string }[] };
  return { child, url, model: models.data[0].id, runtime: models.data[0].runtime ?? 'f32' };
}

interface One { ttftMs: number; totalMs: number; tokens: number }

async function one(url: string, model: string, i: number): Promise<One> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({
    model, messages: [{ role: 'user', content: `Request ${i}: what is ${i} + ${2 * i}?` }], max_tokens: MAX_TOKENS,
    temperature: 1, seed: i, stream: true, stream_options: { include_usage: true }, store: false,
  }) });
  if (res.status !== 200) throw new Error(`request ${i}: HTTP ${res.status} ${await res.text()}`);
  let ttft = -1, tokens = 0;
  for await (const data of sseData(res.body!)) {
    if (data === '[DONE]') break;
    const c = JSON.parse(data);
    if (c.error) throw new Error(`request ${i}: ${c.error.message}`);
    if (c.usage) tokens = c.usage.completion_tokens;
    const d = c.choices[0]?.delta;
    if (ttft < 0 && d && (d.reasoning_content || d.content)) ttft = performance.now() - t0;
  }
  return { ttftMs: ttft < 0 ? performance.now() - t0 : ttft, totalMs: performance.now() - t0, tokens };
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

interface RunSummary { requests: number; concurrency: number; errors: number; wallS: number; tokens: number; tokPerS: number;
  ttftP50Ms: number; ttftP95Ms: number; totalP50Ms: number; totalP95Ms: number }

function summarise(rs: One[], errors: number, wallS: number, concurrency: number): RunSummary {
  const tokens = rs.reduce((a, r) => a + r.tokens, 0);
  return { requests: rs.length + errors, concurrency, errors, wallS, tokens, tokPerS: tokens / wallS,
    ttftP50Ms: pct(rs.map((r) => r.ttftMs), 0.5), ttftP95Ms: pct(rs.map((r) => r.ttftMs), 0.95),
    totalP50Ms: pct(rs.map((r) => r.totalMs), 0.5), totalP95Ms: pct(rs.map((r) => r.totalMs), 0.95) };
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'ponder-bench-serve-'));
  let child: ChildProcess | null = null;
  try {
    const ck = checkpoint(tmp);
    const srv = await startServer(ck.dir, join(tmp, 'data'));
    child = srv.child;
    await one(srv.url, srv.model, -1); // warm-up

    // Reference: the same kind of requests one at a time (no batching).
    const seq: One[] = [];
    const s0 = performance.now();
    for (let i = 0; i < SEQUENTIAL; i++) seq.push(await one(srv.url, srv.model, 1000 + i));
    const sequential = summarise(seq, 0, (performance.now() - s0) / 1000, 1);

    const c0 = performance.now();
    const settled = await Promise.allSettled(Array.from({ length: N }, (_, i) => one(srv.url, srv.model, i)));
    const wall = (performance.now() - c0) / 1000;
    const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
    const concurrent = summarise(ok, failed.length, wall, N);

    const f = (x: number) => x.toFixed(1);
    console.log(`ponder serve on loopback: ${ck.what} (runtime ${srv.runtime}), max_tokens ${MAX_TOKENS}, ${MAX_ACTIVE} sequences batched`);
    console.log('run                       reqs  errors  wall s   tok/s   ttft p50  ttft p95  total p50  total p95 (ms)');
    for (const [name, r] of [['one at a time (reference)', sequential], [`${N} concurrent`, concurrent]] as const) {
      console.log(`${name.padEnd(25)} ${String(r.requests).padStart(4)}  ${String(r.errors).padStart(6)}  ${r.wallS.toFixed(2).padStart(6)}  ${f(r.tokPerS).padStart(6)}  ${f(r.ttftP50Ms).padStart(8)}  ${f(r.ttftP95Ms).padStart(8)}  ${f(r.totalP50Ms).padStart(9)}  ${f(r.totalP95Ms).padStart(9)}`);
    }
    console.log(`aggregate throughput, concurrent / one at a time: ${(concurrent.tokPerS / sequential.tokPerS).toFixed(2)}x`);
    for (const e of failed.slice(0, 3)) console.log(`error: ${(e.reason as Error).message}`);

    const out = values.out ?? join(root, 'bench/results/serve.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(`${out}.tmp`, JSON.stringify({ model: ck.what, runtime: srv.runtime, maxTokens: MAX_TOKENS, maxActive: MAX_ACTIVE, sequential, concurrent,
      speedup: concurrent.tokPerS / sequential.tokPerS, date: new Date().toISOString() }, null, 2) + '\n');
    renameSync(`${out}.tmp`, out);
    console.log(`wrote ${out}`);
    if (failed.length) process.exitCode = 1;
  } finally {
    child?.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
