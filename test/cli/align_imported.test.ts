// `ponder align` on an imported model: a tiny random Qwen2 with Qwen3's real tokenizer and chat
// template. DPO scores each answer after the template's generation prompt, as the model writes a
// direct reply (Qwen3's empty think block, the answer, <|im_end|>); a few steps raise the chosen
// answers over the rejected ones, the model moves, and OUT/final keeps Qwen3's tokenizer files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { PonderError } from '../../src/errors.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command as alignCommand } from '../../src/cli/commands/align.ts';
import { loadCheckpoint } from '../../src/io/checkpoint.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import { realTokenizer, writeImportedModel } from '../train/imported.ts';

const heavy = process.env.PONDER_BACKEND === 'ts' ? 'training on a 150k-token vocabulary is too slow on the ts backend' : false;
const dir = mkdtempSync(join(tmpdir(), 'ponder-align-imported-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('align --model <Qwen2 folder, Qwen3 tokenizer>: DPO through the model\'s template raises the margin, moves the model, keeps its tokenizer', { skip: heavy }, async () => {
  const real = realTokenizer('qwen3');
  const { dir: src, model: base } = writeImportedModel(join(dir, 'base'), 'qwen3');
  writeFileSync(join(dir, 'prefs.jsonl'), [
    { prompt: 'What is 2+2?', chosen: '4', rejected: '5' },
    { prompt: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Say hi' }], chosen: 'Hi! 你好', rejected: 'No.' },
    { prompt: 'Same', chosen: 'x', rejected: 'x' },
  ].map((x) => JSON.stringify(x)).join('\n'));
  const out = join(dir, 'align');
  assert.equal(await alignCommand.run(['--model', src, '--data', join(dir, 'prefs.jsonl'), '--out', out, '--steps', '6', '--batch', '2',
    '--lr', '1e-2', '--beta', '0.1', '--sample-every', '6']), 0);
  const rows = MetricsLog.read(join(out, 'metrics.jsonl'));
  assert.equal(rows.length, 6);
  assert.equal(rows[0].margin, 0, 'the policy starts as the reference');
  assert.ok((rows.at(-1)!.margin as number) > 0.5 && rows.at(-1)!.accuracy === 1, JSON.stringify(rows.at(-1)));
  assert.equal(MetricsLog.read(join(out, 'samples.jsonl')).length, 2, 'greedy replies to both prompts through the template');

  // The checkpoint read as files (building the 150k-token tokenizer once more would add seconds).
  const after = loadCheckpoint(join(out, 'final'));
  const old = new Map(base.namedParameters());
  assert.ok(after.model.namedParameters().some(([n, p]) => p.data.some((x, i) => x !== old.get(n)!.data[i])), 'DPO changed the weights');
  assert.deepEqual(after.files.tokenizerJson, real.json);
  assert.deepEqual(after.files.tokenizerConfig, real.config);
  assert.deepEqual(after.files.generationConfig?.eos_token_id, real.eos);

  // A base model without a chat template: the loops cannot write its conversations, and say so.
  const { chat_template: _, ...noTemplate } = real.config;
  writeFileSync(join(src, 'tokenizer_config.json'), JSON.stringify(noTemplate));
  await assert.rejects(async () => alignCommand.run(['--model', src, '--data', join(dir, 'prefs.jsonl'), '--out', join(dir, 'none')]),
    (e: unknown) => e instanceof PonderError && e.message.includes(`${src}: align writes conversations with the model's chat template, and this model has none`));
});
