// Stop strings on streamed text: text is released only when no stop string can still begin in
// it, so a client never sees part of a stop string; the first match ends the text there.

export class StopMatcher {
  private held = '';
  private readonly hold: number;
  stopped = false;

  constructor(private readonly stops: readonly string[]) {
    this.hold = Math.max(0, ...stops.map((s) => s.length - 1));
  }

  /** Adds text; returns what may be released now. After a match, returns the text before it and stops. */
  push(text: string): string {
    if (this.stopped) return '';
    if (this.stops.length === 0) return text;
    const buf = this.held + text;
    let at = -1;
    for (const s of this.stops) {
      const i = buf.indexOf(s);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    if (at >= 0) {
      this.stopped = true;
      this.held = '';
      return buf.slice(0, at);
    }
    let cut = Math.max(0, buf.length - this.hold);
    // Never split a surrogate pair between released and held text.
    if (cut > 0 && cut < buf.length && isHighSurrogate(buf.charCodeAt(cut - 1))) cut--;
    this.held = buf.slice(cut);
    return buf.slice(0, cut);
  }

  /** The stream ended: release what was held. */
  flush(): string {
    const out = this.stopped ? '' : this.held;
    this.held = '';
    return out;
  }
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
