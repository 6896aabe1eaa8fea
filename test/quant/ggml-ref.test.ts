// Bit-exactness against ggml itself: ggml-quants.c (the reference quantisers and dequantisers)
// from the llama.cpp source node-llama-cpp ships (llama/gitRelease.bundle, the source of the
// binary the other GGUF tests run), compiled here with the system C compiler, quantises and
// dequantises the same rows as ponder's TypeScript: every byte and every f32 bit must match
// (the types ponder only reads: their decoding of ggml's encoding).
// Skipped when the bundle, git or a C compiler is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dequantize, quantize, rowBytes, GGML_TYPE, blockFormat } from '../../src/quant/blocks.ts';
import { randn } from '../helpers.ts';

const BUNDLE = fileURLToPath(new URL('../../node_modules/node-llama-cpp/llama/gitRelease.bundle', import.meta.url));
const FILES = ['ggml/src/ggml-quants.c', 'ggml/src/ggml-quants.h', 'ggml/src/ggml-common.h', 'ggml/src/ggml-impl.h',
  'ggml/src/ggml-cpu/ggml-cpu-impl.h', 'ggml/include/ggml.h', 'ggml/include/gguf.h', 'ggml/include/ggml-cpu.h',
  'ggml/include/ggml-backend.h', 'ggml/include/ggml-alloc.h'];
const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const skip = !existsSync(BUNDLE) ? 'node-llama-cpp\'s source bundle is not installed' : !has('git') ? 'no git' : !has('cc') ? 'no C compiler' : false;

// Reads n floats from stdin; writes the reference encoding then its decoding.
const DRIVER = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include "ggml-quants.h"
#include "ggml-common.h"
void ggml_abort(const char * f, int l, const char * fmt, ...) { (void)f; (void)l; (void)fmt; abort(); }
size_t ggml_row_size(enum ggml_type t, int64_t ne) { (void)t; (void)ne; return 0; }
size_t ggml_type_size(enum ggml_type t) { (void)t; return 0; }
const char * ggml_type_name(enum ggml_type t) { (void)t; return ""; }
int main(int argc, char ** argv) {
  int type = atoi(argv[1]); long n = atol(argv[2]);
  float * x = malloc(n * 4), * y = malloc(n * 4);
  if (fread(x, 4, n, stdin) != (size_t)n) return 3;
  size_t bytes; void * q;
  switch (type) {
    case 2:  bytes = n / 32 * sizeof(block_q4_0); q = malloc(bytes); quantize_row_q4_0_ref(x, q, n); dequantize_row_q4_0(q, y, n); break;
    case 3:  bytes = n / 32 * sizeof(block_q4_1); q = malloc(bytes); quantize_row_q4_1_ref(x, q, n); dequantize_row_q4_1(q, y, n); break;
    case 6:  bytes = n / 32 * sizeof(block_q5_0); q = malloc(bytes); quantize_row_q5_0_ref(x, q, n); dequantize_row_q5_0(q, y, n); break;
    case 7:  bytes = n / 32 * sizeof(block_q5_1); q = malloc(bytes); quantize_row_q5_1_ref(x, q, n); dequantize_row_q5_1(q, y, n); break;
    case 8:  bytes = n / 32 * sizeof(block_q8_0); q = malloc(bytes); quantize_row_q8_0_ref(x, q, n); dequantize_row_q8_0(q, y, n); break;
    case 12: bytes = n / 256 * sizeof(block_q4_K); q = malloc(bytes); quantize_row_q4_K_ref(x, q, n); dequantize_row_q4_K(q, y, n); break;
    case 13: bytes = n / 256 * sizeof(block_q5_K); q = malloc(bytes); quantize_row_q5_K_ref(x, q, n); dequantize_row_q5_K(q, y, n); break;
    case 14: bytes = n / 256 * sizeof(block_q6_K); q = malloc(bytes); quantize_row_q6_K_ref(x, q, n); dequantize_row_q6_K(q, y, n); break;
    default: return 2;
  }
  fwrite(q, 1, bytes, stdout); fwrite(y, 4, n, stdout);
  return 0;
}`;

/**
 * Builds the reference program once per bundle (cached in the temp folder, keyed by the bundle's
 * size and time: unpacking and compiling take several seconds) and returns its path.
 */
function referenceProgram(): string {
  const st = statSync(BUNDLE);
  const key = createHash('sha256').update(DRIVER).digest('hex').slice(0, 12);
  const cached = join(tmpdir(), `ponder-ggml-ref-${st.size}-${Math.floor(st.mtimeMs)}-${key}`);
  if (existsSync(cached)) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'ponder-ggml-ref-'));
  try {
    execFileSync('git', ['init', '-q', 'repo'], { cwd: dir, stdio: 'ignore' });
    execFileSync('git', ['fetch', '-q', BUNDLE, '+HEAD:refs/heads/src'], { cwd: join(dir, 'repo'), stdio: 'ignore' });
    for (const f of FILES) {
      const out = join(dir, 'src', f.replace(/^ggml\/(src|include)\//, ''));
      execFileSync('mkdir', ['-p', join(out, '..')]);
      writeFileSync(out, execFileSync('git', ['show', `src:${f}`], { cwd: join(dir, 'repo'), maxBuffer: 1 << 26 }));
    }
    writeFileSync(join(dir, 'src', 'driver.c'), DRIVER);
    // -O2 without -march: plain SSE2 floats, no fused multiply-add (the reference's arithmetic as written).
    execFileSync('cc', ['-O2', '-std=c11', '-I', join(dir, 'src'), join(dir, 'src', 'driver.c'), join(dir, 'src', 'ggml-quants.c'), '-lm', '-o', join(dir, 'ref')], { stdio: 'ignore' });
    renameSync(join(dir, 'ref'), cached);
    return cached;
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('ponder\'s blocks are bit-exact with ggml-quants.c', { skip }, () => {
  const ref = referenceProgram();
  const n = 256 * 32;
  const readOnly = new Set<number>([GGML_TYPE.Q4_1, GGML_TYPE.Q5_1, GGML_TYPE.Q5_K]); // ponder reads, does not write
  for (const type of [GGML_TYPE.Q8_0, GGML_TYPE.Q4_0, GGML_TYPE.Q4_1, GGML_TYPE.Q5_0, GGML_TYPE.Q5_1, GGML_TYPE.Q4_K, GGML_TYPE.Q5_K, GGML_TYPE.Q6_K]) {
    for (const [seed, scale] of [[1, 1], [2, 0.02], [3, 1e-4]]) {
      const x = randn(n, seed * 100 + type, scale);
      for (let i = 0; i < n; i += 97) x[i] = 0;
      x.fill(0, 512, 768); // an all-zero super-block
      const out = execFileSync(ref, [String(type), String(n)], { input: Buffer.from(x.buffer), maxBuffer: 1 << 26 });
      const nb = rowBytes(type, n), name = blockFormat(type).name;
      const cBytes = out.subarray(0, nb), cValues = new Uint32Array(out.buffer.slice(out.byteOffset + nb, out.byteOffset + nb + 4 * n));
      if (!readOnly.has(type)) assert.deepEqual(Buffer.from(quantize(type, x)), cBytes, `${name} quantisation (scale ${scale})`);
      const ours = new Uint32Array(dequantize(type, cBytes, n).buffer);
      const bad = ours.findIndex((v, i) => v !== cValues[i]);
      assert.equal(bad, -1, `${name} dequantisation (scale ${scale}) differs first at value ${bad}`);
    }
  }
});
