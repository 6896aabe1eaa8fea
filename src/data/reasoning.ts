// Training text for reasoning models, made from checkable problems: chat-formatted documents in
// which the assistant either answers at once or first reasons inside <think>…</think>.
import { encodeChat, renderChat, PlaceDigitTokenizer, longestNumber, type Tokenizer, type ChatMessage } from '../tokenizer/index.ts';
import type { Problem, Task } from '../tasks/types.ts';
import { Rng } from '../tensor/random.ts';

/** The reasoning written inside <think>: the task's trace without its last line (the answer). */
export function reasoningFor(task: Task, p: Problem): string {
  const lines = task.solveWithSteps(p).split('\n');
  return lines.slice(0, -1).join('\n');
}

/** A question and its answer; without thinking the think block is empty (<think></think>). */
export function chatExample(task: Task, p: Problem, think: boolean): ChatMessage[] {
  return [
    { role: 'user', content: p.question },
    { role: 'assistant', content: p.answer, reasoning: think ? reasoningFor(task, p) : '' },
  ];
}

/** Plain text of the documents, for training the tokenizer (special tokens are not text). */
export function documentTexts(task: Task, problems: Problem[]): string[] {
  return problems.flatMap((p) => [p.question, reasoningFor(task, p), p.answer]);
}

/**
 * One token stream of chat documents; each problem reasons with probability thinkFraction.
 * Documents follow each other directly (each starts with <|begin_of_text|>). With a place-digit
 * tokenizer each document draws its own place offset, as high as its longest number allows, so
 * that every place is trained; the tokenizer is left at offset 0.
 */
export function reasoningStream(tok: Tokenizer, task: Task, problems: Problem[], thinkFraction: number, seed: number): Int32Array {
  const rng = new Rng(seed), offsets = new Rng(seed + 0x5eed);
  const ids: number[] = [];
  try {
    for (const p of problems) {
      const doc = chatExample(task, p, rng.next() < thinkFraction);
      if (tok instanceof PlaceDigitTokenizer) tok.offset = Math.floor(offsets.next() * (Math.max(0, tok.places - longestNumber(renderChat(doc))) + 1));
      ids.push(...encodeChat(tok, doc));
    }
  } finally {
    if (tok instanceof PlaceDigitTokenizer) tok.offset = 0;
  }
  return Int32Array.from(ids);
}

/** Prompt/completion pairs for supervised fine-tuning (the loss sees only the completion). */
export function sftExamples(tok: Tokenizer, task: Task, problems: Problem[], think: boolean): { prompt: number[]; completion: number[] }[] {
  return problems.map((p) => {
    const prompt = encodeChat(tok, [{ role: 'user', content: p.question }], { addGenerationPrompt: true });
    const full = encodeChat(tok, chatExample(task, p, think));
    return { prompt, completion: full.slice(prompt.length) };
  });
}
