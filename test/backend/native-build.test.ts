// The native build finds the running Node's headers wherever that Node is installed, and a
// missing or broken addon is reported in one line saying why and how to fix it (issue 13, defect 8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { findNodeHeaders as find, type HeaderDir } from '../../scripts/node-headers.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A Node install laid out as the official tarball and nvm have it: <prefix>/bin/node, <prefix>/include/node. */
function install(t: TestContext, headers: string[]): string {
  const prefix = mkdtempSync(join(tmpdir(), 'ponder-node-'));
  t.after(() => rmSync(prefix, { recursive: true, force: true }));
  mkdirSync(join(prefix, 'bin'));
  writeFileSync(join(prefix, 'bin', 'node'), '');
  mkdirSync(join(prefix, 'include', 'node'), { recursive: true });
  for (const h of headers) writeFileSync(join(prefix, 'include', 'node', h), '');
  return prefix;
}
const DEBIAN: HeaderDir | null = existsSync('/usr/include/node/node_api.h') && existsSync('/usr/include/node/common.gypi')
  ? { dir: '/usr', how: "Debian's /usr/include/node" } : null;

test('the headers of the running Node are found, and they are its version', () => {
  const found = find();
  assert.ok(found, `no headers for ${process.execPath}`);
  const h = readFileSync(join(found.dir, 'include', 'node', 'node_version.h'), 'utf8');
  assert.equal(h.match(/#define NODE_MAJOR_VERSION (\d+)/)?.[1], process.versions.node.split('.')[0]);
});

test('an official or nvm install: the headers beside the binary come first', (t) => {
  const prefix = install(t, ['node_api.h', 'common.gypi']);
  const found = find({ execPath: join(prefix, 'bin', 'node'), config: { variables: { node_prefix: '/usr/local' } } });
  assert.equal(found?.dir, prefix);
});

test('a binary moved away from its headers: the prefix it was built with', (t) => {
  const built = install(t, ['node_api.h', 'common.gypi']);
  const moved = install(t, []); // a bin/node with an empty include/node
  assert.equal(find({ execPath: join(moved, 'bin', 'node'), config: { variables: { node_prefix: built } } })?.dir, built);
});

test('incomplete headers are skipped; Debian\'s /usr/include/node is the last resort', (t) => {
  const partial = install(t, ['node_api.h']); // no common.gypi: node-gyp would fail on it
  assert.deepEqual(find({ execPath: join(partial, 'bin', 'node'), config: { variables: {} } }), DEBIAN);
});

/** Runs `ponder info` from the sources with the addon path pointing elsewhere; returns stderr's lines. */
function infoWithAddon(addon: string, env: NodeJS.ProcessEnv = {}): { status: number | null; warnings: string[] } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'info'],
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PONDER_BACKEND: '', PONDER_NATIVE_ADDON: addon, ...env } });
  return { status: r.status, warnings: r.stderr.split('\n').filter((l) => l.startsWith('ponder:')) };
}

test('a missing addon: one line naming the missing file and the command that builds it', () => {
  const { status, warnings } = infoWithAddon('/nonexistent/ponder_native.node');
  assert.equal(status, 0);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /TypeScript backend.*\/nonexistent\/ponder_native\.node is missing.*npm run build:native/);
});

test('an addon that does not load: one line with the loader\'s reason', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-addon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'ponder_native.node');
  writeFileSync(bad, 'not a shared object');
  const { warnings } = infoWithAddon(bad);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /does not load \(.*ponder_native\.node.*\).*npm run build:native/);
  const forced = infoWithAddon(bad, { PONDER_BACKEND: 'native' });
  assert.equal(forced.status, 1);
  assert.match(forced.warnings.join('\n'), /PONDER_BACKEND=native, but the native addon does not load/);
});

test('`ponder info` names the quantised kernels the build runs, the ones this CPU has', { skip: existsSync('/proc/cpuinfo') && process.env.PONDER_BACKEND !== 'ts' ? false : 'needs /proc/cpuinfo and the native backend' }, () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'info'], { encoding: 'utf8', timeout: 120_000 });
  const flags = (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').split(/\s+/);
  // binding.gyp builds with -march=native: VNNI and BF16 select the AVX-512 kernels, else AVX2 with FMA and F16C
  const expected = flags.includes('avx512_vnni') && flags.includes('avx512_bf16') ? /AVX-512/
    : ['avx2', 'fma', 'f16c'].every((f) => flags.includes(f)) ? /AVX2/ : /portable C/;
  assert.match(/^quantised\s+(.*)$/m.exec(r.stdout)?.[1] ?? r.stdout, expected);
});
