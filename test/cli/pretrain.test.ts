// `ponder pretrain` end to end on a small text file: the tokenizer trained on it has fewer tokens
// than the config's vocab_size (512), so the samples printed after training must stay inside the
// tokenizer's vocabulary (before, a sampled id beyond it crashed the command after training).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const skip = process.env.PONDER_BACKEND === 'ts' ? 'trains in a child process: native backend only' : undefined;
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const CONFIG = fileURLToPath(new URL('../../configs/a.json', import.meta.url));

test('pretrain on a small text: trains, checkpoints, and prints samples from the trained tokenizer', { skip, timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-pretrain-cli-'));
  try {
    // Two files, two documents: a sample continues the first words of each.
    const texts = [join(dir, 'a.txt'), join(dir, 'b.txt')], out = join(dir, 'run');
    for (const t of texts) writeFileSync(t, Array.from({ length: 100 }, (_, i) => `The boy went to the park. The girl went to the farm number ${i}.`).join('\n'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'pretrain', '--config', CONFIG, '--data', ...texts, '--steps', '3', '--batch', '2',
      '--seq-len', '32', '--out', out, '--samples', '3'], { encoding: 'utf8', env: { ...process.env, PONDER_THREADS: '1' } });
    assert.equal(r.status, 0, r.stderr);
    const trained = /trained a tokenizer of (\d+) tokens/.exec(r.stderr);
    assert.ok(trained && Number(trained[1]) < 512, r.stderr);
    assert.equal(r.stdout.match(/^sample \d: The boy went/gm)?.length, 2, r.stdout);
    assert.ok(existsSync(join(out, 'checkpoint')) && existsSync(join(out, 'tokenizer.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
