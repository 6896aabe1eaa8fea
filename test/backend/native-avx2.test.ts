// The kernels an AVX2 CPU runs (no AVX-512: most laptops, AMD before Zen 4) are other C code than an
// AVX-512 machine's (native/quant_portable.c, quant_avx2.c, quant_gemm_avx2.c, gemm.c's AVX2 tiles).
// On an AVX-512 machine the default build never compiles them, so this test builds the addon for
// x86-64-v3 (AVX2, FMA, F16C: `PONDER_MARCH=x86-64-v3 npm run build:native`) into a temporary
// directory and runs the kernel tests against it: the native GEMMs and the quantised products and
// attention against the TypeScript reference, and the runner against llama.cpp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const flags = existsSync('/proc/cpuinfo') ? (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').split(/\s+/) : [];
const has = (f: string) => flags.includes(f);
const skip = process.env.PONDER_BACKEND === 'ts' ? 'the TypeScript backend run'
  : !(has('avx2') && has('fma') && has('f16c')) ? 'this CPU has no AVX2'
  : !has('avx512f') ? 'the default build is already the AVX2 one'
  : false;

test('an AVX2 build (x86-64-v3) passes the kernel tests on this AVX-512 machine', { skip, timeout: 600_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-avx2-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(ROOT, 'binding.gyp'), join(dir, 'binding.gyp'));
  cpSync(join(ROOT, 'native'), join(dir, 'native'), { recursive: true });
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-native.mjs')],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, PONDER_MARCH: 'x86-64-v3' } });
  const addon = join(dir, 'build', 'Release', 'ponder_native.node');
  assert.ok(existsSync(addon), `the AVX2 build failed:\n${build.stdout}\n${build.stderr}`);
  const objdump = spawnSync('objdump', ['-d', addon], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (objdump.status === 0) assert.doesNotMatch(objdump.stdout, /%zmm/, 'an x86-64-v3 build has no AVX-512 instructions');

  const info = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'info'],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PONDER_BACKEND: 'native', PONDER_NATIVE_ADDON: addon } });
  assert.match(info.stdout, /^quantised\s+AVX2 /m, `ponder info with the AVX2 build:\n${info.stdout}${info.stderr}`);

  const files = ['test/backend/native.test.ts', 'test/backend/quant.test.ts', 'test/infer/runner_llama.test.ts'];
  // A test run inside a test run: without NODE_TEST_CONTEXT it reports in TAP, as on its own.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', ...files.map((f) => join(ROOT, f))],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...env, PONDER_BACKEND: 'native', PONDER_NATIVE_ADDON: addon } });
  const summary = (k: string) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(run.stdout)?.[1] ?? NaN);
  assert.equal(run.status, 0, run.stdout.split('\n').filter((l) => /^\s*not ok|Error|expected|actual/.test(l)).slice(0, 30).join('\n'));
  assert.equal(summary('fail'), 0);
  assert.ok(summary('pass') > 100, `the kernel tests ran (${summary('pass')} passed)`);
});
