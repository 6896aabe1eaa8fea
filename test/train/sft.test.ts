// Instruction tuning on chat JSONL: the loss mask covers exactly the assistant's tokens, packing
// keeps conversations whole, bad lines are reported by number, and a run learns, validates,
// checkpoints and resumes (refusing a checkpoint made with another tokenizer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { trainBpe, encodeChat, THINK_ID, END_THINK_ID, EOS_ID, BOS_ID, USER_ID, ASSISTANT_ID } from '../../src/tokenizer/index.ts';
import { parseChatJsonl, encodeSft, packSequences, trainSft, type Conversation } from '../../src/train/sft.ts';
import { MetricsLog } from '../../src/train/metrics.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const line = (msgs: unknown[]) => JSON.stringify({ messages: msgs });
const QA = [['hi', 'hello there'], ['how are you', 'fine, thanks'], ['what is red', 'a colour'], ['bye', 'goodbye friend']];
const TEXT = QA.map(([q, a], i) => line([{ role: 'user', content: q }, { role: 'assistant', content: a, reasoning_content: i % 2 ? 'think a bit' : undefined }])).join('\n');
const tok = trainBpe([TEXT, 'think a bit'], 300);
const cfg = validateConfig({ vocab_size: 300, d_model: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 64, max_seq_len: 48 });

