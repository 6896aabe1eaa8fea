// Which language a text is in, English or Norwegian: a small detector for the language-consistency
// check (and reward), as DeepSeek-R1 rewarded answers in the language of the question. It counts
// very common function words of each language and the letters æ, ø, å; the side with more hits
// wins, and a text with no hits (a bare number, say) is 'unknown'.
import type { RewardFn } from '../../rl/rewards.ts';

export type Language = 'en' | 'no' | 'unknown';

const NO = new Set(['og', 'er', 'det', 'ikke', 'jeg', 'du', 'en', 'et', 'ei', 'på', 'til', 'som', 'med', 'har', 'kan', 'vil', 'hva',
  'hvor', 'hvem', 'hvorfor', 'nei', 'ja', 'vanligvis', 'trygt', 'den', 'de', 'vi', 'meg', 'deg', 'for', 'av', 'fra', 'om', 'skal',
  'bør', 'må', 'alltid', 'aldri', 'ofte', 'veldig', 'godt', 'god', 'hei', 'takk', 'heter', 'hvordan', 'hvilken', 'farge', 'dag',
  'bein', 'sier', 'pluss', 'bra', 'bare', 'hyggelig', 'hovedstaden', 'eller', 'når', 'sammen']);
const EN = new Set(['the', 'is', 'and', 'it', 'not', 'i', 'you', 'a', 'an', 'to', 'in', 'of', 'what', 'where', 'who', 'why', 'yes',
  'no', 'usually', 'safe', 'with', 'have', 'can', 'will', 'are', 'this', 'that', 'should', 'always', 'never', 'very', 'good', 'hello',
  'thanks', 'how', 'which', 'colour', 'color', 'day', 'at', 'on']);

export function detectLanguage(text: string): Language {
  const words = text.toLowerCase().match(/[a-zæøå]+/g) ?? [];
  let no = (text.match(/[æøåÆØÅ]/g) ?? []).length, en = 0;
  for (const w of words) {
    if (NO.has(w)) no++;
    if (EN.has(w)) en++;
  }
  if (no === 0 && en === 0) return 'unknown';
  return no > en ? 'no' : en > no ? 'en' : 'unknown';
}

/**
 * Language consistency for RL: 1 when the answer is in the question's language, else 0; null
 * (skipped) when the question's language cannot be told.
 */
export const languageConsistencyReward: RewardFn = ({ problem, parsed }) => {
  const want = detectLanguage(problem.question.split('\n').pop() ?? '');
  if (want === 'unknown') return null;
  return detectLanguage(parsed.answer) === want ? 1 : 0;
};
