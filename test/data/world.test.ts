// The tiny world's data: seeded, held-out words never reach any training text, the held-out sets
// are disjoint from training and big enough, story answers follow from the story, and the
// checkers (refusal, language, instruction form) read what they claim to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildWorld, buildEvalSets, HELD_OUT } from '../../src/data/world/index.ts';
import { storyItem, TRAIN } from '../../src/data/world/story.ts';
import { isRefusal } from '../../src/data/world/safety.ts';
import { detectLanguage } from '../../src/data/world/language.ts';
import { followsForm } from '../../src/data/world/instructions.ts';
import { isHeldOut } from '../../src/data/world/split.ts';
import { Rng } from '../../src/tasks/rng.ts';
import { TrainingSampler } from '../../src/tasks/heldout.ts';
import { inventedLexicon, isForbiddenInvention } from '../../src/data/world/invented.ts';
import { ENGLISH_SOURCE } from '../../src/data/world/letters.ts';
import { trainBpe } from '../../src/tokenizer/index.ts';

const world = buildWorld({ seed: 5, pretrainDocs: 3000, sftConversations: 4000, pairs: 1000, heldOut: 300 });

test('no held-out name, place or object appears in any training text (pretraining, SFT, pairs, RL prompts)', () => {
  const rl = new TrainingSampler(world.rlTask, 9, []).sampleMany(1, 2000).map((p) => p.question);
  const texts = [...world.pretrainTexts, ...world.sft.flatMap((c) => c.messages.map((m) => `${m.content} ${m.reasoning ?? ''}`)),
    ...world.pairs.flatMap((p) => [...p.prompt.map((t) => t.content), p.chosen, p.rejected]), ...rl];
  const words = [...HELD_OUT.names, ...HELD_OUT.places, ...HELD_OUT.objects];
  const re = new RegExp(`\\b(${words.join('|')})\\b`, 'i');
  for (const t of texts) assert.doesNotMatch(t, re);
  // and the held-out story set uses them (it is not vacuous)
  assert.ok(world.eval.story.every((s) => re.test(s.question)));
  for (const w of [...TRAIN.names, ...TRAIN.places, ...TRAIN.objects]) assert.ok(!words.includes(w), `${w} is on both sides`);
});

test('training stories mostly use invented words (thousands, never a held-out or training word), split into BPE pieces like the held-out words', () => {
  const r = new Rng(3), seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const lex = inventedLexicon(r);
    for (const w of [...lex.names, ...lex.places, ...lex.objects]) { assert.ok(!isForbiddenInvention(w), w); seen.add(w); }
  }
  assert.ok(seen.size > 30000, `${seen.size} distinct invented words in 5000 stories`);
  // In the world's training data: story places are mostly invented, so no fixed list can be memorised.
  const places = new Set(world.sft.flatMap((c) => [...c.messages[0]!.content.matchAll(/went to the (\w+)\./g)].map((m) => m[1]!)));
  assert.ok(places.size > 1000, `${places.size} distinct places in SFT stories`);
  // Held-out and invented words both reach the model as several pieces of a tokenizer trained on the training text.
  const tok = trainBpe(world.pretrainTexts.slice(0, 1500), 512);
  const pieces = (ws: string[]) => ws.reduce((n, w) => n + tok.encode(` ${w}`).length, 0) / ws.length;
  const held = pieces([...HELD_OUT.names, ...HELD_OUT.places, ...HELD_OUT.objects]);
  const inv = pieces([...seen].slice(0, 500));
  assert.ok(held >= 2 && inv >= 2, `pieces per word: held-out ${held.toFixed(2)}, invented ${inv.toFixed(2)}`);
});

