// Questions about a short story given in the prompt (in the spirit of bAbI): people move between
// places and pick up and drop objects; the question asks where a person or an object is, or who
// has an object. Several-step questions need facts chained ("Tom took the apple. Tom went to the
// garden. Where is the apple?": the apple moved with Tom). The answer is checkable, so RL can
// reward it; the reasoning written for training either lists exactly the facts the answer follows
// from (the chain) or walks through the story in order tracking the object (story-walk.ts).
import type { Problem, Task } from '../../tasks/types.ts';
import type { Rng } from '../../tasks/rng.ts';
import { pick, pickDistinct, cap, TRAIN, HELD_OUT, type Lexicon } from './lexicon.ts';
import { walkFor, walkReasoning, type StoryEvent } from './story-walk.ts';

export const STORY_TASK = 'world-story';

/**
 * The reasoning written for several-step questions: 'chain' lists only the facts the answer
 * follows from, in story order (choosing its first sentence needs look-ahead); 'lookup' lists the
 * same facts in the order they can be found: the object's last take (who has it), its put-down if
 * any, then the taker's last move before that (lookupOrder); 'walk' goes through the story in
 * order, tracking the object (story-walk.ts). All tell the same stories and ask the same questions.
 */
export type StoryTrace = 'chain' | 'lookup' | 'walk';

export interface StoryItem extends Problem {
  /** The reasoning that answers it: the facts used, then the conclusion. */
  reasoning: string;
  /** Facts chained to answer (1: read one sentence; 2 or more: several steps). */
  steps: number;
}

interface World { at: Map<string, string>; holder: Map<string, string | null>; objAt: Map<string, string | null> }

/** Where an object is: with its holder (wherever they are), or where it was dropped. */
function whereObject(w: World, o: string): string | null {
  const h = w.holder.get(o);
  return h ? w.at.get(h) ?? null : w.objAt.get(o) ?? null;
}

/**
 * A story of 4 to 8 events over 2 or 3 people and 2 objects, and one question about its end.
 * multiStep: ask where an object is after it was carried (2+ facts); otherwise a 1-fact question.
 * trace chooses the several-step questions' reasoning (it draws nothing from r).
 */
