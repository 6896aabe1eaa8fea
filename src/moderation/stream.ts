// The output filter for streamed answers: text arrives in small deltas; it is checked whenever
// `every` new characters have gathered (and once more at the end), always over the whole text so
// far, so a phrase split across deltas is still caught. The first flagged result is reported once;
// the server then stops the stream, sends finish_reason "content_filter", and the page retracts
// the partial answer.
import { PonderError } from '../errors.ts';
import type { Moderator, ModerationResult } from './moderate.ts';
import { DEFAULT_POLICY, type Policy } from './policy.ts';

export class StreamFilter {
  private text = '';
  private checkedUpTo = 0;
  /** The first flagged result, once there is one; later pushes are ignored. */
  hit: ModerationResult | null = null;
  /** Characters of text at the moment of the hit. */
  hitAt = -1;

  constructor(
    private readonly moderator: Moderator,
    private readonly policy: Policy = DEFAULT_POLICY,
    private readonly every = 64,
  ) {
    if (!Number.isInteger(every) || every < 1) throw new PonderError(`stream filter chunk size must be a positive integer, got ${every}`);
  }

  /** Adds a delta; returns the hit when this push caused the first one, else null. */
  push(delta: string): ModerationResult | null {
    if (this.hit || !this.policy.enabled || !this.policy.output) return null;
    this.text += delta;
    if (this.text.length - this.checkedUpTo < this.every) return null;
    return this.check();
  }

  /** Checks whatever has not been checked yet; call when the stream ends. */
  end(): ModerationResult | null {
    if (this.hit || !this.policy.enabled || !this.policy.output || this.checkedUpTo === this.text.length) return null;
    return this.check();
  }

  get textSoFar(): string {
    return this.text;
  }

  private check(): ModerationResult | null {
    this.checkedUpTo = this.text.length;
    const r = this.moderator.moderate(this.text, this.policy);
    if (!r.flagged) return null;
    this.hit = r;
    this.hitAt = this.text.length;
    return r;
  }
}
