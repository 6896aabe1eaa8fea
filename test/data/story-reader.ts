// An independent reading of the tiny world's story text for the trace tests: a parser of its three
// sentence forms and a simulator that replays them (people's places, holders, dropped objects).
import assert from 'node:assert/strict';
import type { StoryItem } from '../../src/data/world/story.ts';
import { TRAIN, HELD_OUT, type Lexicon } from '../../src/data/world/lexicon.ts';
import { inventedLexicon } from '../../src/data/world/invented.ts';
import type { Rng } from '../../src/tasks/rng.ts';

export type Parsed = { kind: 'move' | 'take' | 'drop'; who: string; what: string };
export function parse(sentence: string): Parsed {
  const m = /^(\w+) (went to|took|put down) the (\w+)\.$/.exec(sentence);
  if (!m) throw new Error(`not a story sentence: ${sentence}`);
  return { kind: m[2] === 'went to' ? 'move' : m[2] === 'took' ? 'take' : 'drop', who: m[1]!, what: m[3]! };
}

export const split = (text: string) => text.split(/(?<=\.) /);
export const storyOf = (s: StoryItem) => split(s.question.split('\n')[0]!);
export const objectOf = (s: StoryItem) => /^Where is the (\w+)\?$/.exec(s.question.split('\n')[1]!)![1]!;

/** Where an object is at the end, by replaying the story. */
export function simulate(story: string[], o: string): string | null {
  const at = new Map<string, string>(), objAt = new Map<string, string>(), holder = new Map<string, string>();
  for (const p of story.map(parse)) {
    if (p.kind === 'move') at.set(p.who, p.what);
    else if (p.kind === 'take') { assert.ok(!holder.has(p.what), 'a held object is not taken'); holder.set(p.what, p.who); }
    else { assert.equal(holder.get(p.what), p.who, 'only the holder puts down'); holder.delete(p.what); objAt.set(p.what, at.get(p.who)!); }
  }
  const h = holder.get(o);
  return h ? at.get(h) ?? null : objAt.get(o) ?? null;
}

/** Training, held-out and invented words: the lexicons stories are told with. */
export const lexicons: [string, (r: Rng) => Lexicon][] = [['training words', () => TRAIN], ['held-out words', () => HELD_OUT], ['invented words', (r) => inventedLexicon(r)]];
