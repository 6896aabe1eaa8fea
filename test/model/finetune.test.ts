// Continuing to train an imported model: a tiny random Qwen2 (and Qwen3) in Hugging Face layout,
// carrying ponder's tokenizer, goes through `ponder pretrain --model` and `ponder rl --model`;
// training starts from its weights (not a fresh init), the loss falls, the checkpoint exports to
// a Hugging Face folder again, and that folder reloads with the checkpoint's logits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command as pretrainCommand } from '../../src/cli/commands/pretrain.ts';
import { command as rlCommand } from '../../src/cli/commands/rl.ts';
import { command as sftCommand } from '../../src/cli/commands/sft.ts';
import { command as exportCommand } from '../../src/cli/commands/export.ts';
import { loadAnyModel } from '../../src/model/load.ts';
import { validateConfig, type ModelConfig } from '../../src/model/config.ts';
import { hfConfigFromModel } from '../../src/model/hf-config.ts';
import { ponderTokenizerConfig } from '../../src/model/hf-export.ts';
import { writeHfFolder } from '../../src/io/hf.ts';
import { Transformer } from '../../src/model/transformer.ts';
import { crossEntropy, noGrad, withScope } from '../../src/tensor/index.ts';
import { BOS_ID, EOS_ID, toTokenizerJson, trainBpe, type TextTokenizer } from '../../src/tokenizer/index.ts';

