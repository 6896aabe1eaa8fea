// The walk: a story reasoning trace that needs no look-ahead. The chain trace (story.ts
// chainFor) lists only the facts the answer follows from ("Rosalind took the violin. Rosalind
// went to the cellar."), so its first sentence already depends on what comes later in the story
// (which take is the last one? is the object put down before its taker moves on?). The walk goes
// through the story in order and copies, verbatim, every sentence that moves the object or its
// holder:
//   - it starts at the object's first take, with the taker's last move before it (where the taker
//     stood: the nearest earlier move of the person whose take comes next);
//   - then, in story order, each sentence that takes or puts down the object, or moves the
//     person who holds it now (the subject of the last copied take or move; nobody after a put-down);
//   - and concludes "So the scarf is at the attic.", the place of the last move it copied (the
//     object is with its holder or where they put it down, and a taker stands where the object
//     lies, so the last copied move always names the object's place).
// "Bodil went to the attic. Bodil took the scarf. Bodil put down the scarf. So the scarf is at the attic."
// Each step depends only on the sentences already copied, never on what comes later.
// A variant with the state written after every sentence ("Bodil has it at the attic.") was a
// third of the held-out questions over the 96-token generation budget (story-errors.md).

/** One sentence of a story, as the generator made it. */
export interface StoryEvent {
  kind: 'move' | 'take' | 'drop';
  person: string;
  /** The place moved to (kind 'move'). */
  place?: string;
  /** The object taken or put down (kind 'take' or 'drop'). */
  object?: string;
  text: string;
}

export interface Walk {
  /** Indices of the copied events, increasing. */
  copied: number[];
  /** The object's place at the end: the place of the last copied move. */
  place: string;
}

/** The walk for object o over the story's events, or null when o is never taken. */
export function walkFor(events: readonly StoryEvent[], o: string): Walk | null {
  const lastMove = new Map<string, number>();
  const copied: number[] = [];
  let holder: string | null = null, place: string | null = null;
  events.forEach((e, i) => {
    if (e.kind === 'move') {
      lastMove.set(e.person, i);
      if (e.person === holder) { copied.push(i); place = e.place!; }
    } else if (e.object !== o) {
      // another object: not part of this walk
    } else if (e.kind === 'take') {
      if (place === null) {
        const stood = lastMove.get(e.person);
        if (stood === undefined) throw new Error(`story walk: ${e.person} took the ${o} before going anywhere`);
        copied.push(stood);
        place = events[stood]!.place!;
      }
      holder = e.person;
      copied.push(i);
    } else {
      holder = null;
      copied.push(i);
    }
  });
  return place === null ? null : { copied, place };
}

/** The walk as reasoning text, ending in the conclusion the answer repeats. */
export function walkReasoning(events: readonly StoryEvent[], w: Walk, o: string): string {
  return `${w.copied.map((i) => events[i]!.text).join(' ')} So the ${o} is at the ${w.place}.`;
}