function tmp(t: { after: (f: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'ponder-sft-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('the loss mask: assistant tokens after <|assistant|> (think tags, reasoning, answer, end), nothing else', () => {
  const c: Conversation = { line: 1, messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo', reasoning: 'hm' }] };
  const s = encodeSft(tok, c);
  assert.deepEqual(s.ids, encodeChat(tok, c.messages), 'the same ids as the chat template');
  const a = s.ids.indexOf(ASSISTANT_ID);
  assert.deepEqual([...s.learn].map((x, i) => (x ? i : -1)).filter((i) => i >= 0), Array.from({ length: s.ids.length - a - 1 }, (_, i) => a + 1 + i));
  assert.equal(s.ids[a + 1], THINK_ID);
  assert.equal(s.ids[s.ids.length - 1], EOS_ID);
  const m = encodeSft(tok, c, true);
  const hm = tok.encode('hm').length;
  assert.equal(m.learn.reduce((x, y) => x + y, 0), s.learn.reduce((x, y) => x + y, 0) - hm, '--mask-reasoning drops exactly the reasoning tokens');
  assert.equal(m.learn[s.ids.indexOf(END_THINK_ID)], 1, 'the closing tag is still learnt');
  assert.equal(s.learn[s.ids.indexOf(USER_ID) + 1], 0);
});

test('packing: whole conversations per row, targets only where the assistant speaks', () => {
  const { conversations } = parseChatJsonl(TEXT);
  const seqs = conversations.map((c) => encodeSft(tok, c));
  const p = packSequences(seqs, 60);
  const learnt = seqs.reduce((s, q) => s + q.learn.reduce((a, b) => a + b, 0), 0);
  assert.equal(p.learnt, learnt);
  assert.ok(p.rows < seqs.length, 'short conversations share rows');
  let n = 0;
  for (let i = 0; i < p.targets.length; i++) if (p.targets[i] >= 0) { n++; if (p.inputs[i + 1] !== 0) assert.equal(p.targets[i], p.inputs[i + 1], 'a target is the next input (or the row’s last token)'); }
  assert.equal(n, learnt);
});

test('bad lines are counted and reported by line number', () => {
  const text = [
    line([{ role: 'user', content: 'ok' }, { role: 'assistant', content: 'fine' }]),
    line([{ role: 'tool', content: 'x' }, { role: 'assistant', content: 'y' }]),
    line([{ role: 'user', content: '   ' }, { role: 'assistant', content: 'y' }]),
    '{not json',
    '',
    line([{ role: 'user', content: 'only a question' }]),
    line([{ role: 'user', content: 'q' }, { role: 'assistant', content: '', reasoning_content: 'just thought' }]),
  ].join('\n');
  const r = parseChatJsonl(text);
  assert.deepEqual(r.conversations.map((c) => c.line), [1, 7]);
  assert.deepEqual(r.bad.map((b) => b.line), [2, 3, 4, 6]);
  assert.match(r.bad[0].reason, /unknown role "tool"/);
  assert.match(r.bad[1].reason, /messages\[0\] \(user\) is empty/);
  assert.match(r.bad[2].reason, /not JSON/);
  assert.match(r.bad[3].reason, /no assistant turn/);
});

test('a run learns the answers, logs validation loss, skips too-long conversations, and resumes', (t) => {
  const dir = tmp(t);
  const { conversations } = parseChatJsonl(TEXT + '\n' + line([{ role: 'user', content: 'x'.repeat(200) }, { role: 'assistant', content: 'y' }]));
  const model = new Transformer(cfg, 5);
  const o = { tokenizer: tok, conversations, validation: conversations.slice(0, 2), outDir: dir, batchSize: 4, seqLen: 48, lr: 1e-2, evalEvery: 5, checkpointEvery: 5, progress: false, seed: 2 };
  const first = trainSft({ ...o, model, steps: 10 });
  assert.deepEqual(first.tooLong.map((b) => b.line), [5]);
  const rows = MetricsLog.read(join(dir, 'metrics.jsonl'));
  assert.equal(rows.length, 10);
  assert.ok(typeof rows[4].val_loss === 'number');
  const more = trainSft({ ...o, model: new Transformer(cfg, 99), steps: 60, resume: true });
  assert.equal(more.steps, 60);
  assert.equal(MetricsLog.read(join(dir, 'metrics.jsonl')).length, 60);
  assert.ok(more.valLoss < (rows[4].val_loss as number) * 0.5, `validation loss fell: ${rows[4].val_loss} -> ${more.valLoss}`);
  assert.ok(existsSync(join(dir, 'loss.svg')));
  // A checkpoint written with another tokenizer is refused, not silently reinterpreted.
  const other = trainBpe(['completely different text here'], 280);
  saveCheckpoint(join(dir, 'checkpoint'), new Transformer(cfg, 1), { tokenizer: other, state: { step: 1, rng: [1, 2, 3, 4] } });
  assert.throws(() => trainSft({ ...o, model, steps: 70, resume: true }), /another tokenizer/);
});

test('ponder sft: reports bad lines by number and saves the tuned model', (t) => {
  const dir = tmp(t);
  const base = join(dir, 'base');
  saveCheckpoint(base, new Transformer(cfg, 3), { tokenizer: tok });
  const data = join(dir, 'chat.jsonl');
  writeFileSync(data, TEXT + '\n' + line([{ role: 'robot', content: 'x' }]) + '\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'sft', '--checkpoint', base, '--data', data, '--out', join(dir, 'out'), '--steps', '3', '--batch', '2'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /skipped 1 bad lines .*\n\s+line 5: messages\[0\] has unknown role "robot"/);
  assert.ok(existsSync(join(dir, 'out', 'final', 'model.safetensors')));
});

test('a prose share keeps raw-text prediction: the mixed run continues a pretraining sentence, the chat-only run does not', (t) => {
  const { conversations } = parseChatJsonl(TEXT);
  const sentence = tok.encode('the boy went to the park');
  const prose = Array.from({ length: 20 }, () => [BOS_ID, ...sentence, EOS_ID]);
  const o = { tokenizer: tok, conversations, validation: conversations.slice(0, 2), batchSize: 8, seqLen: 48, lr: 1e-2, progress: false, seed: 3, steps: 120 };
  const chatOnly = trainSft({ ...o, model: new Transformer(cfg, 5), outDir: tmp(t) });
  const mixed = trainSft({ ...o, model: new Transformer(cfg, 5), outDir: tmp(t), prose, proseShare: 0.25 });
  // Mean log-probability of the sentence's tokens after BOS, as raw text.
  const logprob = (m: Transformer) => {
    const ids = [BOS_ID, ...sentence];
    const logits = m.forward(Int32Array.from(ids), 1, ids.length).data, V = cfg.vocab_size;
    let sum = 0;
    for (let i = 0; i + 1 < ids.length; i++) {
      const row = logits.subarray(i * V, (i + 1) * V);
      let mx = -Infinity, z = 0;
      for (const v of row) mx = Math.max(mx, v);
      for (const v of row) z += Math.exp(v - mx);
      sum += row[ids[i + 1]] - mx - Math.log(z);
    }
    return sum / (ids.length - 1);
  };
  const [lc, lm] = [logprob(chatOnly.model), logprob(mixed.model)];
  assert.ok(lm > -0.3 && lc < -3, `mean log-prob of the prose sentence: chat only ${lc.toFixed(2)}, with prose ${lm.toFixed(2)}`);
  // The chat skill is still learnt with a quarter of the rows given to prose.
  // (measured at 120 steps: validation loss 0.009 chat only, 0.08 with prose, from 5+ at the start)
  assert.ok(mixed.valLoss < 0.3, `validation loss with prose ${mixed.valLoss} (chat only ${chatOnly.valLoss})`);
  assert.throws(() => trainSft({ ...o, model: new Transformer(cfg, 5), outDir: tmp(t), prose, proseShare: 1 }), /proseShare/);
});
