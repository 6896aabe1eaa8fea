import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as hfLib from '@huggingface/tokenizers';
import { BYTE_TO_CHAR, bytesToLevel, decodeForSplit, levelToBytes, wtf8Decode, wtf8Encode } from '../../src/tokenizer/bytes.ts';
import { randomBytes, randomText, randomUnits, rng } from './helpers.ts';

test('WTF-8 is UTF-8 on well-formed strings', () => {
  const r = rng(1);
  const enc = new TextEncoder();
  for (let i = 0; i < 200; i++) {
    const s = randomText(r, 40);
    assert.deepEqual(wtf8Encode(s), enc.encode(s));
    assert.equal(wtf8Decode(wtf8Encode(s)), s);
  }
});

test('lone surrogates encode as their 3-byte WTF-8 form and decode back', () => {
  assert.deepEqual([...wtf8Encode('\ud800')], [0xed, 0xa0, 0x80]);
  assert.deepEqual([...wtf8Encode('a\udfffb')], [0x61, 0xed, 0xbf, 0xbf, 0x62]);
  assert.deepEqual([...wtf8Encode('\ud83d\ude00')], [0xf0, 0x9f, 0x98, 0x80]); // a pair is one code point
  assert.equal(wtf8Decode(Uint8Array.of(0xed, 0xa0, 0x80)), '\ud800');
  const r = rng(2);
  for (let i = 0; i < 300; i++) {
    const s = randomUnits(r, 30);
    assert.equal(wtf8Decode(wtf8Encode(s)), s);
  }
});

test('ill-formed bytes decode to U+FFFD exactly as TextDecoder does', () => {
  const dec = new TextDecoder();
  const r = rng(3);
  for (let i = 0; i < 300; i++) {
    const b = randomBytes(r, 30);
    let hasSurrogate = false;
    for (let k = 0; k + 2 < b.length; k++) if (b[k] === 0xed && b[k + 1] >= 0xa0 && (b[k + 2] & 0xc0) === 0x80) hasSurrogate = true;
    if (!hasSurrogate) assert.equal(wtf8Decode(b), dec.decode(b));
  }
});

test('decodeForSplit maps every unit to its bytes', () => {
  const r = rng(4);
  for (let i = 0; i < 300; i++) {
    const b = randomBytes(r, 40);
    const { text, offsets } = decodeForSplit(b);
    if (offsets === null) { assert.deepEqual(wtf8Encode(text), b); continue; }
    assert.equal(offsets.length, text.length + 1);
    assert.equal(offsets[0], 0);
    assert.equal(offsets[text.length], b.length);
    for (let k = 0; k < text.length; k++) {
      assert.ok(offsets[k + 1] >= offsets[k]);
      const u = text.charCodeAt(k);
      // A unit that is not a replacement stands for exactly its own WTF-8 bytes.
      if (u !== 0xfffd && !(u >= 0xd800 && u <= 0xdbff && k + 1 < text.length && offsets[k + 1] === offsets[k])) {
        if (u >= 0xdc00 && u <= 0xdfff && k > 0 && offsets[k] === offsets[k - 1]) continue; // low half of a pair
        assert.deepEqual(b.subarray(offsets[k], offsets[k + 1]), wtf8Encode(text[k]));
      }
    }
  }
  // A surrogate pair spelled as two 3-byte forms would re-encode as one 4-byte form: not clean.
  assert.notEqual(decodeForSplit(Uint8Array.of(0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80)).offsets, null);
});

test('byte-level alphabet is GPT-2\'s', () => {
  assert.equal(BYTE_TO_CHAR[0x20], 'Ġ');
  assert.equal(BYTE_TO_CHAR[0x0a], 'Ċ');
  assert.equal(BYTE_TO_CHAR[0x41], 'A');
  assert.equal(BYTE_TO_CHAR[0x00], 'Ā');
  assert.equal(BYTE_TO_CHAR[0xa0], 'ł');
  // The same table as HF's (the library's ByteLevel pre-tokenizer holds it).
  // (Its .d.ts files do not resolve under NodeNext, hence the cast.)
  const ByteLevel = (hfLib as unknown as { ByteLevelPreTokenizer: new (c: object) => { byte_encoder: Record<number, string> } }).ByteLevelPreTokenizer;
  const hf = new ByteLevel({}).byte_encoder;
  for (let b = 0; b < 256; b++) assert.equal(BYTE_TO_CHAR[b], hf[b]);
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(levelToBytes(bytesToLevel(all)), all);
  assert.equal(levelToBytes('a\u4f60'), null);
});
