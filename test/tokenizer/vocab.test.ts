// PackedVocab (spellings as bytes, an open-addressing index) answers every lookup as the plain
// JavaScript structures it replaces: a Map of tokenizer.json's vocab keys, and an array of each
// id's last spelling (what `for (const piece in vocab)` leaves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PackedVocab } from '../../src/tokenizer/vocab.ts';
import { rng } from './helpers.ts';

/** Random spellings from a small alphabet (so that some repeat as prefixes), with odd ones mixed in. */
function randomVocab(r: () => number, n: number): Record<string, number> {
  const alphabet = ['a', 'b', 'Ġ', 'é', '中', '😀', ' ', '\ud800', '\udc00', '\ufffd', '0', '1'];
  const vocab: Record<string, number> = Object.create(null);
  for (let i = 0; i < n; i++) {
    let s = '';
    const len = 1 + Math.floor(r() * 5);
    for (let k = 0; k < len; k++) s += alphabet[Math.floor(r() * alphabet.length)];
    // ids mostly in order, some shared by two spellings, some skipped
    vocab[s] = r() < 0.1 ? Math.floor(r() * (i + 1)) : i + (r() < 0.05 ? 3 : 0);
  }
  vocab.__proto__ = n + 5;
  vocab['12'] = 7; // an integer-like key, which a JavaScript object iterates first
  vocab['\ufffd'] = n + 6; vocab['a\ufffd'] = n + 7; // what a lone surrogate's UTF-8 would read as
  return vocab;
}

test('lookups, spellings, size and longest spelling equal the Map and array they replace', () => {
  const r = rng(5);
  for (let round = 0; round < 20; round++) {
    const vocab = randomVocab(r, 50 + Math.floor(r() * 400));
    const ids = new Map<string, number>(), spelling: string[] = [];
    for (const piece in vocab) { ids.set(piece, vocab[piece]); spelling[vocab[piece]] = piece; }
    const v = PackedVocab.fromObject(vocab, () => { throw new Error('unexpected'); });
    assert.equal(v.size, spelling.length);
    for (const [piece, id] of ids) assert.equal(v.idOf(piece), id, JSON.stringify(piece));
    for (const miss of ['zz', '\ud800', 'a\ud800', '', 'aaaaaaaaaaaaaaa']) assert.equal(v.idOf(miss), ids.get(miss), JSON.stringify(miss));
    for (let id = 0; id < spelling.length + 2; id++) {
      assert.equal(v.has(id), spelling[id] !== undefined, `has ${id}`);
      assert.equal(v.spelling(id), spelling[id], `spelling ${id}`);
    }
    assert.equal(v.longestUnits(), Math.max(0, ...spelling.filter((s) => s !== undefined).map((s) => s.length)));
  }
});

test('packed bytes: a spelling given twice keeps its last id; excluded ids have none; lookups by bytes', () => {
  const enc = new TextEncoder();
  const words = ['x', 'yy', 'x', 'zzz', 'w'];
  const parts = words.map((w) => enc.encode(w));
  const offsets = new Uint32Array(words.length + 1);
  parts.forEach((p, i) => { offsets[i + 1] = offsets[i] + p.length; });
  const bytes = new Uint8Array(offsets[words.length]);
  parts.forEach((p, i) => bytes.set(p, offsets[i]));
  const v = new PackedVocab(bytes, offsets, (id) => id !== 3); // 'zzz' is not in the vocabulary
  assert.equal(v.idOf('x'), 2);
  assert.equal(v.has(0), false);
  assert.equal(v.spelling(2), 'x');
  assert.equal(v.idOf('zzz'), undefined);
  assert.equal(v.has(3), false);
  assert.equal(v.idOfBytes(enc.encode('__yy__'), 2, 4), 1);
  assert.equal(v.size, 5);
});

test('a vocab id that is not a non-negative integer is reported', () => {
  assert.throws(() => PackedVocab.fromObject({ a: 0, b: -1 }, (p) => { throw new Error(`bad ${p}`); }), /bad b/);
  assert.throws(() => PackedVocab.fromObject({ a: 1.5 }, (p) => { throw new Error(`bad ${p}`); }), /bad a/);
});
