// SentencePiece-style GGUF vocabularies (tokenizer.ggml.model "llama": pieces with scores, byte
// fallback): ponder reads them into the tokenizer.json a Hugging Face conversion makes (BPE with
// byte_fallback, merges ordered by score). Referees: llama.cpp tokenises with the file's own
// vocabulary, @huggingface/tokenizers with ponder's tokenizer.json; the ids must be the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hfLib from '@huggingface/tokenizers';
import { readGgufParts, writeGgufModel } from '../../src/io/gguf-model.ts';
import { openGguf, kv } from '../../src/io/gguf.ts';
import { writeGguf } from '../../src/io/gguf-write.ts';
import { llama, loadLlamaModel } from './gguf-llama.ts';
import { TEST_CONFIGS, testModelSource } from './gguf-models.ts';

interface HFTokenizer { encode(text: string, opts?: { add_special_tokens?: boolean }): { ids: number[] } }
const HF = (hfLib as unknown as { Tokenizer: new (json: unknown, config: object) => HFTokenizer }).Tokenizer;

const dir = mkdtempSync(join(tmpdir(), 'ponder-gguf-spm-'));
test.after(async () => { rmSync(dir, { recursive: true, force: true }); await (await llama()).dispose(); });

// A small SentencePiece vocabulary: <unk>, <s>, </s>, the 256 byte tokens, then pieces, merged
// pieces first (a higher score merges first), single characters last.
const MERGED = ['▁t', 'he', '▁the', 'in', '▁a', 'an', '▁an', 'er', 'on', 're', 'at', 'st', '▁s', '▁w', 'or', '▁c', 'll', 'is',
  '▁is', 'ion', 'ti', 'tion', 'ation', 'el', 'hel', 'lo', 'llo', 'hello', '▁hello', 'wor', 'ld', 'world', '▁world', 'nd', 'and',
  '▁and', 'ng', 'ing', 'wi', '▁wi', '▁wind', '▁st', '▁sta', 'sta', 'ta', '▁in', 'ai', 'rai', 'ra', '▁ra', '▁rain'];
const CHARS = ['▁', 'a', 'c', 'd', 'e', 'g', 'h', 'i', 'l', 'n', 'o', 'r', 's', 't', 'w'];

function spmVocab(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'], scores = [0, 0, 0], types = [2, 3, 3];
  for (let b = 0; b < 256; b++) { tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`); scores.push(0); types.push(6); }
  [...MERGED, ...CHARS].forEach((p, i) => { tokens.push(p); scores.push(-i); types.push(1); });
  return { tokens, scores, types };
}

test('a "llama" (SentencePiece) vocabulary: llama.cpp and @huggingface/tokenizers on ponder\'s tokenizer.json agree', async () => {
  const { tokens, scores, types } = spmVocab();
  const base = join(dir, 'base.gguf');
  writeGgufModel(base, { ...testModelSource({ ...TEST_CONFIGS.qwen3, vocab_size: tokens.length }, 51), tokenizerJson: undefined }, 'f32');
  const g = openGguf(base);
  const path = join(dir, 'spm.gguf');
  writeGguf(path, {
    metadata: [...g.metadata.entries, ['tokenizer.ggml.model', kv.str('llama')], ['tokenizer.ggml.tokens', kv.strArray(tokens)],
      ['tokenizer.ggml.scores', kv.f32Array(scores)], ['tokenizer.ggml.token_type', kv.i32Array(types)],
      ['tokenizer.ggml.bos_token_id', kv.u32(1)], ['tokenizer.ggml.eos_token_id', kv.u32(2)], ['tokenizer.ggml.unknown_token_id', kv.u32(0)],
      ['tokenizer.ggml.add_bos_token', kv.bool(false)]],
    tensors: g.tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, data: g.readBytes(t) })),
  });
  g.close();
  const parts = readGgufParts(path);
  const json = parts.tokenizerJson as { model: { byte_fallback: boolean; merges: string[] } };
  assert.equal(json.model.byte_fallback, true);
  assert.equal(json.model.merges[0], '▁ t'); // the best-scored piece's merge comes first
  assert.equal(parts.tokenizerConfig?.eos_token, '</s>');
  const hf = new HF(parts.tokenizerJson, {});
  const model = await loadLlamaModel(path);
  try {
    for (const text of ['hello world and the wind', 'the station is in the rain', 'x héllo 日本 and  two  spaces', 'wording the nation']) {
      const ours = hf.encode(text, { add_special_tokens: false }).ids;
      assert.ok(ours.length < text.length, 'pieces merge'); // not one token per character
      assert.deepEqual(model.tokenize(text).map(Number), ours, JSON.stringify(text));
    }
  } finally { await model.dispose(); }
});
