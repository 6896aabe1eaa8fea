// The chat template. A conversation becomes
//
//   <|begin_of_text|><|system|>S<|end_of_text|><|user|>U<|end_of_text|>
//   <|assistant|><think>R</think>A<|end_of_text|> ...
//
// (one line in reality: no newlines are added). Each turn opens with its role token and closes
// with <|end_of_text|>, which is also what generation stops on. An assistant turn with
// `reasoning` writes it between <think> and </think> before the answer. With
// addGenerationPrompt the ids end in <|assistant|>, and with think also in <think>, so the model
// starts by reasoning. Message text is encoded as ordinary text: a "<think>" typed in content
// stays plain bytes, so users cannot forge turns or reasoning.
import { PonderError } from '../errors.ts';
import { ASSISTANT_ID, BOS_ID, END_THINK_ID, EOS_ID, SPECIAL_TOKENS, SYSTEM_ID, THINK_ID, USER_ID } from './special.ts';
import type { TextTokenizer } from './types.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  /** The assistant's reasoning, written inside <think>...</think> before content. */
  reasoning?: string;
}

export interface ChatOptions {
  /** End with the opening of an assistant turn, for generation (default false). */
  addGenerationPrompt?: boolean;
  /** With addGenerationPrompt: also open <think> so the model reasons first (default false). */
  think?: boolean;
  /** Start with <|begin_of_text|> (default true). */
  bos?: boolean;
}

const ROLE_ID: Record<string, number> = { system: SYSTEM_ID, user: USER_ID, assistant: ASSISTANT_ID };

/** Walks the template, calling special(id) and text(s) in order. */
function walk(messages: readonly ChatMessage[], opts: ChatOptions, special: (id: number) => void, text: (s: string) => void): void {
  if (!Array.isArray(messages)) throw new PonderError('chat messages must be an array of {role, content}');
  if (opts.bos ?? true) special(BOS_ID);
  messages.forEach((m, i) => {
    if (m === null || typeof m !== 'object') throw new PonderError(`chat message ${i} is not an object`);
    const role = ROLE_ID[m.role];
    if (role === undefined || !Object.hasOwn(ROLE_ID, m.role)) {
      throw new PonderError(`chat message ${i} has role ${JSON.stringify(m.role)}; expected system, user or assistant`);
    }
    if (typeof m.content !== 'string') throw new PonderError(`chat message ${i} has no string content`);
    if (m.reasoning !== undefined && (m.role !== 'assistant' || typeof m.reasoning !== 'string')) {
      throw new PonderError(`chat message ${i}: reasoning must be a string, on assistant messages only`);
    }
    special(role);
    if (m.reasoning !== undefined) { special(THINK_ID); text(m.reasoning); special(END_THINK_ID); }
    text(m.content);
    special(EOS_ID);
  });
  if (opts.addGenerationPrompt) {
    special(ASSISTANT_ID);
    if (opts.think) special(THINK_ID);
  } else if (opts.think) {
    throw new PonderError('chat option think needs addGenerationPrompt');
  }
}

/** A conversation to ids (see the top of this file for the layout). */
export function encodeChat(tok: TextTokenizer, messages: readonly ChatMessage[], opts: ChatOptions = {}): number[] {
  const ids: number[] = [];
  walk(messages, opts, (id) => ids.push(id), (s) => { for (const id of tok.encode(s)) ids.push(id); });
  return ids;
}

/** The same conversation as a string, for reading and logs (ids must come from encodeChat). */
export function renderChat(messages: readonly ChatMessage[], opts: ChatOptions = {}): string {
  let out = '';
  walk(messages, opts, (id) => { out += SPECIAL_TOKENS[id]; }, (s) => { out += s; });
  return out;
}