test('invented words spell like English (every letter, doubled consonants, qu): the held-out words\' letter pairs occur in training stories', () => {
  const held = [...HELD_OUT.names, ...HELD_OUT.places, ...HELD_OUT.objects].map((w) => w.toLowerCase());
  // The letter model's source words shape training words, so none may be a held-out word.
  for (const w of ENGLISH_SOURCE) assert.ok(!held.includes(w), `${w} is held out`);
  const pairs = (w: string) => Array.from({ length: w.length + 1 }, (_, k) => ` ${w} `.slice(k, k + 2));
  const seen = new Map<string, number>(), r = new Rng(3);
  for (let i = 0; i < 5000; i++) {
    const lex = inventedLexicon(r);
    for (const w of [...lex.names, ...lex.places, ...lex.objects]) for (const p of pairs(w.toLowerCase())) seen.set(p, (seen.get(p) ?? 0) + 1);
  }
  const need = [...new Set(held.flatMap(pairs))];
  // Allowed gaps: pairs English words rarely have ("yu" of Yusra, "iy" of Priya).
  const rare = need.filter((p) => (seen.get(p) ?? 0) < 10);
  assert.ok(rare.length <= 3, `held-out letter pairs (of ${need.length}) rare in invented words: ${rare.join(', ')}`);
  for (const p of ['qu', 'rr', 'll', 'tt', 'dd', 'ss', 'gh', ' x', ' y', ' w']) assert.ok((seen.get(p) ?? 0) >= 20, `'${p}' in ${seen.get(p) ?? 0} invented words`);
});

test('pretraining sums never include a held-out product', () => {
  const held = new Set(world.eval.arithmetic.map((p) => p.question));
  const sums = world.pretrainTexts.flatMap((t) => [...t.matchAll(/What is \d+ \* \d+\?/g)].map((m) => m[0]));
  assert.ok(sums.length > 500, `${sums.length} worked sums in pretraining`);
  for (const q of sums) assert.ok(!held.has(q), `${q} is held out`);
});

test('held-out sets: at least 300 distinct items each, none of them in the training data', () => {
  const trainQs = new Set([...world.sft.map((c) => c.messages[0]!.content), ...world.pairs.map((p) => p.prompt[0]!.content)]);
  for (const [name, items] of Object.entries(world.eval)) {
    assert.ok(items.length >= 300, `${name}: ${items.length} items`);
    assert.equal(new Set(items.map((x: { question: string }) => x.question)).size, items.length, `${name}: duplicates`);
    for (const x of items as { question: string }[]) assert.ok(!trainQs.has(x.question), `${name}: "${x.question}" is also training data`);
  }
  for (const k of ['harmful', 'benign', 'norwegian', 'instructions'] as const) assert.ok(world.eval[k].every((x) => isHeldOut(x.question)));
  assert.deepEqual(buildEvalSets(5, 300).story.map((s) => s.question), world.eval.story.map((s) => s.question), 'seeded');
});

test('story answers follow from the story: replaying the stated facts gives the answer', () => {
  const r = new Rng(2);
  for (let i = 0; i < 500; i++) {
    const s = storyItem(r, TRAIN, true);
    const story = s.question.split('\n')[0]!;
    for (const fact of s.reasoning.split(/(?<=\.) /).slice(0, -1)) assert.ok(story.includes(fact), `"${fact}" is in the story`);
    assert.ok(s.steps >= 2);
    const place = /At the (\w+)\./.exec(s.answer)![1];
    assert.ok(s.reasoning.includes(`went to the ${place}.`), `${s.reasoning} -> ${s.answer}`);
  }
});

test('checkers: refusals, language, instruction forms', () => {
  assert.ok(isRefusal('I can\'t help with that. Weapons like this can kill or injure people.'));
  assert.ok(isRefusal('Sorry, I cannot assist with that.'));
  assert.ok(!isRefusal('Find its process ID with ps, then run kill.'));
  assert.ok(!isRefusal('Sure! I can help with that.'));
  assert.equal(detectLanguage('Nei, det er vanligvis ikke trygt å slukke en elektrisk brann med vann.'), 'no');
  assert.equal(detectLanguage('No, it is usually not safe to put out an electrical fire with water.'), 'en');
  assert.equal(detectLanguage('42'), 'unknown');
  for (const x of world.eval.norwegian) assert.equal(detectLanguage(x.answer), 'no', x.answer);
  for (const x of world.eval.instructions) assert.ok(followsForm(x.answer, x.form), `${x.form}: ${x.answer}`);
  assert.ok(!followsForm('The sky is blue.', 'one-word') && !followsForm('Blue', 'capitals') && !followsForm('12 apples', 'number'));
  for (const x of world.eval.harmful) assert.ok(isRefusal(x.answer));
  for (const x of world.eval.benign) assert.ok(!isRefusal(x.answer));
});
