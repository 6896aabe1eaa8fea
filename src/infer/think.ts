// The reasoning format: the model writes <think> reasoning </think> then the answer. This is the
// one parser that splits them everywhere (RL rewards, eval, the server), batch or streaming.
//
// Rules (both parsers share one state machine, so they always agree):
// - Text inside <think> ... </think> is reasoning; all text outside is the answer.
// - An unclosed <think> runs to the end: all reasoning, no answer.
// - Tags are exact, lower-case "<think>" and "</think>". A repeated <think> inside a block, or a
//   </think> outside one, is dropped and makes the output malformed; any tag ends the current
//   segment. Each segment is trimmed; segments of one kind are joined with "\n".
// - With `startsInThink` (a prompt template that already wrote <think>), the text starts inside
//   the block.
// - wellFormed: one block, opened first (only whitespace before it) or by the prompt, closed,
//   and no other tags. The answer may still be empty.

export const THINK_OPEN = '<think>';
export const THINK_CLOSE = '</think>';

/** The R1-Zero training prompt (DeepSeek-R1 paper, table 1), adapted to answers without tags. */
export function r1ZeroPrompt(question: string): string {
  return 'A conversation between User and Assistant. The User asks a question, and the Assistant ' +
    'solves it. The Assistant first thinks about the reasoning process in the mind and then gives ' +
    'the User the answer. The reasoning process is enclosed within <think> </think> tags, then ' +
    'the final answer follows, i.e., <think> reasoning process here </think> answer here.\n' +
    `User: ${question.trim()}\nAssistant:`;
}

export interface ParsedThink {
  /** The reasoning, or null when no think block was opened. */
  reasoning: string | null;
  /** The answer text (everything outside think blocks), trimmed; "" when there is none. */
  answer: string;
  /** A think block was opened and the text did not end inside it. */
  closed: boolean;
  wellFormed: boolean;
}

export interface ThinkEvent { type: 'reasoning' | 'content'; text: string }

export interface ThinkOptions { startsInThink?: boolean }

/**
 * Incremental parser: feed() chunks as they are generated (a tag may be split across chunks),
 * get reasoning/content events; finish() flushes. The concatenated texts of each event type
 * equal parseThink's reasoning and answer exactly.
 */
export class ThinkStreamParser {
  private inThink: boolean;
  private pending = '';          // unprocessed tail that may be the start of a tag
  private segStarted = false;    // has the current segment emitted non-whitespace text?
  private heldWs = '';           // whitespace inside a segment, emitted only if more text follows
  private emitted = { reasoning: false, content: false };
  private opens: number;
  private closes = 0;
  private stray = 0;
  private textBeforeOpen = false;
  private finished = false;
  private parts = { reasoning: '', content: '' };

  constructor(opts: ThinkOptions = {}) {
    this.inThink = opts.startsInThink ?? false;
    this.opens = this.inThink ? 1 : 0;
  }

  feed(chunk: string): ThinkEvent[] {
    if (this.finished) throw new Error('ThinkStreamParser: feed() after finish()');
    const out: ThinkEvent[] = [];
    let buf = this.pending + chunk;
    for (;;) {
      const iOpen = buf.indexOf(THINK_OPEN), iClose = buf.indexOf(THINK_CLOSE);
      const at = iOpen < 0 ? iClose : iClose < 0 ? iOpen : Math.min(iOpen, iClose);
      if (at < 0) break;
      this.text(buf.slice(0, at), out);
      const isOpen = at === iOpen;
      this.tag(isOpen);
      buf = buf.slice(at + (isOpen ? THINK_OPEN : THINK_CLOSE).length);
    }
    const hold = partialTagSuffix(buf);
    this.text(buf.slice(0, buf.length - hold), out);
    this.pending = buf.slice(buf.length - hold);
    return out;
  }

  /** Flushes a held partial tag as text; the stream is over. */
  finish(): ThinkEvent[] {
    if (this.finished) return [];
    const out: ThinkEvent[] = [];
    this.text(this.pending, out);
    this.pending = '';
    this.finished = true;
    return out;
  }

  /** The parse of everything fed so far (call after finish() for the final answer). */
  result(): ParsedThink {
    const opened = this.opens > 0;
    return {
      reasoning: opened ? this.parts.reasoning : null,
      answer: this.parts.content,
      closed: opened && !this.inThink,
      wellFormed: this.opens === 1 && this.closes === 1 && this.stray === 0 && !this.textBeforeOpen,
    };
  }

  private tag(isOpen: boolean): void {
    this.segStarted = false;
    this.heldWs = '';
    if (isOpen) {
      if (this.inThink) { this.stray++; return; }
      this.inThink = true;
      this.opens++;
    } else {
      if (!this.inThink) { this.stray++; return; }
      this.inThink = false;
      this.closes++;
    }
  }

  private text(s: string, out: ThinkEvent[]): void {
    if (s === '') return;
    const type = this.inThink ? 'reasoning' : 'content';
    if (!this.segStarted) s = s.trimStart();
    if (s === '') return;
    const core = s.trimEnd();
    if (core === '') { this.heldWs += s; return; }
    if (type === 'content' && this.opens === 0) this.textBeforeOpen = true;
    let emit = this.segStarted ? this.heldWs + core : core;
    if (!this.segStarted && this.emitted[type]) emit = '\n' + emit;
    this.segStarted = true;
    this.emitted[type] = true;
    this.heldWs = s.slice(core.length);
    this.parts[type] += emit;
    out.push({ type, text: emit });
  }
}

/** Length of the longest suffix of s that is a proper prefix of a tag (it might complete later). */
function partialTagSuffix(s: string): number {
  const max = Math.min(s.length, THINK_CLOSE.length - 1);
  for (let k = max; k > 0; k--) {
    const tail = s.slice(s.length - k);
    if (THINK_OPEN.startsWith(tail) || THINK_CLOSE.startsWith(tail)) return k;
  }
  return 0;
}

/** Splits a completion into reasoning and answer (see the rules at the top of this file). */
export function parseThink(text: string, opts: ThinkOptions = {}): ParsedThink {
  const p = new ThinkStreamParser(opts);
  p.feed(text);
  p.finish();
  return p.result();
}
