// `ponder rl` on an imported model whose template opens <think> itself: a tiny random Qwen2 with
// DeepSeek-R1's tokenizer and template (as DeepSeek-R1-Distill-Qwen ships). A short `ponder sft`
// teaches it one checkable problem, so that sampled replies are sometimes right; GRPO then prompts
// through R1's template, reads each reply from inside the think block the prompt opened, rewards
// the answer after </think>, and updates the model; the checkpoint keeps R1's tokenizer and template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command as sftCommand } from '../../src/cli/commands/sft.ts';
import { command as rlCommand } from '../../src/cli/commands/rl.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { parseThink } from '../../src/infer/think.ts';
import { verifyProblem } from '../../src/tasks/registry.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import { R1_TEMPLATE } from '../tokenizer/real.ts';
import { realTokenizer, writeImportedModel } from '../train/imported.ts';

const heavy = process.env.PONDER_BACKEND === 'ts' ? 'training on a 129k-token vocabulary is too slow on the ts backend' : false;
const dir = mkdtempSync(join(tmpdir(), 'ponder-rl-imported-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('rl --model <Qwen2 folder, R1 tokenizer and template> after a short sft: rewards answers after </think>, updates the model, keeps the template', { skip: heavy }, async () => {
  const src = writeImportedModel(join(dir, 'base'), 'r1').dir;
  writeFileSync(join(dir, 'chat.jsonl'), JSON.stringify({ messages: [{ role: 'user', content: 'What is 2+2?' }, { role: 'assistant', content: '4', reasoning_content: 'Two and two.' }] }));
  writeFileSync(join(dir, 'task.jsonl'), JSON.stringify({ question: 'What is 2+2?', answer: 4 }));
  const sft = join(dir, 'sft');
  assert.equal(await sftCommand.run(['--model', src, '--data', join(dir, 'chat.jsonl'), '--out', sft, '--steps', '30', '--batch', '1', '--lr', '3e-2', '--warmup', '2', '--eval-every', '100']), 0);
  const out = join(dir, 'rl');
  assert.equal(await rlCommand.run(['--model', join(sft, 'final'), '--task', join(dir, 'task.jsonl'), '--held-out', '0', '--out', out,
    '--steps', '2', '--prompts', '2', '--group', '6', '--max-tokens', '12', '--lr', '1e-3', '--seed', '1']), 0);

  const rows = MetricsLog.read(join(out, 'metrics.jsonl'));
  assert.equal(rows.length, 2);
  assert.ok(rows.some((r) => (r.trained_samples as number) > 0), 'some group had reward spread and was trained on');
  assert.ok(rows.every((r) => (r.accuracy as number) > 0 && (r.accuracy as number) < 1), JSON.stringify(rows.map((r) => r.accuracy)));
  // The logged replies start inside the think block R1's prompt opened; each reward is the verifier on the answer after </think>.
  const samples = MetricsLog.read(join(out, 'samples.jsonl'));
  for (const s of samples) {
    const text = s.completion as string;
    assert.ok(text.startsWith('<think>'), text);
    assert.equal(s.reward, verifyProblem(parseThink(text).answer, { question: 'What is 2+2?', answer: '4', task: join(dir, 'task.jsonl') }) ? 1 : 0, text);
  }
  assert.ok(samples.some((s) => s.reward === 1));

  // Checkpoints read as files (building a 129k-token tokenizer twice more would double the test's time).
  const before = loadCheckpoint(join(sft, 'final')), after = loadCheckpoint(join(out, 'checkpoint'));
  const old = new Map(before.model.namedParameters());
  assert.ok(after.model.namedParameters().some(([n, p]) => p.data.some((x, i) => x !== old.get(n)!.data[i])), 'GRPO changed the weights');
  assert.equal(after.files.tokenizerConfig?.chat_template, R1_TEMPLATE);
  assert.deepEqual(after.files.tokenizerJson, realTokenizer('r1').json);
  assert.deepEqual(after.files.generationConfig?.eos_token_id, 1);
});
