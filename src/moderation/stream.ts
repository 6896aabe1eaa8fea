// The output filter for streamed answers: text arrives in small deltas; it is checked whenever
// `every` new characters have gathered (and once more at the end). Each check reads the new text
// with up to WINDOW characters before it, so a phrase split across deltas is still caught while a
// long answer costs linear time, not quadratic. Reasoning and answer are separate texts: when the
// stream turns from one to the other a paragraph break goes between them ("260*60=15600" then
// "15600" must not read as "1560015600"). The first flagged result is reported once; the server
// then stops the stream, sends finish_reason "content_filter", and the page retracts the answer.
import { PonderError } from '../errors.ts';
import type { Moderator, ModerationResult } from './moderate.ts';
import { DEFAULT_POLICY, type Policy } from './policy.ts';

/** Characters of already-checked text re-read before the new text (longer than any rule phrase). */
export const WINDOW = 1024;
/** What goes between reasoning and answer (a word and sentence break for rules and classifier). */
export const PART_SEPARATOR = '\n\n';

export type StreamPart = 'reasoning' | 'content';

export class StreamFilter {
  /** The text not yet dropped: at most WINDOW checked characters, then the unchecked ones. */
  private text = '';
  private checkedUpTo = 0;
  private total = 0;
  private part: StreamPart | null = null;
  /** The first flagged result, once there is one; later pushes are ignored. */
  hit: ModerationResult | null = null;
  /** Characters of text (separators included) at the moment of the hit. */
  hitAt = -1;

  constructor(
    private readonly moderator: Moderator,
    private readonly policy: Policy = DEFAULT_POLICY,
    private readonly every = 64,
  ) {
    if (!Number.isInteger(every) || every < 1) throw new PonderError(`stream filter chunk size must be a positive integer, got ${every}`);
  }

  /** Adds a delta of reasoning or answer; returns the hit when this push caused the first one, else null. */
  push(delta: string, part: StreamPart = 'content'): ModerationResult | null {
    if (this.hit || !this.policy.enabled || !this.policy.output) return null;
    if (delta === '') return null;
    if (this.part !== null && this.part !== part) this.add(PART_SEPARATOR);
    this.part = part;
    this.add(delta);
    if (this.text.length - this.checkedUpTo < this.every) return null;
    return this.check();
  }

  /** Checks whatever has not been checked yet; call when the stream ends. */
  end(): ModerationResult | null {
    if (this.hit || !this.policy.enabled || !this.policy.output || this.checkedUpTo === this.text.length) return null;
    return this.check();
  }

  private add(s: string): void {
    this.text += s;
    this.total += s.length;
  }

  private check(): ModerationResult | null {
    const r = this.moderator.moderate(this.text, this.policy);
    // Keep only the window of checked text the next check re-reads.
    const drop = Math.max(0, this.text.length - WINDOW);
    this.text = this.text.slice(drop);
    this.checkedUpTo = this.text.length;
    if (!r.flagged) return null;
    this.hit = r;
    this.hitAt = this.total;
    return r;
  }
}
