// The lookup trace of several-step story questions (src/data/world/story.ts lookupOrder), checked
// against an independent reading of the story text (story-reader.ts). For random stories with
// training, held-out and invented words: every sentence is a verbatim story sentence; the first is
// the object's last take (who has it); then its put-down, when the object lies where it was put;
// then the taker's last move before that put-down (or before the end); the conclusion names that
// move's place, which is the simulated place and the grader's answer. The facts are the chain's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storyItem, type StoryItem } from '../../src/data/world/story.ts';
import { buildWorld } from '../../src/data/world/index.ts';
import { HELD_OUT } from '../../src/data/world/lexicon.ts';
import { Rng } from '../../src/tasks/rng.ts';
import { lexicons, objectOf, parse, simulate, split, storyOf } from './story-reader.ts';

/** The lookup a reader does, from the story alone: indices of the take, the put-down (or -1) and the move. */
function lookups(story: string[], o: string): [number, number, number] {
  const take = story.findLastIndex((x) => x.endsWith(` took the ${o}.`));
  const taker = parse(story[take]!).who;
  const drop = story.findLastIndex((x) => x.endsWith(` put down the ${o}.`));
  const until = drop > take ? drop : story.length;
  const move = story.slice(0, until).findLastIndex((x) => x.startsWith(`${taker} went to `));
  return [take, drop > take ? drop : -1, move];
}

/** Checks a lookup trace against the story; returns its conclusion's place. */
function checkLookup(s: StoryItem): string {
  const story = storyOf(s), o = objectOf(s);
  const sentences = split(s.reasoning);
  const conclusion = sentences.pop()!;
  const [take, drop, move] = lookups(story, o);
  const expected = [take, ...(drop >= 0 ? [drop] : []), move].map((i) => story[i]!);
  assert.deepEqual(sentences, expected, `${s.question} / ${s.reasoning}`);
  const place = parse(story[move]!).what;
  assert.equal(conclusion, `So the ${o} is at the ${place}.`, s.reasoning);
  return place;
}

for (const [name, lex] of lexicons) {
  test(`lookup traces (${name}): the take, its put-down, the taker's last move before it; the grader's answer`, () => {
    const r = new Rng(12);
    let moveBeforeTake = 0, threeFacts = 0;
    for (let i = 0; i < 1500; i++) {
      const s = storyItem(r, lex(r), true, 'lookup');
      const place = checkLookup(s);
      assert.equal(`At the ${place}.`, s.answer, `${s.question} / ${s.reasoning}`);
      assert.equal(simulate(storyOf(s), objectOf(s)), place, s.question);
      const [take, , move] = lookups(storyOf(s), objectOf(s));
      if (move < take) moveBeforeTake++;
      if (split(s.reasoning).length === 4) threeFacts++;
    }
    // Not vacuous: the case the chain starts with the move (put down where it was taken), and three-fact traces.
    assert.ok(moveBeforeTake >= 100, `${moveBeforeTake} traces take their place from a move before the take`);
    assert.ok(threeFacts >= 300, `${threeFacts} traces have three facts`);
  });
}

test('the lookup trace is the chain\'s facts reordered: same stories, questions, answers and random stream', () => {
  const a = new Rng(5), b = new Rng(5);
  for (let i = 0; i < 500; i++) {
    const multi = i % 3 !== 0;
    const chain = storyItem(a, HELD_OUT, multi, 'chain'), lookup = storyItem(b, HELD_OUT, multi, 'lookup');
    assert.deepEqual({ ...lookup, reasoning: '' }, { ...chain, reasoning: '' });
    assert.deepEqual(split(lookup.reasoning).sort(), split(chain.reasoning).sort());
  }
  assert.equal(a.int(0, 1e9), b.int(0, 1e9));
  // and the world option reaches instruction tuning
  const o = { seed: 3, pretrainDocs: 10, sftConversations: 400, pairs: 10, heldOut: 10 };
  const lookupWorld = buildWorld({ ...o, storyTrace: 'lookup' });
  const checked = lookupWorld.sft.filter((c) => /\nWhere is the \w+\?$/.test(c.messages[0]!.content) && split(c.messages[1]!.reasoning!).length >= 3);
  assert.ok(checked.length > 20, `${checked.length} several-step conversations`);
  for (const c of checked) checkLookup({ question: c.messages[0]!.content, answer: c.messages[1]!.content, reasoning: c.messages[1]!.reasoning!, task: '', steps: 0 });
});
