// The store stage of a chat completion: the exchange is saved as it happens. The new turns and
// the assistant message (status 'partial', with its search citations) go in before the first
// token, the streamed text is appended every flush interval, and the message is finished with
// its status, counts and timings. A storage failure mid-stream is logged, never fails the answer.
import type { Logger } from 'pino';
import type { DB } from '../store/db.ts';
import { createConversation } from '../store/conversations.ts';
import { addMessage, appendToMessage, finishMessage, startMessage } from '../store/messages.ts';
import { addModerationEvent } from '../store/moderation.ts';
import type { Citation } from '../search/index.ts';
import type { ModerationResult } from '../moderation/index.ts';
import type { GenEvent } from './backend.ts';
import type { ChatRequest } from './validate.ts';

export interface Owner { userId: string; keyId: string | null }

export class StoredExchange {
  private pending = { content: '', reasoning: '' };
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly db: DB,
    private readonly log: Logger,
    private readonly owner: Owner,
    readonly conversationId: string,
    readonly messageId: string,
    readonly userMessageId: string | null,
  ) {}

  /**
   * Saves the request's new turns and starts the partial assistant message, in one transaction.
   * A new conversation stores every turn sent; a continued one only the last user turn (the rest
   * is stored already); a regeneration none.
   */
  static start(db: DB, log: Logger, owner: Owner, creq: ChatRequest, citations: Citation[] | undefined): StoredExchange {
    return db.transaction(() => {
      let conversationId = creq.conversationId;
      let turns = creq.messages;
      if (conversationId === undefined) {
        const firstUser = creq.messages.find((m) => m.role === 'user')?.content ?? '';
        conversationId = createConversation(db, { userId: owner.userId, title: firstUser.slice(0, 80) || undefined }).id;
      } else if (creq.regenerate) {
        turns = [];
      } else {
        turns = creq.messages.slice(-1).filter((m) => m.role !== 'assistant');
      }
      let userMessageId: string | null = null;
      for (const m of turns) {
        const added = addMessage(db, { conversationId, role: m.role, content: m.content });
        if (m.role === 'user') userMessageId = added.id;
      }
      if (userMessageId === null) {
        const last = db.prepare("SELECT id FROM messages WHERE conversation_id = ? AND role = 'user' ORDER BY seq DESC LIMIT 1").get(conversationId) as { id: string } | undefined;
        userMessageId = last?.id ?? null;
      }
      const msg = startMessage(db, { conversationId, model: creq.model, reasoningContent: null, citations });
      return new StoredExchange(db, log, owner, conversationId, msg.id, userMessageId);
    })();
  }

  /** Appends the streamed text every `flushMs` until finish. */
  streamEvery(flushMs: number): void {
    this.timer ??= setInterval(() => this.flush(), flushMs);
  }

  add(ev: GenEvent): void {
    if (ev.kind === 'reasoning') this.pending.reasoning += ev.text;
    else this.pending.content += ev.text;
  }

  flush(): void {
    const { content, reasoning } = this.pending;
    if (content === '' && reasoning === '') return;
    this.pending = { content: '', reasoning: '' };
    this.quietly('storing a streamed chunk', () => appendToMessage(this.db, this.messageId, { content, ...(reasoning ? { reasoningContent: reasoning } : {}) }));
  }

  /** Stops streaming writes; what was said so far is written, the message stays partial. */
  leavePartial(): void {
    this.stopTimer();
    this.flush();
  }

  finish(end: Parameters<typeof finishMessage>[2]): void {
    this.stopTimer();
    this.pending = { content: '', reasoning: '' };
    this.quietly('storing the finished message', () => finishMessage(this.db, this.messageId, end));
  }

  /** One moderation event per flagged category, on the judged message. */
  recordModeration(r: ModerationResult, direction: 'input' | 'output'): void {
    recordModeration(this.db, this.log, this.owner, r, direction, (direction === 'input' ? this.userMessageId : this.messageId) ?? undefined);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private quietly(what: string, f: () => unknown): void {
    try {
      f();
    } catch (e) {
      this.log.error({ err: e }, `${what} failed`);
    }
  }
}

/** Records what a filter decided (one event per flagged category); never fails the request. */
export function recordModeration(db: DB, log: Logger, owner: Owner, r: ModerationResult, direction: 'input' | 'output', messageId?: string): void {
  try {
    for (const [category, flagged] of Object.entries(r.categories)) {
      if (!flagged) continue;
      const rule = r.rule?.category === category ? r.rule.rule : undefined;
      addModerationEvent(db, { userId: owner.userId, messageId, direction, category, rule, score: r.scores[category], action: 'block' });
    }
  } catch (e) {
    log.error({ err: e }, 'storing a moderation event failed');
  }
}
