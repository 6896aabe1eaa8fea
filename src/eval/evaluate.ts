// Evaluation on held-out problems: greedy pass@1, sampled pass@k and maj@k, with thinking free,
// forced on or forced off, so a report can show what the reasoning buys.
import type { Transformer } from '../model/transformer.ts';
import type { ChatFormat, TextTokenizer } from '../tokenizer/index.ts';
import type { Problem } from '../tasks/types.ts';
import { verifyProblem } from '../tasks/registry.ts';
import { extractFinalAnswer, normaliseText } from '../tasks/answer.ts';
import { rollouts } from '../rl/rollout.ts';
import type { ThinkingMode } from '../rl/prompt.ts';

export interface EvalOptions {
  mode?: ThinkingMode;
  maxNewTokens?: number;
  /** Samples per problem for pass@k and maj@k (0 = greedy only). */
  k?: number;
  temperature?: number;
  seed?: number;
  batchSize?: number;
  /** A pretrained model's chat format (template, EOS and think ids); default ponder's own. */
  format?: ChatFormat;
}

export interface EvalResult {
  mode: ThinkingMode;
  problems: number;
  /** Greedy accuracy. */
  pass1: number;
  /** Share of greedy completions that reason (open <think>). */
  reasoningFraction: number;
  /** Mean greedy completion length in tokens. */
  meanLength: number;
  passK?: number;
  majK?: number;
  k?: number;
  /** A few greedy completions for a person to read. */
  examples: { question: string; answer: string; completion: string; correct: boolean }[];
}

const correct = (answer: string, p: Problem): boolean => {
  try {
    return answer.trim() !== '' && verifyProblem(answer, p);
  } catch {
    return false; // a verifier that cannot read the answer counts it wrong
  }
};

export function evaluate(model: Transformer, tok: TextTokenizer, problems: Problem[], o: EvalOptions = {}): EvalResult {
  const mode = o.mode ?? 'free', maxNew = o.maxNewTokens ?? 96, batch = o.batchSize ?? 128;
  const greedy = rollouts(model, tok, problems, { groupSize: 1, maxNewTokens: maxNew, temperature: 0, mode, batchSize: batch, format: o.format });
  const ok = greedy.map((r) => correct(r.parsed.answer, r.problem));
  const res: EvalResult = {
    mode, problems: problems.length,
    pass1: mean(ok.map(Number)),
    reasoningFraction: mean(greedy.map((r) => (r.reasons ? 1 : 0))),
    meanLength: mean(greedy.map((r) => r.completion.length)),
    examples: greedy.slice(0, 4).map((r, i) => ({ question: r.problem.question, answer: r.problem.answer, completion: r.text, correct: ok[i] })),
  };
  const k = o.k ?? 0;
  if (k > 0) {
    const sampled = rollouts(model, tok, problems, { groupSize: k, maxNewTokens: maxNew, temperature: o.temperature ?? 1, mode, seed: o.seed ?? 1, batchSize: batch, format: o.format });
    let pass = 0, maj = 0;
    problems.forEach((p, i) => {
      const group = sampled.slice(i * k, (i + 1) * k);
      if (group.some((r) => correct(r.parsed.answer, p))) pass++;
      // Majority vote over normalised final answers; ties go to the answer seen first.
      const votes = new Map<string, { n: number; answer: string }>();
      for (const r of group) {
        const a = extractFinalAnswer(r.parsed.answer);
        if (!a.trim()) continue;
        const key = normaliseText(a);
        const v = votes.get(key) ?? { n: 0, answer: r.parsed.answer };
        v.n++;
        votes.set(key, v);
      }
      let best: { n: number; answer: string } | null = null;
      for (const v of votes.values()) if (!best || v.n > best.n) best = v;
      if (best && correct(best.answer, p)) maj++;
    });
    Object.assign(res, { k, passK: pass / problems.length, majK: maj / problems.length });
  }
  return res;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}
