// A model's conversation format as generation needs it: the prompt ids of a conversation, the
// ids that end a reply (the model's EOS ids), and the ids of <think> and </think> when the
// vocabulary has them. Two kinds:
// - ponder's own (chat.ts): turns built id by id, so text typed by a user never becomes a
//   control token;
// - a pretrained model's Jinja template (template.ts): rendered, then encoded with its added
//   tokens read as tokens, as transformers and llama.cpp do (so a user who types "<｜User｜>"
//   into such a model's chat does write that marker: the model's own format allows no other way).
import { PonderError } from '../errors.ts';
import { encodeChat, renderChat, type ChatMessage } from './chat.ts';
import { EOS_ID, SPECIAL_TOKENS } from './special.ts';
import { ChatTemplate } from './template.ts';
import type { TextTokenizer } from './types.ts';

/** free: as the template has it; enabled: the reply starts inside <think>; disabled: with an empty think block closed. */
export type Thinking = 'free' | 'enabled' | 'disabled';

export interface ThinkIds { open: number; close: number }

export interface ChatFormat {
  readonly tokenizer: TextTokenizer;
  /** Ids that end a reply. */
  readonly stopIds: number[];
  /** <think> and </think> as single tokens, when the vocabulary has them. */
  readonly think: ThinkIds | null;
  /** Whether prompts come from a Jinja template (false: ponder's own format). */
  readonly kind: 'ponder' | 'template';
  /** The prompt text: the conversation and the opening of the assistant's reply. */
  render(messages: readonly ChatMessage[], thinking?: Thinking): string;
  /** The prompt's ids. */
  promptIds(messages: readonly ChatMessage[], thinking?: Thinking): number[];
}

/** Whether text generated after these ids starts inside a think block (the prompt opened one and did not close it). */
export function opensThink(ids: readonly number[], think: ThinkIds | null): boolean {
  if (!think) return false;
  for (let i = ids.length - 1; i >= 0; i--) {
    if (ids[i] === think.close) return false;
    if (ids[i] === think.open) return true;
  }
  return false;
}

function thinkIdsOf(tok: TextTokenizer): ThinkIds | null {
  const open = tok.tokenId('<think>'), close = tok.tokenId('</think>');
  return open !== undefined && close !== undefined ? { open, close } : null;
}

/** Ponder's format: ids built turn by turn (chat.ts), on a vocabulary with ponder's special ids. */
class PonderFormat implements ChatFormat {
  readonly kind = 'ponder' as const;
  readonly stopIds = [EOS_ID];
  readonly think: ThinkIds = { open: 6, close: 7 };
  constructor(readonly tokenizer: TextTokenizer) {}

  render(messages: readonly ChatMessage[], thinking: Thinking = 'free'): string {
    return renderChat(messages, { addGenerationPrompt: true, think: thinking === 'enabled' }) + (thinking === 'disabled' ? '<think></think>' : '');
  }

  promptIds(messages: readonly ChatMessage[], thinking: Thinking = 'free'): number[] {
    const ids = encodeChat(this.tokenizer, messages, { addGenerationPrompt: true, think: thinking === 'enabled' });
    if (thinking === 'disabled') ids.push(this.think.open, this.think.close);
    return ids;
  }
}

/** A pretrained model's Jinja template. */
class TemplateFormat implements ChatFormat {
  readonly kind = 'template' as const;
  readonly think: ThinkIds | null;
  constructor(readonly tokenizer: TextTokenizer, readonly template: ChatTemplate, readonly stopIds: number[]) {
    this.think = thinkIdsOf(tokenizer);
  }

  render(messages: readonly ChatMessage[], thinking: Thinking = 'free'): string {
    // Templates with a thinking switch (Qwen3) get it; the others get think tags after the prompt.
    const extra = thinking === 'free' || !this.template.text.includes('enable_thinking') ? undefined : { enable_thinking: thinking === 'enabled' };
    let text = this.template.render(messages, { addGenerationPrompt: true, extra });
    if (thinking === 'free' || !this.think) return text;
    const inThink = opensThink(this.tokenizer.encode(text, { allowSpecial: true }), this.think);
    if (thinking === 'enabled' && !inThink) text += '<think>\n';
    if (thinking === 'disabled' && inThink) text += '\n</think>\n\n';
    else if (thinking === 'disabled' && extra === undefined) text += '<think>\n\n</think>\n\n';
    return text;
  }

