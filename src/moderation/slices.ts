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

/**
 * Each text's verdict, long texts judged slice by slice (a category's score is its highest over
 * the slices; flagged when any slice is). Between batches the event loop runs other work.
 */
export async function moderateSliced(moderator: Moderator, texts: string[], policy: Policy = DEFAULT_POLICY): Promise<ModerationResult[]> {
  const out: ModerationResult[] = [];
  let chars = 0;
  for (const text of texts) {
    let merged: ModerationResult | null = null;
    for (const part of slices(text)) {
      if (chars > 0 && chars + part.length > CHARS_PER_TURN) { await yieldToLoop(); chars = 0; }
      chars += part.length;
      const r = moderator.moderate(part, policy);
      merged = merged ? merge(merged, r) : r;
    }
    out.push(merged!);
  }
  return out;
}

function merge(a: ModerationResult, b: ModerationResult): ModerationResult {
  const r: ModerationResult = {
    flagged: a.flagged || b.flagged,
    categories: { ...a.categories },
    scores: { ...a.scores },
    hits: [...a.hits, ...b.hits],
  };
  for (const c of Object.keys(b.categories)) {
    r.categories[c] = (a.categories[c] ?? false) || b.categories[c];
    r.scores[c] = Math.max(a.scores[c] ?? 0, b.scores[c]);
  }
  const rule = a.rule ?? b.rule;
  if (rule) r.rule = rule;
  return r;
}
