import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as hfLib from '@huggingface/tokenizers';
import { fromTokenizerJson, loadTokenizer, saveTokenizer, toTokenizerJson } from '../../src/tokenizer/hf.ts';
import { SPECIAL_TOKENS } from '../../src/tokenizer/special.ts';
import { CORPUS, fixtureTokenizer, randomText, rng } from './helpers.ts';

// @huggingface/tokenizers' .d.ts files do not resolve under NodeNext: describe what we call.
interface HFTokenizer {
  encode(text: string, opts?: { add_special_tokens?: boolean }): { ids: number[] };
  decode(ids: number[], opts?: { skip_special_tokens?: boolean }): string;
}
const HF = (hfLib as unknown as { Tokenizer: new (json: unknown, config: object) => HFTokenizer }).Tokenizer;

const dir = mkdtempSync(join(tmpdir(), 'ponder-tokjson-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('save then load gives the same tokenizer and the same ids', () => {
  const tok = fixtureTokenizer();
  const path = join(dir, 'tokenizer.json');
  saveTokenizer(tok, path);
  assert.deepEqual(readdirSync(dir), ['tokenizer.json']); // the temp file was renamed away
  const back = loadTokenizer(path);
  assert.equal(back.vocabSize, tok.vocabSize);
  assert.deepEqual(back.merges, tok.merges);
  assert.deepEqual(back.tokens, tok.tokens);
  assert.deepEqual(back.encode(CORPUS), tok.encode(CORPUS));
  assert.equal(JSON.stringify(toTokenizerJson(back)) + '\n', readFileSync(path, 'utf8'));
});

test('@huggingface/tokenizers reads our tokenizer.json and gives our ids', () => {
  const tok = fixtureTokenizer();
  const hf = new HF(toTokenizerJson(tok), { clean_up_tokenization_spaces: false });
  const texts = [
    CORPUS,
    'Prose: It\'s what we\'ve said; THEY\'LL see.\n\n\n   Indented    runs\t\tof\u00a0space \r\n end.  ',
    'Code: for (let i = 0; i < 10; i++) { sum += xs[i] * 2; }  // 1234567890',
    'Numbers 3.14159 1,000,000 -42 0x1F 1e-9 ²³ ½ ١٢٣ 七',
    'Norsk: blåbærsyltetøy på Ørland, ÆØÅ æøå. 中文：你好，世界。日本語 한국어 😀👍🏽👨‍👩‍👧 🇳🇴',
  ];
  const r = rng(31);
  for (let i = 0; i < 300; i++) texts.push(randomText(r, 1 + Math.floor(r() * 60)));
  for (const text of texts) {
    // HF always reads added tokens in text, so the like-for-like call is ours with allowSpecial.
    const ours = tok.encode(text, { allowSpecial: true });
    assert.deepEqual(hf.encode(text, { add_special_tokens: false }).ids, ours, JSON.stringify(text.slice(0, 80)));
    assert.equal(hf.decode(ours), text);
  }
  // Special tokens: same ids on both sides.
  const chat = `${SPECIAL_TOKENS.join('x ')} <think> 2+2 </think>4<|end_of_text|>`;
  assert.deepEqual(hf.encode(chat, { add_special_tokens: false }).ids, tok.encode(chat, { allowSpecial: true }));
});

test('a corrupt, truncated or foreign tokenizer.json is a PonderError naming the file', () => {
  const good = JSON.stringify(toTokenizerJson(fixtureTokenizer()));
  const write = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
  const truncated = write('truncated.json', good.slice(0, good.length / 2));
  assert.throws(() => loadTokenizer(truncated), { name: 'PonderError', message: /truncated\.json.*not valid JSON/ });
  assert.throws(() => loadTokenizer(join(dir, 'absent.json')), { name: 'PonderError', message: /absent\.json/ });
  const edit = (f: (j: Record<string, any>) => void) => { const j = JSON.parse(good); f(j); return j; };
  const cases: [string, Record<string, any>, RegExp][] = [
    ['no model', edit((j) => { delete j.model; }), /model is missing/],
    ['WordPiece', edit((j) => { j.model.type = 'WordPiece'; }), /model\.type/],
    ['other split', edit((j) => { j.pre_tokenizer.pretokenizers[0].pattern.Regex = '\\s+'; }), /pre_tokenizer/],
    ['normalizer', edit((j) => { j.normalizer = { type: 'NFC' }; }), /normalizer/],
    ['unknown merge', edit((j) => { j.model.merges[0] = 'zzzq Ġ'; }), /merge 0/],
    ['bad merge', edit((j) => { j.model.merges[1] = 5; }), /merge 1/],
    ['moved id', edit((j) => { const k = Object.keys(j.model.vocab).at(-1)!; j.model.vocab[k] = 3; }), /vocab/],
    ['special', edit((j) => { j.added_tokens[6].id = 9; }), /<think>/],
    ['extra token', edit((j) => { j.model.vocab['ĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠĠx'] = 99999; }), /tokens/],
  ];
  for (const [name, json, message] of cases) {
    const p = write(`${name.replace(/ /g, '-')}.json`, JSON.stringify(json));
    assert.throws(() => loadTokenizer(p), (e: Error) => e.name === 'PonderError' && message.test(e.message) && e.message.includes(p), name);
  }
  assert.throws(() => fromTokenizerJson([1, 2]), { name: 'PonderError' });
});
