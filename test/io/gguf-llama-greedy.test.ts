// llama.cpp as referee for ponder-written GGUF files: the trained R1-Zero multiplier (peaked
// predictions) exported as f32, f16, bf16 and q8_0 loads in llama.cpp, tokenises text as ponder
// does (pre-tokenizer "qwen2"), and continues prompts greedily (64 tokens) as ponder does on the
// same file: identically for f32, on at least 95% of tokens for f16, bf16 and q8_0.
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
import { loadLlamaModel, llama, llamaGreedy, llamaProbs, ponderGreedy } from './gguf-llama.ts';
import { R1_ZERO_MODEL } from '../../src/cli/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'ponder-gguf-llama-'));
test.after(async () => { rmSync(dir, { recursive: true, force: true }); await (await llama()).dispose(); });

const trained = loadAnyModel(R1_ZERO_MODEL);
const tok = trained.tokenizer as Tokenizer;
const QUESTIONS = ['What is 347 * 58?', 'What is 908 * 47?', 'What is 555 * 98?', 'What is 123 * 45?'];
const prompt = (q: string) => [BOS_ID, USER_ID, ...tok.encode(q), ASSISTANT_ID];

function exportAs(dtype: GgufDtype): string {
  const p = join(dir, `ponder-${dtype}.gguf`);
  writeGgufModel(p, ggufSourceOf(hfFolderOf(trained), R1_ZERO_MODEL), dtype);
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

// f32: the 64-token continuations are identical. f16, bf16 and q8_0 round the weights, and
// llama.cpp the activations too (to f16 for f16 weights, its vec_dot_type; to int8 blocks for
// q8_0), while ponder multiplies f32 activations: the answers, through the end of text, must be identical;
// past it the model invents the next question's digits from near-ties, where one rounding can
// pick another digit. At least 95% of the 64 tokens must agree, both free-running and with the
// continuation held fixed (teacher forcing along ponder's tokens, where one flip cannot cascade).
for (const [dtype, exact] of [['f32', true], ['f16', false], ['bf16', false], ['q8_0', false]] as const) {
  test(`${dtype}: llama.cpp's greedy continuations ${exact ? 'equal' : 'agree with'} ponder's on the same file`, async (t) => {
    const path = exportAs(dtype);
    const g = openGguf(path);
    const types = new Set(g.tensors.filter((x) => x.shape.length === 2).map((x) => x.type));
    g.close();
    assert.equal(types.size, 1); // every matrix in the requested type
    const ours = loadAnyModel(path);
    const model = await loadLlamaModel(path);
    let same = 0, total = 0, freeSame = 0;
    try {
      for (const q of QUESTIONS) {
        const p = prompt(q);
        // 64 tokens each, on through the end of text (the model then starts another turn).
        const a = ponderGreedy(ours.model, p, 64, []);
        const b = await llamaGreedy(model, p, 64, [], 128);
        assert.equal(a.length, 64);
        assert.match(tok.decode(a), /^<think>\d+\*\d=\d+/); // the model reasons: a real continuation, not noise
        const end = a.indexOf(EOS_ID);
        assert.ok(end > 0, 'the answer ends within 64 tokens');
        const show = `${q}\nponder:    ${tok.decode(a)}\nllama.cpp: ${tok.decode(b)}`;
        if (exact) assert.deepEqual(b, a, show);
        else assert.deepEqual(b.slice(0, end + 1), a.slice(0, end + 1), show);
        for (let i = 0; i < 64; i++) if (a[i] === b[i]) freeSame++;
        const forced = await llamaProbs(model, [...p, ...a.slice(0, 63)], 128);
        for (let i = 0; i < 64; i++) {
          const top = forced[p.length - 1 + i].keys().next().value;
          total++;
          if (top === a[i]) same++;
        }
      }
    } finally { await model.dispose(); }
    t.diagnostic(`${dtype}: ${freeSame}/${total} tokens of the free-running continuations equal, ${same}/${total} with the continuation held fixed`);
    assert.ok(freeSame / total >= 0.95, `${dtype}: ${freeSame}/${total} tokens agree`);
    assert.ok(same / total >= 0.95, `${dtype}: ${same}/${total} tokens agree with the continuation held fixed`);
  });
}
