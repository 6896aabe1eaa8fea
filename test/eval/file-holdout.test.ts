// `ponder rl --task file.jsonl` and `ponder eval --task file.jsonl` agree on which problems are
// held out: RL never draws one, eval scores only those (and says how many).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { trainBpe } from '../../src/tokenizer/index.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { problemKey, splitProblems } from '../../src/tasks/heldout.ts';
import { writeJsonl } from '../../src/tasks/jsonl.ts';

const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', env: { ...process.env, PONDER_THREADS: '1' } });

test('a problem file: rl trains only on its training part, eval scores only the held-out part', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-filehold-'));
  try {
    const problems = Array.from({ length: 40 }, (_, i) => ({ question: `What is ${i + 10} + ${i}?`, answer: `${2 * i + 10}`, task: 'addition' }));
    const path = join(dir, 'mine.jsonl');
    writeJsonl(path, problems);
    const tok = trainBpe(problems.map((p) => `${p.question} ${p.answer}`), 280);
    const model = new Transformer(validateConfig({ vocab_size: Math.max(tok.vocabSize, 64), d_model: 32, n_layers: 1, n_heads: 2, n_kv_heads: 2, d_ff: 64, max_seq_len: 64 }), 1);
    const ck = join(dir, 'ck');
    saveCheckpoint(ck, model, { tokenizer: tok });
    const { heldOut } = splitProblems(problems);
    const held = new Set(heldOut.map(problemKey));
    assert.equal(held.size, 8);

    const rl = cli('rl', '--checkpoint', ck, '--task', path, '--steps', '6', '--prompts', '8', '--group', '2', '--max-tokens', '2', '--out', join(dir, 'rl'), '--no-dynamic-sampling');
    assert.equal(rl.status, 0, rl.stderr);
    assert.match(rl.stderr, /holding out 8 of 40 problems/);
    const trained = readFileSync(join(dir, 'rl', 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { question: string });
    assert.ok(trained.length >= 6);
    assert.ok(trained.every((s) => !held.has(problemKey(s))), 'RL drew a held-out problem');

    const ev = cli('eval', '--checkpoint', ck, '--task', path, '--mode', 'off', '--max-tokens', '2', '--json');
    assert.equal(ev.status, 0, ev.stderr);
    assert.match(ev.stderr, /scoring 8 of the 8 problems held out of 40/);
    assert.equal((JSON.parse(ev.stdout) as { problems: number }[])[0]!.problems, 8);
    const all = cli('eval', '--checkpoint', ck, '--task', path, '--mode', 'off', '--max-tokens', '2', '--json', '--all');
    assert.equal((JSON.parse(all.stdout) as { problems: number }[])[0]!.problems, 40);
    assert.match(all.stderr, /including any that `ponder rl` trained on/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
