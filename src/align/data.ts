// Preference data for alignment, read from JSON Lines:
//   pairs     {"prompt", "chosen", "rejected"}  what `ponder data export --preferences` writes
//   ratings   {"prompt", "completion", "label": true|false}  single thumbs up/down (KTO; TRL's
//             unpaired format, written by `ponder data export --ratings`)
// A prompt is the conversation before the answer: [{role, content}] turns, or a string (one user
// turn). Answers are encoded as the assistant writes them, <think></think>answer<|end_of_text|>:
// ratings and rewrites judge the answer, so its (empty) think block is the direct-answer form.
// An imported model's prompt and answer come from its own chat template instead (the same
// direct-answer form, through its end token: train/assistant-turns.ts).
// Bad lines (not JSON, unknown roles, empty text, chosen identical to rejected) are counted,
// reported by line and skipped; they never stop a run.
import { existsSync, readFileSync } from 'node:fs';
import { PonderError } from '../errors.ts';
import { encodeChat, Tokenizer, type ChatFormat, type ChatMessage, type TextTokenizer } from '../tokenizer/index.ts';
import type { BadLine } from '../train/sft.ts';
import { encodeTemplateAnswer } from '../train/assistant-turns.ts';

export interface PreferencePair { line: number; prompt: ChatMessage[]; chosen: string; rejected: string }
export interface Rating { line: number; prompt: ChatMessage[]; completion: string; desirable: boolean }

const ROLES = new Set(['system', 'user', 'assistant']);

/** The prompt field as chat turns, or why it cannot be used. */
export function parsePrompt(p: unknown): ChatMessage[] | string {
  if (typeof p === 'string') return p.trim() === '' ? 'prompt is empty' : [{ role: 'user', content: p }];
  if (!Array.isArray(p) || p.length === 0) return 'prompt must be a string or a non-empty array of {role, content}';
  const out: ChatMessage[] = [];
  for (let i = 0; i < p.length; i++) {
    const t = p[i] as { role?: unknown; content?: unknown } | null;
    if (t === null || typeof t !== 'object') return `prompt[${i}] is not an object`;
    if (typeof t.role !== 'string' || !ROLES.has(t.role)) return `prompt[${i}] has unknown role ${JSON.stringify(t.role)} (system, user, assistant)`;
    if (typeof t.content !== 'string' || t.content.trim() === '') return `prompt[${i}] (${t.role}) is empty`;
    out.push({ role: t.role as ChatMessage['role'], content: t.content });
  }
  if (out[out.length - 1].role === 'assistant') return 'prompt ends with an assistant turn; the answer belongs in chosen/rejected';
  return out;
}

function lines<T>(text: string, parse: (obj: Record<string, unknown>) => Omit<T, 'line'> | string): { items: T[]; bad: BadLine[] } {
  const items: T[] = [], bad: BadLine[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim() === '') return;
    let obj: unknown;
    try { obj = JSON.parse(l); } catch (e) { bad.push({ line: i + 1, reason: `not JSON (${(e as Error).message})` }); return; }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) { bad.push({ line: i + 1, reason: 'not a JSON object' }); return; }
    const r = parse(obj as Record<string, unknown>);
    if (typeof r === 'string') bad.push({ line: i + 1, reason: r });
    else items.push({ line: i + 1, ...r } as T);
  });
  return { items, bad };
}

const nonEmpty = (v: unknown) => typeof v === 'string' && v.trim() !== '';

export function parsePairs(text: string): { items: PreferencePair[]; bad: BadLine[] } {
  return lines<PreferencePair>(text, (o) => {
    const prompt = parsePrompt(o.prompt);
    if (typeof prompt === 'string') return prompt;
    if (!nonEmpty(o.chosen)) return 'chosen must be a non-empty string';
    // An empty rejected answer is real feedback: the model said nothing and a person wrote the answer.
    if (typeof o.rejected !== 'string') return 'rejected must be a string';
    if (o.chosen === o.rejected) return 'chosen and rejected are identical (no preference to learn)';
    return { prompt, chosen: o.chosen as string, rejected: o.rejected as string };
  });
}

export function parseRatings(text: string): { items: Rating[]; bad: BadLine[] } {
  return lines<Rating>(text, (o) => {
    const prompt = parsePrompt(o.prompt);
    if (typeof prompt === 'string') return prompt;
    if (!nonEmpty(o.completion)) return 'completion must be a non-empty string';
    if (typeof o.label !== 'boolean') return 'label must be true (thumbs up) or false (thumbs down)';
    return { prompt, completion: o.completion as string, desirable: o.label };
  });
}

export function readText(path: string): string {
  if (!existsSync(path)) throw new PonderError(`${path}: no such file`);
  return readFileSync(path, 'utf8');
}

/** A pair split into unpaired ratings (chosen: desirable, rejected: undesirable), for KTO. */
export function pairsToRatings(pairs: PreferencePair[]): Rating[] {
  return pairs.flatMap((p) => [
    { line: p.line, prompt: p.prompt, completion: p.chosen, desirable: true },
    { line: p.line, prompt: p.prompt, completion: p.rejected, desirable: false },
  ]);
}

/**
 * Prompt ids (ending in <|assistant|>) and the answer's ids (<think></think>answer<|end_of_text|>);
 * with an imported model's template format, its prompt and direct answer through its end token.
 */
export function encodeAnswer(tok: TextTokenizer, prompt: ChatMessage[], answer: string, format?: ChatFormat): { prompt: number[]; completion: number[] } {
  if (format?.kind === 'template') return encodeTemplateAnswer(format, prompt, answer);
  if (!(tok instanceof Tokenizer)) throw new PonderError('align: a model with its own tokenizer needs its chat template (format) to write prompts');
  const p = encodeChat(tok, prompt, { addGenerationPrompt: true });
  const full = encodeChat(tok, [...prompt, { role: 'assistant', content: answer, reasoning: '' }]);
  return { prompt: p, completion: full.slice(p.length) };
}
