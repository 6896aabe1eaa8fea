// bin/ponder.js runs the CLI in its own process (issue 13, defect 2): `ponder --help` is one
// process, and SIGTERM to the PID the user started ends everything it started. Every node
// process started under the test records its PID through a --require preload in NODE_OPTIONS
// (inherited by children), so a wrapper that spawns the real CLI shows up as a second PID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'ponder.js');

/** An environment whose node processes record their PIDs, and the distinct PIDs recorded so far. */
function recordingPids(t: TestContext): { env: NodeJS.ProcessEnv; pids: () => number[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-bin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'pids'), preload = join(dir, 'record-pid.cjs');
  writeFileSync(file, '');
  writeFileSync(preload, `require('node:fs').appendFileSync(${JSON.stringify(file)}, process.pid + '\\n');\n`);
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preload}`.trim() };
  // A PID can appear twice: loader hooks (tsx) run the preload again in their own thread.
  return { env, pids: () => [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number))] };
}

const alive = (pid: number) => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

test('`ponder --help` prints the commands from one process', (t) => {
  const { env, pids } = recordingPids(t);
  const r = spawnSync(process.execPath, [BIN, '--help'], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /usage: ponder <command>/);
  assert.match(r.stdout, /\n {2}serve +serve the OpenAI-compatible chat API/);
  assert.deepEqual(pids(), [r.pid], 'the CLI ran in a process other than the one started');
});

test('SIGTERM to `ponder chat` (waiting for input) ends it and leaves no process behind', async (t) => {
  const { env, pids } = recordingPids(t);
  const child = spawn(process.execPath, [BIN, 'chat', '--max-tokens', '1'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  // Runs after recordingPids' cleanup (hooks run in order), so it kills by the child's PID.
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let out = '', err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })));
  // Ready: the model is loaded and the command waits on stdin (kept open).
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; if (out.includes('you> ')) resolve(); });
    child.on('exit', () => reject(new Error(`chat exited before its prompt: ${err}`)));
  });
  assert.deepEqual(pids(), [child.pid], 'the CLI runs in a process other than the one started');
  child.kill('SIGTERM');
  const { signal } = await Promise.race([exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('SIGTERM did not end ponder in 20 s')), 20_000).unref())]);
  assert.equal(signal, 'SIGTERM');
  assert.deepEqual(pids().filter(alive), [], 'a process outlived the one the signal was sent to');
});

test('the compiled CLI is used only while no source is newer than it', (t) => {
  // scripts/cli-dist.mjs decides between dist/ and the sources; a fake checkout exercises it.
  const root = mkdtempSync(join(tmpdir(), 'ponder-dist-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const run = () => spawnSync(process.execPath, ['--input-type=module', '-e',
    `import { distProblem } from ${JSON.stringify(join(ROOT, 'scripts', 'cli-dist.mjs'))}; console.log(JSON.stringify(distProblem(${JSON.stringify(root)})));`],
  { encoding: 'utf8' });
  const problem = () => JSON.parse(run().stdout) as string | null;
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  writeFileSync(join(root, 'src', 'cli', 'main.ts'), '');
  utimesSync(join(root, 'src', 'cli', 'main.ts'), 1000, 1000); // seconds
  assert.match(problem() ?? '', /not compiled/);
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(root, 'dist', 'cli', 'main.js'), '');
  writeFileSync(join(root, 'dist', 'BUILT'), String(2000 * 1000)); // ms
  assert.equal(problem(), null);
  utimesSync(join(root, 'src', 'cli', 'main.ts'), 3000, 3000);
  assert.match(problem() ?? '', /newer than dist/);
  rmSync(join(root, 'src'), { recursive: true });
  assert.equal(problem(), null, 'an installed package without src/ trusts its dist/');
});

const distCurrent = () => spawnSync(process.execPath, ['--input-type=module', '-e',
  `import { distProblem } from ${JSON.stringify(join(ROOT, 'scripts', 'cli-dist.mjs'))}; process.exit(distProblem() === null ? 0 : 1);`]).status === 0;

test('the compiled CLI lists the same commands as the sources (its manifest is right)',
  { skip: distCurrent() ? false : 'dist/ is missing or older than src/ (npm run build:cli)' }, () => {
    const compiled = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), '--help'], { encoding: 'utf8', timeout: 60_000 });
    const sources = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), '--help'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(compiled.status, 0, compiled.stderr);
    assert.equal(sources.status, 0, sources.stderr);
    assert.equal(compiled.stdout, sources.stdout);
  });