  promptIds(messages: readonly ChatMessage[], thinking: Thinking = 'free'): number[] {
    if (thinking !== 'free' && !this.think) throw new PonderError('this model has no <think> token: thinking can only be left to the model (free)');
    return this.tokenizer.encode(this.render(messages, thinking), { allowSpecial: true });
  }
}

/** The Jinja template behind a format (null for ponder's own, whose ids are built turn by turn). */
export function templateOf(format: ChatFormat): ChatTemplate | null {
  return format instanceof TemplateFormat ? format.template : null;
}

/** The ids of a config's eos (a number, a list, or a token string), each checked against the vocabulary. */
function eosIds(tok: TextTokenizer, value: unknown, where: string): number[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.map((v) => {
    if (typeof v === 'string') {
      const id = tok.tokenId(v);
      if (id === undefined) throw new PonderError(`${where}: eos token ${JSON.stringify(v)} is not a token of the vocabulary`);
      return id;
    }
    if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return eosIds(tok, (v as { content: string }).content, where)[0];
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= tok.vocabSize) throw new PonderError(`${where}: eos_token_id ${JSON.stringify(v)} is not an id of the vocabulary (0..${tok.vocabSize - 1})`);
    return v as number;
  });
}

/**
 * A reply's text: think tags kept as text (the think parser splits on them), stop ids and other
 * control tokens dropped (they are no text of the answer).
 */
export function decodeReply(format: ChatFormat, ids: readonly number[]): string {
  const tok = format.tokenizer, think = format.think;
  const keep = ids.filter((id) => !format.stopIds.includes(id) && (!tok.isSpecial(id) || id === think?.open || id === think?.close));
  return tok.decode(keep);
}

export interface FormatSources {
  tokenizerConfig?: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
  /** More ids that end a reply (config.json's eos_token_id, a loader's list). */
  eosIds?: number[];
  /** A template given apart from tokenizer_config (GGUF's tokenizer.chat_template). */
  chatTemplate?: string;
  /** Where these came from, for errors. */
  source?: string;
}

/** Whether the vocabulary holds ponder's special tokens at ponder's ids. */
function hasPonderSpecials(tok: TextTokenizer): boolean {
  return SPECIAL_TOKENS.every((s, id) => tok.tokenId(s) === id);
}

/**
 * The chat format of a model: ponder's own when the vocabulary is ponder's and the template is
 * ponder's or absent; else the model's template, stopping on generation_config's eos_token_id
 * and the tokenizer's eos_token. Null when a pretrained model has no template (raw text only).
 */
export function chatFormatFor(tok: TextTokenizer, src: FormatSources = {}): ChatFormat | null {
  const where = src.source ?? 'model';
  const cfg = src.tokenizerConfig;
  const template = src.chatTemplate !== undefined
    ? new ChatTemplate(src.chatTemplate, ChatTemplate.fromConfig({ ...cfg, chat_template: src.chatTemplate }, where)?.specials ?? {}, where)
    : ChatTemplate.fromConfig(cfg, `${where} tokenizer_config.json`);
  if (hasPonderSpecials(tok) && (template === null || template.isPonder)) return new PonderFormat(tok);
  if (template === null) return null;
  const stop = new Set<number>([
    ...eosIds(tok, src.eosIds, where),
    ...eosIds(tok, src.generationConfig?.eos_token_id, `${where} generation_config.json`),
    ...eosIds(tok, template.specials.eos_token, `${where} tokenizer_config.json`),
  ]);
  if (stop.size === 0) throw new PonderError(`${where}: no eos token (generation_config.json eos_token_id or tokenizer_config.json eos_token): generation would never stop`);
  return new TemplateFormat(tok, template, [...stop]);
}
