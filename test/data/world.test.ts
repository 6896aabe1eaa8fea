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
