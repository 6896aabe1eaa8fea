// How a problem becomes a prompt for the policy, and how thinking is forced on or off.
// The assistant always writes a think block, as DeepSeek-R1 does: <think>reasoning</think>answer,
// or <think></think>answer when it chooses not to reason. The chat template ends the prompt with
// <|assistant|>. Forcing off appends <think></think> (the answer comes at once); forcing on
// appends <think> and forbids </think> as the first generated token, so some reasoning comes first.
import { encodeChat, THINK_ID, END_THINK_ID, type TextTokenizer } from '../tokenizer/index.ts';

export type ThinkingMode = 'free' | 'on' | 'off';

export function promptIds(tok: TextTokenizer, question: string, mode: ThinkingMode = 'free'): number[] {
  const ids = encodeChat(tok, [{ role: 'user', content: question }], { addGenerationPrompt: true });
  if (mode === 'on') ids.push(THINK_ID);
  if (mode === 'off') ids.push(THINK_ID, END_THINK_ID);
  return ids;
}

/** Tokens the first generated token may not be, for a mode. */
export function bannedFirst(mode: ThinkingMode): number[] | undefined {
  return mode === 'on' ? [END_THINK_ID] : undefined;
}

/** The prompt's forced prefix as text, so that parsing sees the whole assistant turn. */
export function forcedPrefix(mode: ThinkingMode): string {
  return mode === 'on' ? '<think>' : mode === 'off' ? '<think></think>' : '';
}
