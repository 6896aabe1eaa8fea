import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { generate } from '../../src/infer/generate.ts';
import { Engine, EngineOverloadedError, type TokenEvent } from '../../src/infer/engine.ts';
import { END_THINK_ID, THINK_ID } from '../../src/tokenizer/special.ts';

const cfg = validateConfig({ vocab_size: 64, d_model: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 64, max_seq_len: 64 });
const model = new Transformer(cfg, 5);

const prompts = [[1, 9, 12, 40, 3, 22, 17], [1, 30], [1, 50, 51, 52], [1, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8], [1, 60, 2]];
const lengths = [20, 7, 30, 12, 25];

test('concurrent greedy requests give exactly what each gives alone (reference: one-shot generate)', async () => {
  const engine = new Engine(model, { maxActive: 3 }); // fewer slots than requests: some wait, join mid-flight
  const results = await Promise.all(prompts.map((p, i) => engine.submit({ prompt: p, maxTokens: lengths[i], temperature: 0 })));
  prompts.forEach((p, i) => {
    const [alone] = generate(model, [p], { maxNewTokens: lengths[i], temperature: 0 });
    assert.deepEqual(results[i].tokens, alone.tokens, `request ${i}`);
    assert.equal(results[i].finish, 'length');
    assert.equal(results[i].promptTokens, p.length);
  });
  assert.equal(engine.activeCount, 0);
  assert.equal(engine.queueDepth, 0);
});

test('seeded sampling does not depend on the batch; logprobs match the reference', async () => {
  const engine = new Engine(model);
  const alone = await engine.submit({ prompt: prompts[0], maxTokens: 15, temperature: 1.2, seed: 7 });
  const evs: TokenEvent[] = [];
  const [together] = await Promise.all([
    engine.submit({ prompt: prompts[0], maxTokens: 15, temperature: 1.2, seed: 7, topLogprobs: 3, onToken: (e) => { evs.push(e); } }),
    engine.submit({ prompt: prompts[1], maxTokens: 15, temperature: 1.2, seed: 8 }),
  ]);
  assert.deepEqual(together.tokens, alone.tokens);
  const [ref] = generate(model, [prompts[0]], { maxNewTokens: 15, temperature: 1.2, seed: 7, topLogprobs: 3 });
  assert.deepEqual(ref.tokens, alone.tokens);
  evs.forEach((e, i) => {
    assert.ok(Math.abs(e.logprob - ref.logprobs[i]) < 1e-4, `logprob ${i}`);
    assert.deepEqual(e.top!.map((x) => x.token), ref.top![i].map((x) => x.token));
  });
});

test('stop tokens and onToken returning false end a sequence with finish stop', async () => {
  const engine = new Engine(model);
  const free = await engine.submit({ prompt: prompts[2], maxTokens: 30, temperature: 0 });
  const stopTok = free.tokens[4];
  const idx = free.tokens.indexOf(stopTok);
  const r = await engine.submit({ prompt: prompts[2], maxTokens: 30, temperature: 0, stopTokens: [stopTok] });
  assert.deepEqual(r.tokens, free.tokens.slice(0, idx + 1));
  assert.equal(r.finish, 'stop');
  let n = 0;
  const r2 = await engine.submit({ prompt: prompts[2], maxTokens: 30, temperature: 0, onToken: () => ++n < 3 });
  assert.equal(r2.tokens.length, 3);
  assert.equal(r2.finish, 'stop');
});

test('a cancelled request frees its slot at once, and a waiting one takes it', async () => {
  const engine = new Engine(model, { maxActive: 1 });
  const ac = new AbortController();
  let seen = 0;
  const long = engine.submit({ prompt: prompts[0], maxTokens: 50, temperature: 0, signal: ac.signal, onToken: () => { if (++seen === 3) setImmediate(() => ac.abort()); } });
  const next = engine.submit({ prompt: prompts[1], maxTokens: 5, temperature: 0 });
  assert.equal(engine.queueDepth, 2);
  const r = await long;
  assert.equal(r.finish, 'cancelled');
  assert.ok(r.tokens.length < 50 && r.tokens.length >= 3, `cancelled after ${r.tokens.length} tokens`);
  assert.equal(engine.activeCount, 0, 'the slot is free as soon as the abort fires');
  const r2 = await next;
  assert.equal(r2.finish, 'length');
  // A request cancelled while still waiting never runs.
  const ac2 = new AbortController();
  const a = engine.submit({ prompt: prompts[0], maxTokens: 10, temperature: 0 });
  const b = engine.submit({ prompt: prompts[1], maxTokens: 10, temperature: 0, signal: ac2.signal });
  ac2.abort();
  assert.equal(engine.queueDepth, 1);
  assert.equal((await b).tokens.length, 0);
  assert.equal((await a).tokens.length, 10);
});

