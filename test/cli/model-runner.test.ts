// The terminal commands on a .gguf go through the quantised runner: `ponder info` reports what it
// holds (the mapped file and an f16 KV cache per token), `ponder generate` answers as the float32
// model of the same weights does, and a type the runner refuses (Q4_1) falls back to float32 with
// one line saying so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeR1Folder } from '../server/model-folder.ts';
import { readHfFolder } from '../../src/io/hf.ts';
import { writeGgufModel } from '../../src/io/gguf-model.ts';
import { openGguf } from '../../src/io/gguf.ts';
import { writeGguf } from '../../src/io/gguf-write.ts';
import { GGML_TYPE, f32ToF16, rowBytes } from '../../src/quant/blocks.ts';
import type { ModelConfig } from '../../src/model/config.ts';

const skip = process.env.PONDER_BACKEND === 'ts' ? 'spawns the CLI several times: native backend only' : undefined;
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'ponder-cli-runner-'));
const folder = join(root, 'tiny-r1-qwen2'), gguf = join(root, 'tiny-f32.gguf'), q8 = join(root, 'tiny-q8_0.gguf'), q41 = join(root, 'tiny-q4_1.gguf');
let config: ModelConfig;

/** The f32 file with one matrix rewritten as Q4_1 blocks (a type ponder reads but the runner does not multiply). */
function withQ4_1(src: string, dst: string): void {
  const g = openGguf(src);
  const tensors = g.tensors.map((x) => {
    if (x.name !== 'blk.0.attn_q.weight') return { name: x.name, shape: x.shape, type: x.type, data: g.readBytes(x) };
    const data = new Uint8Array(rowBytes(GGML_TYPE.Q4_1, x.nelements));
    for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) & 0xff;
    const put = (at: number, v: number) => { const h = f32ToF16(v); data[at] = h & 0xff; data[at + 1] = h >> 8; };
    for (let b = 0; b < data.length; b += 20) { put(b, 0.02); put(b + 2, -0.15); }
    return { name: x.name, shape: x.shape, type: GGML_TYPE.Q4_1, data };
  });
  writeGguf(dst, { metadata: [...g.metadata.entries], tensors });
  g.close();
}

before(() => {
  if (skip) return;
  ({ config } = writeR1Folder(folder));
  writeGgufModel(gguf, readHfFolder(folder), 'f32');
  writeGgufModel(q8, readHfFolder(folder), 'q8_0');
  withQ4_1(gguf, q41);
});
after(() => rmSync(root, { recursive: true, force: true }));

function ponder(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PONDER_MODEL: '', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('info --model x.gguf: the runner\'s memory is the mapped file plus an f16 KV cache per token', { skip }, () => {
  const r = ponder(['info', '--model', q8]);
  assert.equal(r.status, 0, r.stderr);
  const line = (key: string) => r.stdout.split('\n').find((l) => l.startsWith(key)) ?? '';
  assert.match(line('dtype'), /^dtype +q8_0 on disk; used in place by the quantised runner/);
  // 2 layers x 2 kv heads x head 8 x (k, v) x 2 bytes (f16) = 128 B per token.
  const kv = 2 * config.n_layers * config.n_kv_heads * (config.d_model / config.n_heads) * 2;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const file = statSync(q8).size;
  assert.equal(line('memory'), `memory       file ${mib(file)} + KV cache ${(kv / 1024).toFixed(1)} KiB/token: ${mib(file + kv * 512)} at 512 tokens, ${mib(file + kv * 512)} at the full context (one sequence)`);
  const f32 = ponder(['info', '--model', folder], { PONDER_RUNTIME: 'f32' });
  assert.match(f32.stdout, /dtype +f32 on disk; float32 in memory/);
});

test('generate --model x.gguf: the runner\'s greedy reply is the float32 model\'s; Q4_1 falls back to float32 with one line', { skip }, () => {
  const args = ['--max-tokens', '30', '--temperature', '0', 'What is 12 * 34?'];
  const want = ponder(['generate', '--model', folder, ...args], { PONDER_RUNTIME: 'f32' });
  assert.equal(want.status, 0, want.stderr);
  assert.ok(want.stdout.trim().length > 0);
  const got = ponder(['generate', '--model', gguf, ...args]);
  assert.equal(got.status, 0, got.stderr);
  assert.equal(got.stdout, want.stdout);
  assert.doesNotMatch(got.stderr, /float32 instead/);

  const fb = ponder(['generate', '--model', q41, ...args]);
  assert.equal(fb.status, 0, fb.stderr);
  const notes = fb.stderr.split('\n').filter((l) => /float32 instead/.test(l));
  assert.equal(notes.length, 1, fb.stderr);
  assert.match(notes[0], /Q4_1 weights are not supported by the quantised runner.*; loading it as float32 instead$/);
});
