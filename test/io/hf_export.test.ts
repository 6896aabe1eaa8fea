// `ponder export --format hf`: the embedded (trained) model as a Hugging Face folder. Checked
// against independent readers: the PyTorch reference reads the folder (config.json with
// transformers' key names, the safetensors) and gives ponder's logits; @huggingface/tokenizers
// reads tokenizer.json and gives ponder's ids; @huggingface/jinja renders the chat template into
// exactly the prompt ponder trained on. config.json uses only LlamaConfig's keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hfLib from '@huggingface/tokenizers';
import { Template } from '@huggingface/jinja';
import { command as exportCommand } from '../../src/cli/commands/export.ts';
import { EMBEDDED_MODEL } from '../../src/cli/shared.ts';
import { loadAnyModel } from '../../src/model/load.ts';
import { floatTensor, readSafetensors } from '../../src/io/safetensors.ts';
import { encodeChat, type ChatMessage, type Tokenizer } from '../../src/tokenizer/index.ts';
import { noGrad, withScope } from '../../src/tensor/index.ts';
import { runTorchRef, torchMissingReason } from '../../bench/ref/torch_env.ts';
import type { Transformer } from '../../src/model/transformer.ts';

const HF = (hfLib as unknown as { Tokenizer: new (json: unknown, config: object) => { encode(t: string, o?: object): { ids: number[] } } }).Tokenizer;
const skip = torchMissingReason() ?? false;
const dir = mkdtempSync(join(tmpdir(), 'ponder-export-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// LlamaConfig's fields (transformers, src/transformers/models/llama/configuration_llama.py; rope_theta
// and rope_scaling are its 4.x arguments, which 5.x converts) and the keys every PretrainedConfig saves.
const LLAMA_CONFIG_KEYS = new Set([
  'vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads',
  'hidden_act', 'max_position_embeddings', 'initializer_range', 'rms_norm_eps', 'use_cache', 'pad_token_id',
  'bos_token_id', 'eos_token_id', 'pretraining_tp', 'tie_word_embeddings', 'rope_theta', 'rope_scaling',
  'attention_bias', 'attention_dropout', 'mlp_bias', 'head_dim',
  'architectures', 'model_type', 'torch_dtype', 'transformers_version',
]);

const out = join(dir, 'hf'), outBf16 = join(dir, 'hf-bf16');
const source = loadAnyModel(EMBEDDED_MODEL);

function logits(m: Transformer, ids: number[][]): Float32Array {
  return noGrad(() => withScope(() => m.forward(Int32Array.from(ids.flat()), ids.length, ids[0].length).data.slice()));
}

test('ponder export writes the folder; config.json is a LlamaForCausalLM with LlamaConfig keys only', async () => {
  assert.equal(await exportCommand.run(['--format', 'hf', '--out', out]), 0);
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['LlamaForCausalLM']);
  assert.equal(cfg.model_type, 'llama');
  for (const k of Object.keys(cfg)) assert.ok(LLAMA_CONFIG_KEYS.has(k), `config.json key "${k}" is not one of LlamaConfig's`);
  assert.equal(cfg.hidden_size, source.config.d_model);
  assert.equal(cfg.tie_word_embeddings, source.config.tie_embeddings);
  assert.equal(cfg.torch_dtype, 'float32');
  const gen = JSON.parse(readFileSync(join(out, 'generation_config.json'), 'utf8'));
  assert.equal(gen.eos_token_id, 2);
});

test('reloading the export gives the same weights and logits, and the same EOS', () => {
  const again = loadAnyModel(out);
  assert.equal(again.info.format, 'hf');
  const ids = [[1, 40, 41, 42, 43, 44, 45, 46]];
  assert.deepEqual(logits(again.model, ids), logits(source.model, ids));
  assert.deepEqual(again.eosIds, [2]);
});

test('the PyTorch reference reads the exported folder and gives ponder\'s logits', { skip }, async () => {
  const ids = [[1, 50, 60, 70, 80, 90, 100, 110, 120], [1, 3, 200, 201, 202, 5, 6, 30, 31]];
  writeFileSync(join(dir, 'batch.json'), JSON.stringify(ids));
  const r = await runTorchRef(['check', '--weights', out, '--batch', join(dir, 'batch.json'), '--out', join(dir, 'ref.safetensors')]);
  assert.ok(r);
  const ref = floatTensor(readSafetensors(join(dir, 'ref.safetensors')), 'logits').data;
  const ours = logits(source.model, ids.map((row) => row.slice(0, -1)));
  let worst = 0;
  for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]));
  assert.ok(worst <= 1e-4, `max |logits - reference| = ${worst}`);
});

test('tokenizer.json gives ponder\'s ids in @huggingface/tokenizers; the chat template renders ponder\'s prompt', () => {
  const json = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8'));
  const hf = new HF(json, config), tok = source.tokenizer as Tokenizer;
  // HF reads added tokens' strings in any text as those tokens: ponder's allowSpecial.
  for (const text of ['What is 12 * 34?', 'Hei på deg, 世界! 😀', '  x\n\n<think>'])
    assert.deepEqual(hf.encode(text, { add_special_tokens: false }).ids, tok.encode(text, { allowSpecial: true }), text);
  const conv: ChatMessage[] = [
    { role: 'system', content: 'Answer briefly.' }, { role: 'user', content: 'What is 3 * 4?' },
    { role: 'assistant', content: '12', reasoning: '3 * 4 = 12' }, { role: 'user', content: 'And 5 * 6?' },
  ];
  const rendered = new Template(config.chat_template).render({
    messages: conv.map((m) => ({ role: m.role, content: m.content, ...(m.reasoning ? { reasoning_content: m.reasoning } : {}) })),
    add_generation_prompt: true, bos_token: config.bos_token, eos_token: config.eos_token,
  });
  // Special tokens in the rendered text are read as such (added tokens), as transformers does.
  assert.deepEqual(hf.encode(rendered, { add_special_tokens: false }).ids, encodeChat(tok, conv, { addGenerationPrompt: true }));
});

test('--dtype bf16 halves the weights and stays close; bad flags are clear errors', async () => {
  assert.equal(await exportCommand.run(['--format', 'hf', '--out', outBf16, '--dtype', 'bf16']), 0);
  const m = loadAnyModel(outBf16);
  assert.equal(m.info.dtype, 'bf16');
  const ids = [[1, 40, 41, 42, 43, 44, 45, 46]];
  const a = logits(m.model, ids), b = logits(source.model, ids);
  let worst = 0, scale = 0;
  for (let i = 0; i < a.length; i++) { worst = Math.max(worst, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
  assert.ok(worst > 0 && worst < 0.05 * scale, `bf16 logits differ by ${worst} (scale ${scale})`);
  await assert.rejects(async () => exportCommand.run(['--format', 'hf', '--out', outBf16, '--dtype', 'q8_0']), /--dtype q8_0 is not available for --format hf/);
  await assert.rejects(async () => exportCommand.run(['--format', 'onnx', '--out', outBf16]), /--format onnx is not one of/);
});