test('a full queue refuses with EngineOverloadedError; bad requests are PonderErrors', async () => {
  const engine = new Engine(model, { maxActive: 1, maxQueue: 1 });
  const a = engine.submit({ prompt: [1], maxTokens: 3, temperature: 0 });
  const b = engine.submit({ prompt: [1], maxTokens: 3, temperature: 0 });
  assert.throws(() => engine.submit({ prompt: [1], maxTokens: 3 }), EngineOverloadedError);
  await Promise.all([a, b]);
  assert.throws(() => engine.submit({ prompt: [], maxTokens: 3 }), /empty/);
  assert.throws(() => engine.submit({ prompt: [1, 999], maxTokens: 3 }), /outside the vocabulary/);
  assert.throws(() => engine.submit({ prompt: new Array(64).fill(1), maxTokens: 3 }), /context/);
  // max tokens beyond the context are cut to what fits
  const r = await engine.submit({ prompt: new Array(60).fill(1), maxTokens: 100, temperature: 0 });
  assert.equal(r.tokens.length, 4);
  assert.equal(r.finish, 'length');
});

test('the thinking budget forces </think> after that many reasoning tokens', async () => {
  const engine = new Engine(model);
  const evs: TokenEvent[] = [];
  const r = await engine.submit({ prompt: [1, 5, THINK_ID], maxTokens: 12, temperature: 0, startsInThink: true, thinkingBudget: 4, stopTokens: [],
    onToken: (e) => { evs.push(e); } });
  const close = r.tokens.indexOf(END_THINK_ID);
  // This random model does not close the block by itself within 4 tokens, so the close is forced.
  assert.equal(close, 4, `</think> at ${close}`);
  assert.equal(evs[4].forced, true);
  assert.ok(evs.slice(0, 4).every((e) => !e.forced));
  assert.ok(evs.slice(0, close + 1).every((e) => e.reasoning));
  assert.ok(evs.slice(close + 1).every((e) => !e.reasoning));
  assert.equal(r.reasoningTokens, close + 1);
});

test('vocabLimit keeps sampling to ids below it (a tokenizer smaller than the model)', async () => {
  const engine = new Engine(model);
  const evs: TokenEvent[] = [];
  const r = await engine.submit({ prompt: [1, 2, 3], maxTokens: 40, temperature: 5, seed: 1, vocabLimit: 20, topLogprobs: 25, onToken: (e) => { evs.push(e); } });
  assert.ok(r.tokens.every((t) => t < 20));
  // log-probabilities are over the allowed ids: they sum to 1 there.
  for (const e of evs) {
    assert.equal(e.top!.length, 20);
    assert.ok(Math.abs(e.top!.reduce((a, x) => a + Math.exp(x.logprob), 0) - 1) < 1e-4);
  }
  const free = await engine.submit({ prompt: [1, 2, 3], maxTokens: 40, temperature: 5, seed: 1 });
  assert.ok(free.tokens.some((t) => t >= 20), 'without the limit, higher ids do come up');
});

test('a prefill budget spreads admissions over ticks without changing results', async () => {
  const engine = new Engine(model, { maxActive: 8, prefillTokensPerTick: 8 });
  const firstTick: number[] = [];
  const results = await Promise.all(prompts.map((p, i) => engine.submit({ prompt: p, maxTokens: lengths[i], temperature: 0,
    onToken: () => { firstTick[i] ??= engine.totals.ticks; } })));
  prompts.forEach((p, i) => assert.deepEqual(results[i].tokens, generate(model, [p], { maxNewTokens: lengths[i], temperature: 0 })[0].tokens));
  // Prompts of 7, 2, 4, 13 and 3 tokens, 8 per tick: admitted 7+2 | 4+13 | 3.
  assert.deepEqual(firstTick, [1, 1, 2, 2, 3]);
});

test('forced thinking can ban </think> as the first token; without the ban a model that wants it closes at once', async () => {
  // A model whose next token is </think> whatever the input: every embedding row is the same
  // vector v, the blocks add nothing (zero output projections), and the untied head scores only
  // </think>, by v itself.
  const c = validateConfig({ vocab_size: 64, d_model: 16, n_layers: 1, n_heads: 2, n_kv_heads: 2, d_ff: 32, max_seq_len: 32, tie_embeddings: false });
  const m = new Transformer(c, 1);
  const v = Float32Array.from({ length: 16 }, (_, i) => (i % 3) - 1 + 0.5);
  for (let r = 0; r < 64; r++) m.embed.data.set(v, r * 16);
  m.blocks[0].attn.o.weight.data.fill(0);
  m.blocks[0].mlp.down.weight.data.fill(0);
  m.lmHead!.weight.data.fill(0);
  m.lmHead!.weight.data.set(v.map((x) => 10 * x), END_THINK_ID * 16);
  const engine = new Engine(m);
  const prompt = [1, 4, 20, 5, THINK_ID];
  const free = await engine.submit({ prompt, maxTokens: 3, temperature: 1, seed: 1, startsInThink: true });
  assert.equal(free.tokens[0], END_THINK_ID);
  const banned = await engine.submit({ prompt, maxTokens: 3, temperature: 1, seed: 1, startsInThink: true, banFirst: [END_THINK_ID] });
  assert.notEqual(banned.tokens[0], END_THINK_ID);
  assert.equal(banned.tokens[1], END_THINK_ID, 'only the first token is constrained');
});
