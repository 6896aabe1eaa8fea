// How a problem becomes a prompt for the policy, and how thinking is forced on or off.
// The chat template ends the prompt with <|assistant|>; the model then chooses to open <think>
// (reason) or to answer at once. Forcing on appends <think>; forcing off appends <think></think>,
// as DeepSeek-R1's templates do to skip the reasoning.
import { encodeChat, THINK_ID, END_THINK_ID, type Tokenizer } from '../tokenizer/index.ts';

export type ThinkingMode = 'free' | 'on' | 'off';

export function promptIds(tok: Tokenizer, question: string, mode: ThinkingMode = 'free'): number[] {
  const ids = encodeChat(tok, [{ role: 'user', content: question }], { addGenerationPrompt: true });
  if (mode === 'on') ids.push(THINK_ID);
  if (mode === 'off') ids.push(THINK_ID, END_THINK_ID);
  return ids;
}

/** The prompt's forced prefix as text, so that parsing sees the whole assistant turn. */
export function forcedPrefix(mode: ThinkingMode): string {
  return mode === 'on' ? '<think>' : mode === 'off' ? '<think></think>' : '';
}
