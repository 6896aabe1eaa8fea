// llama.cpp as referee for Q4_K on a trained model. ponder's embedded model (d_model 128) has no
// row that fills a 256-value Q4_K super-block, so a small model trained on products with
// d_model 256 and d_ff 768 (scripts/make-q4k-fixture.ts) is committed as a Q4_K_M file written by
// ponder. Its predictions are peaked, not ties: llama.cpp's greedy continuations of 64 tokens
// must agree with ponder's on at least 95% of tokens, both for ponder's quantised runner (int8
// activations, as llama.cpp) and for the weights dequantised to an f32 Transformer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadAnyModel } from '../../src/model/load.ts';
import { createRunner } from '../../src/infer/runner/index.ts';
import { loadNativeQuant } from '../../src/backend/native/quant.ts';
import { openGguf } from '../../src/io/gguf.ts';
import { blockFormat } from '../../src/quant/blocks.ts';
import { EOS_ID } from '../../src/tokenizer/index.ts';
import { chatFormatFor } from '../../src/tokenizer/format.ts';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.ts';
import { llama, llamaGreedy, llamaProbs, loadLlamaModel, ponderGreedy } from './gguf-llama.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'products-d256-q4_k_m.gguf');
const QUESTIONS = ['What is 47 * 58?', 'What is 90 * 17?', 'What is 55 * 98?', 'What is 12 * 45?'];
const skip = process.env.PONDER_BACKEND === 'ts' ? 'slow on the TypeScript backend' : false;

test.after(async () => { await (await llama()).dispose(); });

test('the fixture holds Q4_K (and Q6_K) matrices, as llama-quantize\'s Q4_K_M would', () => {
  const g = openGguf(FIXTURE);
  const types = new Set(g.tensors.filter((x) => x.shape.length === 2).map((x) => blockFormat(x.type).name));
  g.close();
  assert.ok(types.has('Q4_K'), [...types].join(', '));
  for (const t of types) assert.ok(['Q4_K', 'Q6_K'].includes(t), t);
});

test('Q4_K_M, trained model: llama.cpp\'s greedy continuations agree with ponder\'s runner and dequantised model', { skip, timeout: 120_000 }, async (t) => {
  const dequantised = loadAnyModel(FIXTURE);
  const tok = dequantised.tokenizer as Tokenizer;
  const format = chatFormatFor(tok)!;
  const runner = loadNativeQuant() ? createRunner(FIXTURE, { headActivations: 'ggml' }).runner : null;
  const sides: Record<string, (p: number[]) => number[]> = { dequantised: (p) => ponderGreedy(dequantised.model, p, 64, []) };
  if (runner) sides.runner = (p) => ponderGreedy(runner, p, 64, []);
  const model = await loadLlamaModel(FIXTURE);
  const agree: Record<string, { free: number; forced: number; total: number }> = {};
  try {
    for (const q of QUESTIONS) {
      const p = format.promptIds([{ role: 'user', content: q }], 'enabled'); // thinking forced on: a trace to follow
      const theirs = await llamaGreedy(model, p, 64, [], 128);
      for (const [name, greedy] of Object.entries(sides)) {
        const ours = greedy(p);
        assert.equal(ours.length, 64);
        assert.match(tok.decode(ours), /\d+\*\d+=\d+/, `${name}: a real trace, not noise: ${tok.decode(ours)}`);
        assert.ok(ours.indexOf(EOS_ID) > 0, `${name}: the answer ends within 64 tokens`);
        const a = (agree[name] ??= { free: 0, forced: 0, total: 0 });
        for (let i = 0; i < 64; i++) if (ours[i] === theirs[i]) a.free++;
        // With ponder's continuation held fixed, one flip cannot cascade.
        const forced = await llamaProbs(model, [...p, ...ours.slice(0, 63)], 128);
        for (let i = 0; i < 64; i++) {
          const top = [...forced[p.length - 1 + i]!.entries()].reduce((b, e) => (e[1] > b[1] ? e : b))[0];
          if (top === ours[i]) a.forced++;
          a.total++;
        }
      }
    }
  } finally { await model.dispose(); }
  t.diagnostic(JSON.stringify(agree));
  for (const [name, a] of Object.entries(agree)) {
    assert.ok(a.free / a.total >= 0.95, `${name}: ${a.free}/${a.total} free-running tokens agree`);
    assert.ok(a.forced / a.total >= 0.95, `${name}: ${a.forced}/${a.total} tokens agree with the continuation held fixed`);
  }
});
