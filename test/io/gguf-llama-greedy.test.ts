// llama.cpp as referee for ponder-written GGUF files: the embedded trained model (peaked
// predictions) exported as f32, f16, bf16 and q8_0 loads in llama.cpp, tokenises text as ponder
// does (pre-tokenizer "qwen2"), and continues prompts greedily as ponder does on the same file:
// identically for f32/f16 (and bf16), on at least 95% of tokens for q8_0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnyModel } from '../../src/model/load.ts';
import { hfFolderOf } from '../../src/model/hf-export.ts';
import { writeGgufModel, ggufSourceOf, type GgufDtype } from '../../src/io/gguf-model.ts';
import { openGguf } from '../../src/io/gguf.ts';
import { BOS_ID, USER_ID, ASSISTANT_ID, EOS_ID } from '../../src/tokenizer/index.ts';
import { Tokenizer } from '../../src/tokenizer/tokenizer.ts';
import { loadLlamaModel, llama, llamaGreedy, ponderGreedy } from './gguf-llama.ts';

const dir = mkdtempSync(join(tmpdir(), 'ponder-gguf-llama-'));
test.after(async () => { rmSync(dir, { recursive: true, force: true }); await (await llama()).dispose(); });

const embedded = loadAnyModel('models/ponder-r1-zero');
const tok = embedded.tokenizer as Tokenizer;
const QUESTIONS = ['What is 347 * 58?', 'What is 908 * 47?', 'What is 555 * 98?', 'What is 123 * 45?'];
const prompt = (q: string) => [BOS_ID, USER_ID, ...tok.encode(q), ASSISTANT_ID];

function exportAs(dtype: GgufDtype): string {
  const p = join(dir, `ponder-${dtype}.gguf`);
  writeGgufModel(p, ggufSourceOf(hfFolderOf(embedded), 'models/ponder-r1-zero'), dtype);
  return p;
}

test('llama.cpp tokenises mixed text exactly as ponder (pre-tokenizer qwen2: single digits, byte-level BPE)', async () => {
  const model = await loadLlamaModel(exportAs('f32'));
  try {
    const texts = ['What is 347 * 58? 12345 apples', "It's 3.14159 — naïve café, 日本語 😀\n\n  tabs\tand  spaces", 'x=a+b*(c-1)/2; // 2024-12-01', ''];
    for (const t of texts) assert.deepEqual(model.tokenize(t).map(Number), tok.encode(t), JSON.stringify(t));
    assert.equal(model.detokenize(tok.encode(texts[1]) as never), texts[1]);
    assert.deepEqual(model.tokenize('<think>', true).map(Number), [6]); // special tokens as control tokens
  } finally { await model.dispose(); }
});

for (const [dtype, minAgreement] of [['f32', 1], ['f16', 1], ['bf16', 1], ['q8_0', 0.95]] as const) {
  test(`${dtype}: llama.cpp's greedy continuations ${minAgreement === 1 ? 'equal' : `agree with`} ponder's on the same file`, async (t) => {
    const path = exportAs(dtype);
    const g = openGguf(path);
    const types = new Set(g.tensors.filter((t) => t.shape.length === 2).map((t) => t.type));
    g.close();
    assert.equal(types.size, 1); // every matrix in the requested type
    const ours = loadAnyModel(path);
    const model = await loadLlamaModel(path);
    let same = 0, total = 0;
    try {
      for (const q of QUESTIONS) {
        const p = prompt(q);
        const a = ponderGreedy(ours.model, p, 64, [EOS_ID]);
        const b = await llamaGreedy(model, p, 64, [EOS_ID], 128);
        if (minAgreement === 1) assert.deepEqual(b, a, `${q}\nponder:    ${tok.decode(a)}\nllama.cpp: ${tok.decode(b)}`);
        // Compare position by position up to the first divergence's end (after it the contexts differ).
        for (let i = 0; i < Math.min(a.length, b.length); i++) { total++; if (a[i] === b[i]) same++; else break; }
        assert.match(tok.decode(a), /^<think>\d+\*\d=\d+/); // the model reasons: a real continuation, not noise
      }
    } finally { await model.dispose(); }
    t.diagnostic(`${dtype}: ${same}/${total} greedy tokens agree (up to 64 per prompt, or the end of text)`);
    assert.ok(same / total >= minAgreement, `${dtype}: ${same}/${total} tokens agree`);
  });
}
