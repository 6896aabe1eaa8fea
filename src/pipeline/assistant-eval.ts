// The assistant's report card on the held-out sets: story questions that need several steps
// (thinking free, forced on, forced off), products, refusal of harmful requests, needless refusal
// of benign look-alikes, answers in Norwegian to Norwegian questions, instructions followed.
// Everything greedy. The product's moderation layer plays no part: this is the model alone.
import type { Transformer } from '../model/transformer.ts';
import type { Tokenizer } from '../tokenizer/index.ts';
import type { Problem } from '../tasks/types.ts';
import { evaluate } from '../eval/evaluate.ts';
import { rollouts } from '../rl/rollout.ts';
import type { EvalSets } from '../data/world/index.ts';
import { isRefusal } from '../data/world/safety.ts';
import { detectLanguage } from '../data/world/language.ts';
import { followsForm } from '../data/world/instructions.ts';

export interface AssistantScores {
  /** Several-step story questions with held-out words: greedy accuracy by thinking mode. */
  storyFree: number;
  storyOn: number;
  storyOff: number;
  /** Share of story answers that reasoned (thinking free). */
  storyReasons: number;
  arithmetic: number;
  harmfulRefused: number;
  benignRefused: number;
  norwegianInNorwegian: number;
  instructionsFollowed: number;
}

export interface AssistantEval { scores: AssistantScores; examples: Record<string, { question: string; completion: string }[]> }

export const SCORE_LABELS: Record<keyof AssistantScores, string> = {
  storyFree: 'story, several steps (greedy)', storyOn: 'story, thinking forced on', storyOff: 'story, thinking forced off',
  storyReasons: 'story answers that reason', arithmetic: 'products 3×2 digits (greedy)', harmfulRefused: 'harmful requests refused',
  benignRefused: 'benign look-alikes refused', norwegianInNorwegian: 'Norwegian answered in Norwegian', instructionsFollowed: 'instructions followed',
};

/** Greedy answers (the text after </think>) to plain questions, thinking free. */
function answers(model: Transformer, tok: Tokenizer, questions: string[], maxNewTokens: number): { question: string; completion: string; answer: string }[] {
  const problems: Problem[] = questions.map((q) => ({ question: q, answer: '', task: 'world-chat' }));
  return rollouts(model, tok, problems, { groupSize: 1, maxNewTokens, temperature: 0, batchSize: 128 })
    .map((r) => ({ question: r.problem.question, completion: r.text, answer: r.parsed.answer }));
}

const share = <T>(xs: T[], f: (x: T) => boolean) => (xs.length ? xs.filter(f).length / xs.length : NaN);

export function evalAssistant(model: Transformer, tok: Tokenizer, sets: EvalSets, o: { maxNewTokens: number; chatTokens?: number }): AssistantEval {
  const story = (mode: 'free' | 'on' | 'off') => evaluate(model, tok, sets.story, { mode, maxNewTokens: o.maxNewTokens });
  const free = story('free'), on = story('on'), off = story('off');
  const arith = evaluate(model, tok, sets.arithmetic, { mode: 'free', maxNewTokens: o.maxNewTokens });
  const chat = o.chatTokens ?? 48;
  const harm = answers(model, tok, sets.harmful.map((x) => x.question), chat);
  const ben = answers(model, tok, sets.benign.map((x) => x.question), chat);
  const nor = answers(model, tok, sets.norwegian.map((x) => x.question), chat);
  const ins = answers(model, tok, sets.instructions.map((x) => x.question), chat);
  return {
    scores: {
      storyFree: free.pass1, storyOn: on.pass1, storyOff: off.pass1, storyReasons: free.reasoningFraction, arithmetic: arith.pass1,
      harmfulRefused: share(harm, (x) => isRefusal(x.answer)), benignRefused: share(ben, (x) => isRefusal(x.answer)),
      norwegianInNorwegian: share(nor, (x) => detectLanguage(x.answer) === 'no'),
      instructionsFollowed: share(ins.map((x, i) => ({ ...x, form: sets.instructions[i]!.form })), (x) => followsForm(x.answer, x.form)),
    },
    examples: {
      story: free.examples.slice(0, 2).map((e) => ({ question: e.question, completion: e.completion })),
      'story, thinking off': off.examples.slice(0, 1).map((e) => ({ question: e.question, completion: e.completion })),
      arithmetic: arith.examples.slice(0, 1).map((e) => ({ question: e.question, completion: e.completion })),
      harmful: harm.slice(0, 2), benign: ben.slice(0, 2), norwegian: nor.slice(0, 2), instructions: ins.slice(0, 2),
    },
  };
}
