// DeepSeek's chat prefix completion (the explorer's way to continue a text): a last assistant
// message with prefix: true is continued, not answered anew, and with logprobs every generated
// token carries its top alternatives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_ID, startTestServer } from './helpers.ts';
import { validateChatRequest } from '../../src/server/validate.ts';
import { ApiError } from '../../src/server/errors.ts';
import { THINK_ID, END_THINK_ID } from '../../src/tokenizer/index.ts';

const limits = { maxPromptChars: 10_000 };
const user = { role: 'user', content: 'tell me a story' };

test('validation: prefix only on the last message, an assistant one, and a boolean', () => {
  const r = validateChatRequest({ model: 'm', messages: [user, { role: 'assistant', content: '<think>once', prefix: true }] }, limits);
  assert.equal(r.prefix, '<think>once');
  assert.deepEqual(r.messages, [{ role: 'user', content: 'tell me a story' }]);
  assert.equal(validateChatRequest({ model: 'm', messages: [user, { role: 'assistant', content: 'a', prefix: false }] }, limits).prefix, undefined);
  const fails = (messages: unknown[], status: number, re: RegExp) => assert.throws(() => validateChatRequest({ model: 'm', messages }, limits),
    (e: unknown) => e instanceof ApiError && e.status === status && re.test(e.message));
  fails([{ ...user, prefix: true }], 422, /messages\[0\]\.prefix' is only allowed on the last message, an assistant one/);
  fails([{ role: 'assistant', content: 'a', prefix: true }, user], 422, /messages\[0\]\.prefix/);
  fails([user, { role: 'assistant', content: 'a', prefix: 'yes' }], 400, /messages\[1\]\.prefix' must be true or false/);
});

test('the prompt ends in the prefix, its think tags as the special tokens', async (t) => {
  const srv = await startTestServer(t);
  const tok = srv.backend.tokenizer;
  const base = srv.backend.promptIds(validateChatRequest({ model: MODEL_ID, messages: [user] }, limits));
  const ids = srv.backend.promptIds(validateChatRequest({ model: MODEL_ID, messages: [user, { role: 'assistant', content: '<think>once</think>upon', prefix: true }] }, limits));
  assert.deepEqual(ids, [...base, THINK_ID, ...tok.encode('once'), END_THINK_ID, ...tok.encode('upon')]);
});

test('greedy: continuing the prefix of a reply gives the reply\'s next token, with top logprobs', async (t) => {
  const srv = await startTestServer(t);
  const post = async (body: Record<string, unknown>) => {
    const r = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, temperature: 0, store: false, logprobs: true, top_logprobs: 5, thinking: { type: 'disabled' }, ...body }) });
    assert.equal(r.status, 200);
    return (await r.json()) as { choices: { message: { content: string }; logprobs: { content: { token: string; top_logprobs: { token: string }[] }[] } }[] };
  };
  const whole = await post({ messages: [user], max_tokens: 4 });
  const toks = whole.choices[0].logprobs.content.map((e) => e.token);
  assert.equal(toks.length, 4);
  // The disabled think block is part of the prompt in the first request: the prefix says it too.
  for (let k = 1; k < 4; k++) {
    const next = await post({ messages: [user, { role: 'assistant', content: '<think></think>' + toks.slice(0, k).join(''), prefix: true }], max_tokens: 1, thinking: undefined });
    const lp = next.choices[0].logprobs.content;
    assert.equal(lp.length, 1);
    assert.equal(lp[0].top_logprobs.length, 5);
    assert.equal(lp[0].token, toks[k], `token ${k} after the prefix ${JSON.stringify(toks.slice(0, k).join(''))}`);
  }
  // Inside an open think block the tokens are reasoning, and still carry logprobs (the explorer shows <think> paths).
  const inThink = await post({ messages: [user, { role: 'assistant', content: '<think>', prefix: true }], max_tokens: 1, thinking: undefined });
  assert.equal(inThink.choices[0].message.content, '');
  assert.equal(inThink.choices[0].logprobs.content[0].top_logprobs.length, 5);
});
