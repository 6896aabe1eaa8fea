// The walk trace of several-step story questions (src/data/world/story-walk.ts), checked against
// an independent reading of the story text: a small simulator that parses the sentences and
// tracks people, holders and objects. For random stories (training words, invented words,
// held-out words): every copied sentence is a verbatim story sentence, in story order; each copied
// sentence is the one a reader who knows only the trace so far would copy next (no look-ahead);
// the conclusion's place is the last copied move's and equals the simulated place and the
// grader's answer. The walk changes only the reasoning: questions and answers stay those of the chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storyItem, type StoryItem } from '../../src/data/world/story.ts';
import { buildWorld } from '../../src/data/world/index.ts';
import { HELD_OUT } from '../../src/data/world/lexicon.ts';
import { Rng } from '../../src/tasks/rng.ts';
import { lexicons, objectOf, parse, simulate, split, storyOf } from './story-reader.ts';

/** Checks a walk against the story; returns the place its last copied move names. */
function checkWalk(s: StoryItem): string {
  const story = storyOf(s), o = objectOf(s);
  const sentences = split(s.reasoning);
  const conclusion = sentences.pop()!;
  assert.match(conclusion, new RegExp(`^So the ${o} is at the \\w+\\.$`), s.reasoning);
  // The reader's walk, from the story and the trace so far only. It starts at the object's first
  // take, after its taker's nearest earlier move; then the holder is the subject of the last copied
  // take or move (nobody after a put-down), and the next copied sentence is the first story
  // sentence after the last copied one that takes or puts down the object or moves the holder.
  const firstTake = story.findIndex((x) => x.endsWith(`took the ${o}.`));
  const taker = parse(story[firstTake]!).who;
  const at = [story.slice(0, firstTake).findLastIndex((x) => x.startsWith(`${taker} went to `)), firstTake];
  for (;;) {
    const last = parse(story[at[at.length - 1]!]!), holder = last.kind === 'drop' ? null : last.who;
    const relevant = (x: string) => { const p = parse(x); return p.kind === 'move' ? p.who === holder : p.what === o; };
    const next = story.findIndex((x, i) => i > at[at.length - 1]! && relevant(x));
    if (next < 0) break;
    at.push(next);
  }
  // The trace copies exactly those sentences, verbatim and in story order.
  assert.ok(at[0]! >= 0 && at.every((i, k) => k === 0 || i > at[k - 1]!));
  assert.deepEqual(sentences, at.map((i) => story[i]!), `${s.question} / ${s.reasoning}`);
  const moves = sentences.map(parse).filter((p) => p.kind === 'move');
  const place = moves[moves.length - 1]!.what;
  assert.ok(conclusion.endsWith(`at the ${place}.`), `the conclusion names the last copied move's place: ${s.reasoning}`);
  return place;
}

for (const [name, lex] of lexicons) {
  test(`walk traces (${name}): verbatim, in story order, local, and their last move gives the grader's answer`, () => {
    const r = new Rng(11);
    let longest = 0, putDownBeforeMoving = 0;
    for (let i = 0; i < 1500; i++) {
      const s = storyItem(r, lex(r), true, 'walk');
      const place = checkWalk(s);
      assert.equal(`At the ${place}.`, s.answer, `${s.question} / ${s.reasoning}`);
      assert.equal(simulate(storyOf(s), objectOf(s)), place, s.question);
      longest = Math.max(longest, split(s.reasoning).length);
      if (/took the (\w+)\. \w+ put down the \1\. So/.test(s.reasoning)) putDownBeforeMoving++;
    }
    // Not vacuous: walks longer than any chain, and the case the chain got wrong (taken, then
    // put down where the taker stood before moving on).
    assert.ok(longest >= 6, `longest walk ${longest} sentences`);
    assert.ok(putDownBeforeMoving >= 50, `${putDownBeforeMoving} walks end in a put-down right after the take`);
  });
}

test('the trace changes only the reasoning: the same stories, questions, answers and random stream as the chain', () => {
  const a = new Rng(4), b = new Rng(4);
  for (let i = 0; i < 500; i++) {
    const multi = i % 3 !== 0;
    const chain = storyItem(a, HELD_OUT, multi, 'chain'), walk = storyItem(b, HELD_OUT, multi, 'walk');
    assert.deepEqual({ ...walk, reasoning: '' }, { ...chain, reasoning: '' });
    if (!multi) assert.equal(walk.reasoning, chain.reasoning);
  }
  assert.equal(a.int(0, 1e9), b.int(0, 1e9));
  // and the world option reaches instruction tuning: same conversations, walk reasoning on the several-step ones
  const o = { seed: 3, pretrainDocs: 10, sftConversations: 400, pairs: 10, heldOut: 10 };
  const chainWorld = buildWorld({ ...o, storyTrace: 'chain' }), walkWorld = buildWorld({ ...o, storyTrace: 'walk' });
  assert.deepEqual(walkWorld.sft.map((c) => c.messages[0]!.content), chainWorld.sft.map((c) => c.messages[0]!.content));
  const differ = walkWorld.sft.filter((c, i) => c.messages[1]!.reasoning !== chainWorld.sft[i]!.messages[1]!.reasoning);
  assert.ok(differ.length > 20, `${differ.length} conversations reason differently`);
  for (const c of differ) checkWalk({ question: c.messages[0]!.content, answer: c.messages[1]!.content, reasoning: c.messages[1]!.reasoning!, task: '', steps: 0 });
});
