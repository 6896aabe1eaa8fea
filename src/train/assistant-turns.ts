// Which tokens of a conversation an imported model writes itself, found with the model's own Jinja
// chat template (SFT's loss mask, the answers DPO and KTO score).
//
// A reply is learnt exactly as the model produces it at inference: after the prompt the template
// renders for that turn (the conversation before it, with add_generation_prompt). For assistant
// turn k the template renders
//   P = render(messages[0..k-1], add_generation_prompt)   the prompt
//   F = render(messages[0..k])                            the conversation with the reply
// and the reply is F after P. Two kinds of template need more than that:
// - R1-style templates open <think> in the generation prompt but render past replies without
//   their reasoning: the reply is the reasoning, "\n</think>\n\n", then what F renders after P
//   without its <think>;
// - templates that drop reasoning_content (DeepSeek-V3, Llama 3) get the think block written at
//   the start of the reply, as a reasoning model trained on them would write it.
// A template for which F does not start with P (nor with P less an opened <think>) is not
// prefix-stable: which tokens are the reply cannot be told, and that is an error, not a guess.
//
// Learnt: the reply's tokens up to and including its first end id (the model's EOS ids); what the
// template writes after it (Qwen's "\n") is context, not learnt. A later turn continues the same
// sequence when its prompt's ids extend it; otherwise (Qwen3 drops the reasoning of earlier turns,
// R1 drops all of it) it starts a sequence of its own, so every turn is learnt with the context the
// model will see.
import { PonderError } from '../errors.ts';
import { opensThink, templateOf, type ChatFormat, type ChatMessage, type ChatTemplate } from '../tokenizer/index.ts';

/** How a reply closes its reasoning, as R1 writes it and Qwen3's template renders it. */
const CLOSE_THINK = '\n</think>\n\n';
/** A prompt that ends inside an opened think block. */
const OPENED_THINK = /<think>\s*$/;

export interface TurnText {
  /** What the template renders before the reply (with the generation prompt). */
  prompt: string;
  /** The reply as the model writes it, and whatever the template renders after it. */
  completion: string;
}

/** A chat format with its Jinja template (an imported model's). */
export function needTemplate(format: ChatFormat): ChatTemplate {
  const t = templateOf(format);
  if (!t) throw new PonderError('internal: ponder\'s own chat format has no template to render turns with');
  return t;
}

const stripNewlines = (s: string) => s.replace(/^\n+|\n+$/g, '');

/** The template refused one conversation (it raised, or a message is malformed): that line is skipped, the run goes on. */
export class TemplateRefused extends PonderError {}

function render(template: ChatTemplate, messages: readonly ChatMessage[], addGenerationPrompt: boolean): string {
  try { return template.render(messages, { addGenerationPrompt }); } catch (e) {
    if (e instanceof PonderError) throw new TemplateRefused(e.message);
    throw e;
  }
}

/** Prompt and reply text of assistant turn k of messages (see the top of the file). */
export function assistantTurnText(template: ChatTemplate, messages: readonly ChatMessage[], k: number): TurnText {
  const turn = messages[k];
  if (turn?.role !== 'assistant') throw new PonderError(`internal: message ${k} is not an assistant turn`);
  const before = messages.slice(0, k);
  const prompt = render(template, before, true);
  const full = render(template, messages.slice(0, k + 1), false);
  // Whether the template writes reasoning_content: render the turn with other reasoning and compare.
  const probe = render(template, [...before, { ...turn, reasoning: `${turn.reasoning ?? ''}ponder-probe` }], false);
  const dropsReasoning = probe === full;
  const reasoning = stripNewlines(turn.reasoning ?? '');
  const opened = OPENED_THINK.test(prompt);
  if (full.startsWith(prompt)) {
    const rest = full.slice(prompt.length);
    if (!dropsReasoning || reasoning === '') return { prompt, completion: rest };
    return { prompt, completion: (opened ? '' : '<think>\n') + reasoning + CLOSE_THINK + rest };
  }
  const base = prompt.replace(OPENED_THINK, '');
  if (opened && dropsReasoning && full.startsWith(base)) return { prompt, completion: reasoning + CLOSE_THINK + full.slice(base.length) };
  throw new PonderError(`${template.source}: the chat template is not prefix-stable: what it renders before assistant turn ${k + 1} ` +
    `with add_generation_prompt is not the start of what it renders with that turn, so which tokens the model writes cannot be told ` +
    `(prompt ends ${JSON.stringify(prompt.slice(-40))}, the conversation there reads ${JSON.stringify(full.slice(Math.max(0, prompt.length - 40), prompt.length + 20))})`);
}

