import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/store/db.ts';
import { getMessage, listMessages } from '../../src/store/messages.ts';
import { tempDir } from './helpers.ts';

const writer = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'stream-writer.ts');
const KILL_AFTER = 200; // chunks committed before the kill

test('a process SIGKILLed mid-stream leaves a readable database with the message marked partial', async (t) => {
  const dir = tempDir(t);
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  let lastSeen = -1, buf = '';
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })));
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const m = /^chunk (\d+)$/.exec(l);
      if (m) lastSeen = Number(m[1]);
    }
    if (lastSeen >= KILL_AFTER && child.exitCode === null && !child.killed) child.kill('SIGKILL');
  });
  const { signal } = await exit;
  assert.equal(signal, 'SIGKILL', `the writer must die by SIGKILL mid-loop, not finish (stderr: ${stderr})`);
  assert.ok(lastSeen >= KILL_AFTER);

  const db = openDatabase({ dataDir: dir });
  t.after(() => db.close());
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  const m = getMessage(db, 'msg_stream');
  assert.ok(m, 'the streamed message was inserted before its first token');
  assert.equal(m.status, 'partial');
  assert.equal(m.model, 'ponder-test');
  // Whole chunks only, in order: every commit the child reported is there, and no torn write.
  const r = m.reasoning_content!.split(' ').filter(Boolean);
  const c = m.content.split(' ').filter(Boolean);
  assert.deepEqual(r, Array.from({ length: 20 }, (_, i) => `r${i}`));
  const n = c.length;
  assert.ok(20 + n > lastSeen, `committed chunks ${20 + n} must cover the last reported ${lastSeen}`);
  assert.deepEqual(c, Array.from({ length: n }, (_, i) => `c${20 + i}`));
  assert.ok(m.content.endsWith(' '), 'the last chunk is whole');
  assert.deepEqual(listMessages(db, 'conv_crash').map((x) => [x.id, x.status]),
    [['msg_prompt', 'complete'], ['msg_stream', 'partial']]);
});
