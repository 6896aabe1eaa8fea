import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultModerator, Moderator } from '../../src/moderation/moderate.ts';
import { parseRules } from '../../src/moderation/rules.ts';
import { StreamFilter } from '../../src/moderation/stream.ts';
import { DEFAULT_POLICY, OFF_POLICY, PolicyBook, moderationEnabledByEnv, parsePolicy } from '../../src/moderation/policy.ts';
import { handleModerations } from '../../src/moderation/http.ts';

const m = defaultModerator();

test('moderate: rules and classifier together, policy categories and thresholds', () => {
  const r = m.moderate('what is the quickest way to end my life');
  assert.equal(r.flagged, true);
  assert.equal(r.categories['self-harm'], true);
  assert.equal(r.rule?.rule, 'keyword:end my life');
  assert.equal(r.scores['self-harm'], 1);
  // No rule fires here; the classifier alone flags it.
  const c = m.moderate('please help me strangle my landlord when he gets home');
  assert.deepEqual(c.hits, []);
  assert.equal(c.flagged, true, JSON.stringify(c.scores));
  assert.equal(c.categories.violence, true);
  const safe = m.moderate('How do I kill a python process that hangs?');
  assert.equal(safe.flagged, false, JSON.stringify(safe.scores));
  // A policy that does not enforce the category, or a threshold above the score, lets it pass.
  assert.equal(m.moderate('please help me strangle my landlord', parsePolicy({ categories: ['pii'] })).flagged, false);
  assert.equal(m.moderate('please help me strangle my landlord', parsePolicy({ thresholds: { violence: 1 } })).categories.violence, false);
  assert.equal(m.moderate('I will kill myself', OFF_POLICY).flagged, false);
  assert.ok(Object.keys(r.categories).includes('pii'));
});

test('PONDER_MODERATION turns it off; policy books by key', () => {
  assert.equal(moderationEnabledByEnv({}), true);
  assert.equal(moderationEnabledByEnv({ PONDER_MODERATION: 'off' }), false);
  assert.equal(moderationEnabledByEnv({ PONDER_MODERATION: 'OFF' }), false);
  assert.throws(() => moderationEnabledByEnv({ PONDER_MODERATION: 'maybe' }), /PONDER_MODERATION must be on or off/);
  const book = PolicyBook.parse({ default: { threshold: 0.7 }, keys: { key_a: { enabled: false }, key_b: { categories: ['pii'] } } }, 'p.json', true);
  assert.equal(book.forKey(null).threshold, 0.7);
  assert.equal(book.forKey('key_a').enabled, false);
  assert.deepEqual(book.forKey('key_b').categories, ['pii']);
  assert.equal(book.forKey('key_b').threshold, 0.7); // inherits the default
  assert.equal(book.forKey('unknown').threshold, 0.7);
  const off = PolicyBook.parse({}, 'p.json', false);
  assert.equal(off.forKey('key_b').enabled, false);
  assert.throws(() => PolicyBook.parse({ keys: { k: { threshold: 2 } } }, 'p.json', true), /p\.json: keys\.k\.threshold must be a number in \[0, 1\]/);
  assert.throws(() => parsePolicy({ enabld: true }), /unknown field "enabld"/);
  assert.equal(DEFAULT_POLICY.enabled, true);
});

test('streaming filter: a phrase split across deltas is caught once, at the first check after it', () => {
  const rules = new Moderator(parseRules({ categories: { bad: { keywords: ['kill myself'] } } }));
  const f = new StreamFilter(rules, DEFAULT_POLICY, 16);
  const deltas = ['Here is a long and ', 'harmless start. Then I w', 'ant to k', 'i', 'll my', 'self and more', ' text after'];
  const hits: number[] = [];
  deltas.forEach((d, i) => { if (f.push(d)) hits.push(i); });
  assert.deepEqual(hits, [5]);
  assert.equal(f.hit?.rule?.rule, 'keyword:kill myself');
  assert.equal(f.hitAt, deltas.slice(0, 6).join('').length);
  assert.equal(f.end(), null); // reported once only
  // A tail shorter than the chunk size is checked at the end.
  const g = new StreamFilter(rules, DEFAULT_POLICY, 1000);
  assert.equal(g.push('I want to kill myself'), null);
  assert.equal(g.end()?.flagged, true);
  // Clean text never hits; an off policy never checks.
  const h = new StreamFilter(rules, DEFAULT_POLICY, 4);
  for (const d of 'The skill of killing time is myself-taught.'.split(' ')) assert.equal(h.push(d + ' '), null);
  assert.equal(h.end(), null);
  const o = new StreamFilter(rules, OFF_POLICY, 1);
  assert.equal(o.push('kill myself'), null);
  assert.equal(o.end(), null);
});

test('POST /v1/moderations in OpenAI shape', async () => {
  const r = await handleModerations({ input: ['I want to k1ll myself', 'What is the capital of France?'] });
  assert.equal(r.status, 200);
  const j = r.json as { id: string; model: string; results: { flagged: boolean; categories: Record<string, boolean>; category_scores: Record<string, number>; category_applied_input_types: Record<string, string[]> }[] };
  assert.match(j.id, /^modr-/);
  assert.equal(j.model, 'ponder-moderation-1');
  assert.equal(j.results.length, 2);
  assert.equal(j.results[0].flagged, true);
  assert.equal(j.results[0].categories['self-harm'], true);
  assert.equal(j.results[1].flagged, false);
  assert.deepEqual(Object.keys(j.results[1].category_scores), Object.keys(j.results[1].categories));
  assert.deepEqual(j.results[1].category_applied_input_types['self-harm'], ['text']);
  assert.equal((await handleModerations({ input: 'card 4111 1111 1111 1111' })).status, 200);
  assert.equal((((await handleModerations({ input: [{ type: 'text', text: 'card 4111 1111 1111 1111' }]})).json as typeof j).results[0].categories.pii), true);
  for (const bad of [null, [], {}, { input: 5 }, { input: [] }, { input: [{ type: 'image_url' }] }, { input: 'x'.repeat(40_000) }]) {
    const e = await handleModerations(bad);
    assert.equal(e.status, 400, JSON.stringify(bad)?.slice(0, 40));
    assert.equal((e.json as { error: { type: string } }).error.type, 'invalid_request_error');
  }
});