const heavy = process.env.PONDER_BACKEND === 'ts' ? 'training on the ts backend is too slow for a test' : false;
const dir = mkdtempSync(join(tmpdir(), 'ponder-finetune-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const CORPUS = Array.from({ length: 400 }, (_, i) => `The cat ${i % 7} sat on the mat ${i % 5}. The dog ${i % 3} ran to the park.`).join('\n');
const tok = trainBpe([CORPUS], 300);

/**
 * A Hugging Face folder of a random model of config c, with ponder's tokenizer. Its norm gains are
 * MARK, where a fresh model has 1: a few small steps cannot move them far, so a trained model whose
 * gains are near MARK started from these weights.
 */
const MARK = 2.5;
function hfFolder(name: string, c: ModelConfig, seed: number): string {
  const m = new Transformer(c, seed);
  for (const [n, p] of m.namedParameters()) if (n.endsWith('norm.weight')) p.data.fill(MARK);
  const out = join(dir, name);
  writeHfFolder(out, {
    hfConfig: hfConfigFromModel(c, { bos_token_id: BOS_ID, eos_token_id: EOS_ID }),
    tensors: m.namedParameters().map(([n, t]) => [n, { shape: [...t.shape], data: t.data }]),
    tokenizerJson: toTokenizerJson(tok), tokenizerConfig: ponderTokenizerConfig(c.max_seq_len), generationConfig: { eos_token_id: EOS_ID },
  });
  return out;
}

function corpusLoss(m: Transformer, t: TextTokenizer, first: number[] = [BOS_ID]): number {
  const ids = [...first, ...t.encode(CORPUS.split('\n').slice(0, 4).join('\n'))].slice(0, 65);
  return noGrad(() => withScope(() => crossEntropy(Transformer.rows(m.forward(Int32Array.from(ids.slice(0, -1)), 1, ids.length - 1)), Int32Array.from(ids.slice(1))).item()));
}

/** Trained (weights changed) from `start` (every norm gain still near MARK, q/k norms included). */
function assertStartedFrom(after: Transformer, start: Transformer): void {
  const before = new Map(start.namedParameters());
  let changed = 0;
  for (const [n, p] of after.namedParameters()) {
    if (p.data.some((x, i) => x !== before.get(n)!.data[i])) changed++;
    if (n.endsWith('norm.weight')) assert.ok(p.data.every((x) => Math.abs(x - MARK) < 0.5), `${n} is not near the imported ${MARK}`);
  }
  assert.ok(changed > after.namedParameters().length / 2, `only ${changed} parameters changed`);
}

const qwen2 = validateConfig({
  architecture: 'Qwen2ForCausalLM', vocab_size: 300, d_model: 48, n_layers: 2, n_heads: 6, n_kv_heads: 2, d_ff: 96,
  max_seq_len: 64, rope_theta: 1e6, norm_eps: 1e-6, tie_embeddings: true, qkv_bias: true,
});
const qwen3 = validateConfig({
  architecture: 'Qwen3ForCausalLM', vocab_size: 300, d_model: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, head_dim: 16, d_ff: 64,
  max_seq_len: 128, rope_theta: 1e6, norm_eps: 1e-6, tie_embeddings: false, qk_norm: true,
});

test('pretrain --model <Qwen2 HF folder>: starts from its weights, loss falls, exports and reloads with the same logits', { skip: heavy }, async () => {
  const src = hfFolder('qwen2', qwen2, 5);
  const before = loadAnyModel(src);
  writeFileSync(join(dir, 'corpus.txt'), CORPUS);
  const out = join(dir, 'pt');
  const code = await pretrainCommand.run(['--model', src, '--data', join(dir, 'corpus.txt'), '--out', out, '--steps', '40', '--batch', '4',
    '--seq-len', '32', '--lr', '3e-3', '--warmup', '5', '--eval-every', '40', '--checkpoint-every', '40', '--samples', '0']);
  assert.equal(code, 0);
  const after = loadAnyModel(join(out, 'checkpoint'));
  assert.equal(after.info.format, 'ponder');
  assert.deepEqual(after.config, before.config);
  assertStartedFrom(after.model, before.model);
  const bias = (l: typeof before) => new Map(l.model.namedParameters()).get('model.layers.1.self_attn.k_proj.bias')!.data;
  assert.ok(bias(after).some((x) => x !== 0), 'the k bias trains');
  const l0 = corpusLoss(before.model, tok), l1 = corpusLoss(after.model, tok);
  assert.ok(l1 < l0 - 1, `corpus loss ${l0} -> ${l1}`);

  const exported = join(dir, 'pt-hf');
  assert.equal(await exportCommand.run(['--format', 'hf', '--model', join(out, 'checkpoint'), '--out', exported]), 0);
  assert.deepEqual(JSON.parse(readFileSync(join(exported, 'config.json'), 'utf8')).architectures, ['Qwen2ForCausalLM']);
  const again = loadAnyModel(exported);
  const ids = Int32Array.from([BOS_ID, ...tok.encode('The cat 3 sat')]);
  const logits = (m: Transformer) => noGrad(() => withScope(() => m.forward(ids, 1, ids.length).data.slice()));
  assert.deepEqual(logits(again.model), logits(after.model));
});

test('sft --checkpoint <Qwen3 HF folder>: the loss on assistant turns falls from the imported weights', { skip: heavy }, async () => {
  const src = hfFolder('qwen3', qwen3, 6);
  const before = loadAnyModel(src);
  const lines = Array.from({ length: 60 }, (_, i) => JSON.stringify({ messages: [
    { role: 'user', content: `Where did the cat ${i % 7} sit?` }, { role: 'assistant', content: `On the mat ${i % 5}.`, reasoning_content: 'The cat sat on the mat.' },
  ] }));
  writeFileSync(join(dir, 'chat.jsonl'), lines.join('\n') + '\n');
  const out = join(dir, 'sft');
  const code = await sftCommand.run(['--checkpoint', src, '--data', join(dir, 'chat.jsonl'), '--out', out, '--steps', '30', '--batch', '4',
    '--seq-len', '64', '--lr', '3e-3', '--warmup', '3', '--eval-every', '30', '--checkpoint-every', '30']);
  assert.equal(code, 0);
  const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss?: number });
  const losses = rows.map((r) => r.loss).filter((x): x is number => typeof x === 'number');
  assert.ok(losses.length >= 10 && losses.at(-1)! < losses[0] - 1, `sft loss ${losses[0]} -> ${losses.at(-1)}`);
  const after = loadAnyModel(join(out, 'final'));
  assert.equal(after.config.architecture, 'Qwen3ForCausalLM');
  assertStartedFrom(after.model, before.model);
});

test('rl --model <Qwen3 HF folder> runs GRPO steps from the imported weights and saves a loadable checkpoint', { skip: heavy }, async () => {
  const src = join(dir, 'qwen3');
  const before = loadAnyModel(src);
  const out = join(dir, 'rl');
  const code = await rlCommand.run(['--model', src, '--task', 'addition', '--difficulty', '1', '--out', out, '--steps', '2', '--prompts', '2',
    '--group', '4', '--max-tokens', '8', '--held-out', '0', '--no-dynamic-sampling']);
  assert.equal(code, 0);
  const after = loadAnyModel(join(out, 'checkpoint'));
  assert.equal(after.config.architecture, 'Qwen3ForCausalLM');
  // A random model earns no reward, so GRPO (no spread in any group) leaves the weights as they were.
  for (const [n, p] of after.model.namedParameters()) assert.deepEqual(p.data, new Map(before.model.namedParameters()).get(n)!.data, n);
});

test('rl refuses a model whose tokenizer is not ponder\'s, saying why', async () => {
  const src = hfFolder('qwen3-notok', qwen3, 7);
  rmSync(join(src, 'tokenizer.json'));
  await assert.rejects(async () => rlCommand.run(['--model', src, '--task', 'addition']), /has no tokenizer\.json/);
});
