// Digits that carry their place (src/tokenizer/place-digits.ts): encoding against the plain BPE it
// wraps, the per-document offsets of a training stream, tokenizer.json and checkpoints, and the
// exports that must refuse a vocabulary other tools cannot express.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlaceDigitTokenizer, fromTokenizerJson, toTokenizerJson, trainBpe, renderChat, encodeChat } from '../../src/tokenizer/index.ts';
import { initPlaceRows } from '../../src/tokenizer/place-digits.ts';
import { BYTE_BASE } from '../../src/tokenizer/special.ts';
import { chatExample, reasoningStream } from '../../src/data/reasoning.ts';
import { shapesTask } from '../../src/tasks/columns.ts';
import { Rng } from '../../src/tensor/random.ts';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { saveCheckpoint, loadCheckpoint } from '../../src/io/checkpoint.ts';
import { loadAnyModel } from '../../src/model/load.ts';
import { hfFolderOf } from '../../src/model/hf-export.ts';
import { tokenizerToGguf } from '../../src/io/gguf-tokenizer.ts';
import { randomText, rng } from './helpers.ts';

const task = shapesTask('column-multiplication', [{ op: '*', a: 3, b: 2 }]);
const plain = trainBpe(['What is 347 * 58?\n347*8\n347 7*8+0=56 6\n=20126 and 12 apples, 4821 pears'], 320);
const tok = new PlaceDigitTokenizer(plain.merges, 12);

test('a number is its digits with places counted from the units, plus the offset', () => {
  const pieces = (s: string) => tok.encode(s).map((id) => tok.piece(id));
  assert.deepEqual(pieces('347').join(' '), '3@3 4@2 7@1');
  tok.offset = 2;
  try {
    assert.deepEqual(pieces('x 58, 0').filter((p) => p.includes('@')), ['5@4', '8@3', '0@3']);
  } finally { tok.offset = 0; }
  // Longer than the places allow: plain digit tokens, still lossless.
  const long = tok.encode('1234567890123');
  assert.ok(long.every((id) => tok.placeOf(id) === null));
  assert.equal(tok.decode(long), '1234567890123');
  // Ids past the place tokens are errors that name the whole vocabulary.
  assert.throws(() => tok.decode([tok.vocabSize]), new RegExp(`outside the vocabulary \\(0\\.\\.${tok.vocabSize - 1}\\)`));
  assert.throws(() => tok.piece(-1), /outside the vocabulary/);
});

test('with places mapped back to plain digits, ids are the plain BPE\'s, and decode is exact', () => {
  const r = rng(5);
  for (let i = 0; i < 200; i++) {
    const text = i % 2 ? randomText(r, 60) : `What is ${Math.floor(r() * 1e6)} * ${Math.floor(r() * 99)}? ${randomText(r, 10)}`;
    tok.offset = i % 4;
    try {
      const ids = tok.encode(text);
      const asPlain = ids.map((id) => { const p = tok.placeOf(id); return p ? BYTE_BASE + 0x30 + p.digit : id; });
      assert.deepEqual(asPlain, plain.encode(text), text);
      assert.equal(tok.decode(ids), text);
    } finally { tok.offset = 0; }
  }
});

test('a training stream draws one offset per document: a number and its copies share places', () => {
  const problems = Array.from({ length: 40 }, (_, i) => ({ question: `What is ${100 + 23 * i} * ${10 + i}?`, answer: String((100 + 23 * i) * (10 + i)), task: task.name }));
  const stream = reasoningStream(tok, task, problems, 1, 3);
  assert.equal(tok.offset, 0, 'the tokenizer is left at offset 0');
  // Split into documents at each <|begin_of_text|> and read each one's units place.
  const docs: number[][] = [];
  for (const id of stream) { if (id === 1) docs.push([]); docs.at(-1)?.push(id); }
  assert.equal(docs.length, problems.length);
  const offsets = new Set<number>();
  docs.forEach((ids, i) => {
    const units = new Set(ids.map((id) => tok.placeOf(id)).filter((p) => p !== null).map((p, k, all) => (k + 1 < all.length && all[k + 1]!.place === p!.place - 1 ? null : p!.place)).filter((p) => p !== null));
    assert.equal(units.size, 1, `document ${i}: every number ends at the same place (${[...units]})`);
    const offset = [...units][0]! - 1;
    // The offset fits the document's longest number, and re-encoding at that offset gives the same ids.
    tok.offset = offset;
    try { assert.deepEqual(ids, encodeChat(tok, chatExample(task, problems[i]!, true))); } finally { tok.offset = 0; }
    assert.ok(offset + Math.max(...[...renderChat(chatExample(task, problems[i]!, true)).matchAll(/\d+/g)].map((m) => m[0].length)) <= tok.places);
    offsets.add(offset);
  });
  assert.ok(offsets.size >= 4, `offsets vary between documents (${[...offsets]})`);
});

test('place rows start as their digit row plus one row per place', () => {
  const C = 8, E = new Float32Array(tok.vocabSize * C).map((_, i) => Math.sin(i));
  initPlaceRows(E, C, tok, new Rng(1));
  const row = (id: number) => Array.from(E.subarray(id * C, id * C + C));
  const digit = (d: number) => BYTE_BASE + 0x30 + d;
  for (const p of [1, 7, 12]) {
    const place = row(tok.placeId(0, p)).map((v, c) => v - row(digit(0))[c]!);
    for (let d = 1; d < 10; d++) row(tok.placeId(d, p)).forEach((v, c) => assert.ok(Math.abs(v - row(digit(d))[c]! - place[c]!) < 1e-6));
  }
  assert.throws(() => initPlaceRows(new Float32Array(10), C, tok, new Rng(1)), /embedding rows/);
});

test('tokenizer.json and checkpoints keep the places; HF and GGUF exports refuse them', () => {
  const back = fromTokenizerJson(JSON.parse(JSON.stringify(toTokenizerJson(tok))));
  assert.ok(back instanceof PlaceDigitTokenizer && back.places === 12 && back.vocabSize === tok.vocabSize);
  assert.deepEqual(back.encode('What is 4821 * 36?'), tok.encode('What is 4821 * 36?'));
  const bad = { ...toTokenizerJson(tok), ponder_place_digits: 0 };
  assert.throws(() => fromTokenizerJson(bad), /ponder_place_digits is 0/);
  const short = toTokenizerJson(tok);
  delete (short.model as { vocab: Record<string, number> }).vocab['9@12'];
  assert.throws(() => fromTokenizerJson(short), /model\.vocab has/);

  const dir = mkdtempSync(join(tmpdir(), 'ponder-places-'));
  try {
    const config = validateConfig({ d_model: 16, n_layers: 1, n_heads: 2, n_kv_heads: 2, d_ff: 32, max_seq_len: 32, rope_theta: 10000, norm_eps: 1e-5, tie_embeddings: true, vocab_size: tok.vocabSize });
    saveCheckpoint(dir, new Transformer(config, 1), { tokenizer: tok });
    const loaded = loadCheckpoint(dir);
    assert.ok(loaded.tokenizer instanceof PlaceDigitTokenizer);
    assert.deepEqual(loaded.tokenizer.encode('12 + 345'), tok.encode('12 + 345'));
    assert.throws(() => hfFolderOf(loadAnyModel(dir)), /place-digit tokenizer.*ponder only/);
    assert.throws(() => tokenizerToGguf(toTokenizerJson(tok), undefined, {}, tok.vocabSize, 'x.gguf'), /no GGUF form/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