/** Learnt marks of a reply's ids: up to and including the first end id; with maskReasoning not the text inside <think>. */
export function replyMarks(format: ChatFormat, ids: readonly number[], startsInThink: boolean, maskReasoning: boolean): number[] {
  const end = ids.findIndex((id) => format.stopIds.includes(id));
  if (end < 0) {
    throw new PonderError(`${needTemplate(format).source}: the chat template ends an assistant turn without any of the model's end ids (${format.stopIds.join(', ')}): the model would not learn to stop`);
  }
  const think = format.think;
  if (maskReasoning && !think) throw new PonderError('--mask-reasoning: this model\'s vocabulary has no <think> and </think> tokens to find the reasoning by');
  let inThink = startsInThink;
  return ids.map((id, i) => {
    if (i > end) return 0;
    if (!maskReasoning) return 1;
    if (id === think!.open) { inThink = true; return 1; }
    if (id === think!.close) { inThink = false; return 1; }
    return inThink ? 0 : 1;
  });
}

/** A conversation's ids with, for each id, whether it is learnt. */
export interface MarkedIds { ids: number[]; learn: number[] }

/**
 * The sequences a conversation trains on under the model's template: one when each turn's prompt
 * extends the ids before it, more when the template renders earlier turns differently later.
 */
export function encodeTemplateConversation(format: ChatFormat, messages: readonly ChatMessage[], maskReasoning: boolean): MarkedIds[] {
  const template = needTemplate(format), tok = format.tokenizer;
  const out: MarkedIds[] = [];
  let cur: MarkedIds = { ids: [], learn: [] };
  messages.forEach((m, k) => {
    if (m.role !== 'assistant') return;
    const { prompt, completion } = assistantTurnText(template, messages, k);
    const p = tok.encode(prompt, { allowSpecial: true });
    if (!extends_(p, cur.ids)) {
      if (cur.ids.length) out.push(cur);
      cur = { ids: [], learn: [] };
    }
    for (let i = cur.ids.length; i < p.length; i++) { cur.ids.push(p[i]); cur.learn.push(0); }
    const c = tok.encode(completion, { allowSpecial: true });
    const marks = replyMarks(format, c, opensThink(p, format.think), maskReasoning);
    cur.ids.push(...c);
    cur.learn.push(...marks);
  });
  if (cur.ids.length) out.push(cur);
  return out;
}

/**
 * An answer to score (DPO, KTO): the prompt's ids (the template's, with the generation prompt) and
 * the reply's ids through the end id, written as a direct answer (an empty think block where the
 * template has one), as encodeAnswer does for ponder's format.
 */
export function encodeTemplateAnswer(format: ChatFormat, prompt: readonly ChatMessage[], answer: string): { prompt: number[]; completion: number[] } {
  const messages: ChatMessage[] = [...prompt, { role: 'assistant', content: answer, reasoning: '' }];
  const t = assistantTurnText(needTemplate(format), messages, messages.length - 1);
  const p = format.tokenizer.encode(t.prompt, { allowSpecial: true });
  const c = format.tokenizer.encode(t.completion, { allowSpecial: true });
  const marks = replyMarks(format, c, false, false);
  return { prompt: p, completion: c.slice(0, marks.lastIndexOf(1) + 1) };
}

function extends_(ids: readonly number[], prefix: readonly number[]): boolean {
  if (ids.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (ids[i] !== prefix[i]) return false;
  return true;
}
