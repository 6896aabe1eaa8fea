// Chat templates: a model's own Jinja `chat_template` (tokenizer_config.json, or GGUF's
// tokenizer.chat_template), rendered by @huggingface/jinja, the implementation transformers.js
// uses, with the variables transformers' apply_chat_template passes: messages,
// add_generation_prompt, the special tokens by name (bos_token, eos_token, ...), and the
// raise_exception and strftime_now functions. Tools are not passed (ponder has no tool calls).
//
// Ponder's own format (chat.ts) is written here in the same Jinja, so exported models carry it
// and other tools render exactly the prompts ponder trained on.
import { Template } from '@huggingface/jinja';
import { PonderError } from '../errors.ts';
import type { ChatMessage } from './chat.ts';

/**
 * Ponder's chat format (chat.ts) in Jinja: each turn is its role token, the text and
 * <|end_of_text|>; an assistant's reasoning_content goes between <think> and </think> first.
 * The generation prompt is <|assistant|>, and with enable_thinking also <think>.
 */
export const PONDER_CHAT_TEMPLATE =
  "{%- if bos_token is defined and bos_token %}{{- bos_token }}{%- endif %}" +
  "{%- for message in messages %}" +
  "{%- if message.role not in ['system', 'user', 'assistant'] %}{{- raise_exception('ponder chat: role must be system, user or assistant, not ' + message.role) }}{%- endif %}" +
  "{{- '<|' + message.role + '|>' }}" +
  "{%- if message.reasoning_content is defined and message.reasoning_content is not none %}" +
  "{%- if message.role != 'assistant' %}{{- raise_exception('ponder chat: reasoning_content only on assistant messages') }}{%- endif %}" +
  "{{- '<think>' + message.reasoning_content + '</think>' }}" +
  "{%- endif %}" +
  "{{- message.content + '<|end_of_text|>' }}" +
  "{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|assistant|>' }}{%- if enable_thinking is defined and enable_thinking %}{{- '<think>' }}{%- endif %}{%- endif %}";

export interface RenderOptions {
  /** End with the opening of the assistant's turn (default false). */
  addGenerationPrompt?: boolean;
  /** Further variables some templates read (Qwen3's enable_thinking). */
  extra?: Record<string, unknown>;
}

/** A message as templates read it: reasoning goes into reasoning_content (Qwen3's and ponder's name). */
function templateMessage(m: ChatMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { role: m.role, content: m.content };
  if (m.reasoning !== undefined) out.reasoning_content = m.reasoning;
  return out;
}

/** A special token from tokenizer_config.json: a string, or an AddedToken object with its content. */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

const SPECIAL_NAMES = ['bos_token', 'eos_token', 'pad_token', 'unk_token', 'sep_token', 'cls_token', 'mask_token'] as const;

export class ChatTemplate {
  private readonly template: Template;
  /** The special tokens by name (bos_token, eos_token, ...), as templates see them. */
  readonly specials: Record<string, string>;

  /** `source` names the template's file in errors. */
  constructor(readonly text: string, specials: Record<string, string> = {}, readonly source = 'chat template') {
    if (typeof text !== 'string' || text === '') throw new PonderError(`${source}: the chat template is empty or not a string`);
    try { this.template = new Template(text); } catch (e) {
      throw new PonderError(`${source}: the chat template does not parse: ${(e as Error).message}`);
    }
    this.specials = { ...specials };
  }

  /** The template and special tokens of a tokenizer_config.json (null when it has no template). */
  static fromConfig(config: Record<string, unknown> | undefined, source = 'tokenizer_config.json'): ChatTemplate | null {
    if (!config) return null;
    let text = config.chat_template;
    // Several named templates (a list of {name, template}): the default one is for chat.
    if (Array.isArray(text)) text = (text as { name?: unknown; template?: unknown }[]).find((t) => t?.name === 'default')?.template;
    if (text === undefined || text === null) return null;
    if (typeof text !== 'string') throw new PonderError(`${source}: chat_template is not a string`);
    const specials: Record<string, string> = {};
    for (const k of SPECIAL_NAMES) {
      const s = tokenString(config[k]);
      if (s !== undefined) specials[k] = s;
    }
    return new ChatTemplate(text, specials, source);
  }

  /** The conversation as the model's prompt text. A template that raises is a PonderError naming it. */
  render(messages: readonly ChatMessage[], opts: RenderOptions = {}): string {
    if (!Array.isArray(messages)) throw new PonderError('chat messages must be an array of {role, content}');
    messages.forEach((m, i) => {
      if (m === null || typeof m !== 'object' || typeof m.role !== 'string' || typeof m.content !== 'string') {
        throw new PonderError(`chat message ${i} needs a string role and a string content`);
      }
      if (m.reasoning !== undefined && typeof m.reasoning !== 'string') throw new PonderError(`chat message ${i}: reasoning must be a string`);
    });
    try {
      return this.template.render({
        ...this.specials,
        ...opts.extra,
        messages: messages.map(templateMessage),
        add_generation_prompt: opts.addGenerationPrompt ?? false,
      });
    } catch (e) {
      throw new PonderError(`${this.source}: the chat template failed: ${(e as Error).message}`);
    }
  }

  /** This is ponder's own template (chat.ts's format). */
  get isPonder(): boolean { return this.text === PONDER_CHAT_TEMPLATE; }
}
