// Moderation of large inputs without stalling the server: every text is checked in full, long
// ones as overlapping slices (the overlap is longer than any rule phrase, so none is cut in two),
// a few thousand characters per turn of the event loop so other requests run in between.
import type { Moderator, ModerationResult } from './moderate.ts';
import { DEFAULT_POLICY, type Policy } from './policy.ts';

export const SLICE_CHARS = 4000;
export const SLICE_OVERLAP = 256;
/** Characters moderated between yields to the event loop (about 10 ms of work). */
const CHARS_PER_TURN = 8000;

/** A text as slices of at most SLICE_CHARS characters, each overlapping the one before. */
export function slices(text: string): string[] {
  if (text.length <= SLICE_CHARS) return [text];
  const out: string[] = [];
  for (let at = 0; ; at += SLICE_CHARS - SLICE_OVERLAP) {
    out.push(text.slice(at, at + SLICE_CHARS));
    if (at + SLICE_CHARS >= text.length) return out;
  }
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The first flagged result over all texts (in order), or null when none is flagged. Empty texts
 * are skipped. Between batches the event loop runs other work.
 */
export async function firstFlagged(moderator: Moderator, texts: string[], policy: Policy = DEFAULT_POLICY): Promise<ModerationResult | null> {
  const queue = texts.filter((t) => t.trim() !== '').flatMap(slices);
  for (let i = 0; i < queue.length;) {
    const batch: string[] = [];
    let chars = 0;
    while (i < queue.length && (batch.length === 0 || chars + queue[i].length <= CHARS_PER_TURN)) { chars += queue[i].length; batch.push(queue[i++]); }
    const hit = moderator.moderateMany(batch, policy).find((r) => r.flagged);
    if (hit) return hit;
    if (i < queue.length) await yieldToLoop();
  }
  return null;
}
