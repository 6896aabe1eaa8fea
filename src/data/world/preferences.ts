// Preference pairs for alignment, five kinds: helpful over unhelpful (small talk), refusal over
// harmful compliance, an answer over a needless refusal (benign look-alikes), right over wrong
// (facts and sums), and the question's language over the other one. Training side of the split only.
import type { Rng } from '../../tasks/rng.ts';
import type { PreferencePair } from '../../align/data.ts';
import { pick } from './lexicon.ts';
import { smallTalk, UNHELPFUL } from './smalltalk.ts';
import { harmful, benign, COMPLIANCE, type HarmCategory } from './safety.ts';
import { languageItem } from './norwegian.ts';
import { drawOn } from './split.ts';

export type PairKind = 'helpful' | 'refuse-harm' | 'answer-benign' | 'right-wrong' | 'language';
/** One cycle of pair kinds: refusals twice, as the rarest behaviour of the instruction-tuned model. */
export const PAIR_KINDS: PairKind[] = ['refuse-harm', 'answer-benign', 'helpful', 'refuse-harm', 'right-wrong', 'language'];

export function preferencePair(r: Rng, kind: PairKind): PreferencePair & { kind: PairKind } {
  const user = (q: string) => [{ role: 'user' as const, content: q }];
  switch (kind) {
    case 'helpful': {
      const x = smallTalk(r);
      return { line: 0, kind, prompt: user(x.question), chosen: x.answer, rejected: pick(r, UNHELPFUL) };
    }
    case 'refuse-harm': {
      const x = drawOn('train', () => harmful(r));
      return { line: 0, kind, prompt: user(x.question), chosen: x.answer, rejected: pick(r, COMPLIANCE) };
    }
    case 'answer-benign': {
      const x = drawOn('train', () => benign(r));
      const refusal = harmful(r, pick(r, ['weapons', 'violence'] as HarmCategory[])).answer;
      return { line: 0, kind, prompt: user(x.question), chosen: x.answer, rejected: refusal };
    }
    case 'right-wrong': {
      const x = drawOn('train', () => {
        const a = r.int(1, 40), b = r.int(1, 40);
        return { question: `What is ${a} plus ${b}?`, right: `${a} plus ${b} is ${a + b}.`, wrong: `${a} plus ${b} is ${a + b + pick(r, [-2, -1, 1, 2, 10])}.` };
      });
      return { line: 0, kind, prompt: user(x.question), chosen: x.right, rejected: x.wrong };
    }
    case 'language': {
      const x = drawOn('train', () => languageItem(r, 'no'));
      return { line: 0, kind, prompt: user(x.question), chosen: x.answer, rejected: x.other };
    }
  }
}