export function storyItem(r: Rng, lex: Lexicon, multiStep: boolean, trace: StoryTrace = 'chain'): StoryItem {
  for (;;) {
    const people = pickDistinct(r, lex.names, 2 + r.int(0, 1));
    const places = pickDistinct(r, lex.places, 3);
    const objects = pickDistinct(r, lex.objects, 2);
    const w: World = { at: new Map(), holder: new Map(objects.map((o) => [o, null])), objAt: new Map(objects.map((o) => [o, null])) };
    const lines: string[] = [], told: StoryEvent[] = [];
    // Per object, the sentences that decide where it is now (for the reasoning).
    const trail = new Map<string, string[]>(objects.map((o) => [o, []]));
    const moves = new Map<string, string>(); // person -> last "went to" sentence
    const events = 4 + r.int(0, 4);
    for (let e = 0; e < events; e++) {
      const p = pick(r, people), kind = r.int(0, 9);
      const held = objects.filter((o) => w.holder.get(o) === p);
      const free = objects.filter((o) => w.holder.get(o) === null && (w.objAt.get(o) === null || w.objAt.get(o) === w.at.get(p)));
      let s: string;
      if (kind < 5 || !w.at.has(p)) {
        const dest = pick(r, places.filter((x) => x !== w.at.get(p)));
        w.at.set(p, dest);
        s = `${p} went to the ${dest}.`;
        told.push({ kind: 'move', person: p, place: dest, text: s });
        moves.set(p, s);
        for (const o of held) trail.get(o)!.push(s);
      } else if (kind < 8 && free.length) {
        const o = pick(r, free);
        w.holder.set(o, p);
        s = `${p} took the ${o}.`;
        told.push({ kind: 'take', person: p, object: o, text: s });
        // Where the taker stood matters if they put it down before moving on.
        trail.set(o, [moves.get(p)!, s]);
      } else if (held.length) {
        const o = pick(r, held);
        w.holder.set(o, null);
        w.objAt.set(o, w.at.get(p)!);
        s = `${p} put down the ${o}.`;
        told.push({ kind: 'drop', person: p, object: o, text: s });
        trail.get(o)!.push(s);
      } else continue;
      lines.push(s);
    }
    const story = lines.join(' ');
    if (multiStep) {
      // An object that was taken and then carried or put down: its place needs 2 or 3 facts.
      const cands = objects.filter((o) => chainFor(trail.get(o)!) !== null && whereObject(w, o) !== null);
      if (!cands.length) continue;
      const o = pick(r, cands);
      const place = whereObject(w, o)!;
      const facts = chainFor(trail.get(o)!)!;
      const written = trace === 'lookup' ? lookupOrder(facts) : facts;
      const reasoning = trace === 'walk' ? walkReasoning(told, walkFor(told, o)!, o) : `${written.join(' ')} So the ${o} is at the ${place}.`;
      return { question: `${story}\nWhere is the ${o}?`, answer: `At the ${place}.`, task: STORY_TASK, reasoning, steps: facts.length };
    }
    const askPerson = r.int(0, 1) === 0;
    if (askPerson) {
      const known = people.filter((p) => moves.has(p));
      if (!known.length) continue;
      const p = pick(r, known);
      return { question: `${story}\nWhere is ${p}?`, answer: `At the ${w.at.get(p)}.`, task: STORY_TASK, reasoning: `${moves.get(p)} So ${p} is at the ${w.at.get(p)}.`, steps: 1 };
    }
    const held = objects.filter((o) => w.holder.get(o));
    if (!held.length) continue;
    const o = pick(r, held), h = w.holder.get(o)!;
    return { question: `${story}\nWho has the ${o}?`, answer: `${h}.`, task: STORY_TASK, reasoning: `${h} took the ${o}. So ${h} has the ${o}.`, steps: 1 };
  }
}

/**
 * The facts an object's place follows from, in story order, from its trail [where the taker
 * stood, took, moves..., put down?]: the take and the taker's last move after it, or, when it was
 * put down, where the taker stood then and the put-down. null when the object did not move.
 */
function chainFor(trail: string[]): string[] | null {
  if (trail.length < 3 || !trail[1]!.includes(' took ')) return null;
  const last = trail[trail.length - 1]!;
  if (last.includes(' put down ')) {
    const moves = trail.slice(2, -1);
    return moves.length ? [trail[1]!, moves[moves.length - 1]!, last] : [trail[0]!, trail[1]!, last];
  }
  return [trail[1]!, last];
}

/**
 * The chain's facts in the order each can be looked up from what is already written: the take
 * (who took the object last), the put-down (did they put it down), then the move that gives the
 * place (the taker's last move before the put-down, or their last move). The chain starts with
 * the move when the taker put the object down where they took it, so its first word already
 * depends on the end of the story.
 */
export function lookupOrder(facts: string[]): string[] {
  const rank = (f: string) => (f.includes(' took ') ? 0 : f.includes(' put down ') ? 1 : 2);
  return [...facts].sort((a, b) => rank(a) - rank(b));
}

/** Story questions as a task for GRPO and evaluation (the default verifier: normalised text); lex may be drawn per story. */
export function storyTask(lex: Lexicon | ((r: Rng) => Lexicon) = TRAIN, multiShare = 0.7, trace: StoryTrace = 'chain'): Task {
  const lexFor = typeof lex === 'function' ? lex : () => lex;
  return {
    name: STORY_TASK,
    summary: 'questions about a short story in the prompt (where is X, who has X), some needing several steps',
    difficulty: { min: 1, max: 1 },
    generate: (r) => storyItem(r, lexFor(r), r.float() < multiShare, trace),
    verify: (a, p) => normaliseAnswer(a) === normaliseAnswer(p.answer),
    solveWithSteps: (p) => `${(p as StoryItem).reasoning ?? ''}\n${p.answer}`,
  };
}

const normaliseAnswer = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ').replace(/[.!]+$/, '');

export { HELD_OUT, TRAIN, cap };
