// Stopping `ponder serve` with SIGTERM (what a process manager does) or SIGINT (Ctrl-C): the PID
// the user started stops accepting, ends an open stream cleanly (an error event, then [DONE]),
// closes the database (SQLite folds the WAL back and removes it) and exits 0, leaving nothing on
// the port. Run both as the sources (one node process with tsx's loader) and as a user runs it,
// `node bin/ponder.js serve` (which must then be one process, not a parent of the server).
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/store/db.ts';
import { getMessage } from '../../src/store/messages.ts';
import { sseData } from '../../src/server/upstream.ts';
import { MODEL_ID, tempDir, testCheckpoint } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HEAVY = process.env.PONDER_BACKEND === 'ts' ? { skip: 'the slow model streams too slowly on the TypeScript backend' } : {};

/** Starts `ponder serve` in its own process group (so the test can clean up whatever it leaves). */
async function serve(t: TestContext, argv0: string[], dataDir: string): Promise<{ child: ChildProcess; url: string; port: number }> {
  const child = spawn(process.execPath, [...argv0, 'serve', '--checkpoint', testCheckpoint('slow'), '--port', '0', '--data-dir', dataDir,
    '--moderation', 'off', '--shutdown-grace-ms', '100', '--flush-ms', '5'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  t.after(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* the group is gone: nothing was left */ } });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /serving .* at (http:\/\/\S+)\/v1/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error(`the server exited: ${stderr}`)));
  });
  return { child, url, port: Number(new URL(url).port) };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

async function stopsCleanly(t: TestContext, argv0: string[], signal: NodeJS.Signals): Promise<void> {
  const dataDir = tempDir(t);
  const { child, url, port } = await serve(t, argv0, dataDir);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, sig) => r({ code, signal: sig })));
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'think long' }], max_tokens: 1800, temperature: 1, seed: 4, stream: true, thinking: { type: 'enabled' } }) });
  assert.equal(res.status, 200);
  const msgId = res.headers.get('x-ponder-message-id')!;
  const events: string[] = [];
  for await (const data of sseData(res.body!)) {
    events.push(data);
    if (events.length === 10) process.kill(child.pid!, signal); // the PID the user started
    if (data === '[DONE]') break;
  }
  assert.ok(events.length > 10, `the stream ended after ${events.length} events, before the signal`);
  // A clean end: the stream says why it stops, then [DONE].
  assert.equal(events.at(-1), '[DONE]');
  assert.equal(JSON.parse(events.at(-2)!).error?.code, 'server_shutdown');
  const { code } = await exited;
  assert.equal(code, 0, 'the server exits 0');
  assert.equal(await portOpen(port), false, 'no process is left holding the port');
  assert.equal(existsSync(join(dataDir, 'ponder.db-wal')), false, 'the database was closed (its WAL folded back)');
  const db = openDatabase({ dataDir });
  t.after(() => db.close());
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  assert.equal(getMessage(db, msgId)!.status, 'partial', 'the interrupted answer is kept, marked partial');
}

// The three servers run side by side: each spends most of its time starting up.
describe('stopping ponder serve', { concurrency: 3 }, () => {
  test('SIGTERM to `ponder serve` (the sources, one process): clean stream end, database closed, exit 0, port free', HEAVY, async (t) => {
    await stopsCleanly(t, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')], 'SIGTERM');
  });

  test('SIGINT (Ctrl-C) stops it the same way', HEAVY, async (t) => {
    await stopsCleanly(t, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')], 'SIGINT');
  });

  test('SIGTERM to `node bin/ponder.js serve`, as a user or a service manager starts it', HEAVY, async (t) => {
    await stopsCleanly(t, [join(ROOT, 'bin/ponder.js')], 'SIGTERM');
  });
});
