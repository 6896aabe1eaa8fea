// Invented words for training stories: names, places and objects made of random syllables
// ("Dravolin went to the kesparo."), fresh for each story. With a couple of dozen fixed training
// words a small model memorises them and answers from memory; with tens of thousands of
// possible words, seen once or twice each, the only way to answer "Where is the kesparo?" is to
// copy the word from the story, which is what the held-out words (lexicon.ts HELD_OUT) test.
// Like the held-out words, invented ones are split by the tokenizer into several BPE pieces.
// Most are drawn letter by letter from English spelling (letters.ts) so that the pieces of
// English words ("qu", "ll", "ck", a capital Q) occur in stories; the rest are syllables.
// An invented word never equals a held-out word, a training word or a word of the story
// templates (checked here, and test/data/world.test.ts scans the training data for held-out words).
import type { Rng } from '../../tasks/rng.ts';
import { pick, cap, HELD_OUT, TRAIN, type Lexicon } from './lexicon.ts';
import { englishLikeWord } from './letters.ts';

const ONSETS = ['b', 'd', 'f', 'g', 'h', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'dr', 'gl', 'kr', 'pl', 'st', 'tr', 'sk', 'sh', 'th', 'ch', 'w', 'j'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'o', 'ai', 'ou', 'ee', 'y'];
const CODAS = ['', '', '', 'n', 'r', 'l', 's', 'm', 't', 'nd', 'st', 'sk', 'x'];

/** Words that must never be invented: held-out and training words, and the templates' words. */
const FORBIDDEN = new Set([...HELD_OUT.names, ...HELD_OUT.places, ...HELD_OUT.objects, ...TRAIN.names, ...TRAIN.places, ...TRAIN.objects]
  .map((w) => w.toLowerCase()).concat(['the', 'went', 'took', 'put', 'down', 'where', 'who', 'has', 'is', 'at', 'so']));

/** Share of invented words drawn from the English letter model (letters.ts) rather than syllables. */
export const ENGLISH_LIKE_SHARE = 0.6;

/** A lowercase invented word: English-like, or of syl syllables (an onset may be dropped, so words may start with a vowel). */
function word(r: Rng, syl: number, englishLikeShare: number): string {
  for (;;) {
    // (no draw at share 0, so a world of syllable words is the same as before letters.ts)
    if (englishLikeShare > 0 && r.float() < englishLikeShare) {
      const e = englishLikeWord(r);
      if (!FORBIDDEN.has(e)) return e;
      continue;
    }
    let w = '';
    for (let i = 0; i < syl; i++) w += (i === 0 && r.int(0, 4) === 0 ? '' : pick(r, ONSETS)) + pick(r, VOWELS) + (i === syl - 1 || r.int(0, 2) === 0 ? pick(r, CODAS) : '');
    if (w.length >= 4 && !FORBIDDEN.has(w)) return w;
  }
}

export const isForbiddenInvention = (w: string): boolean => FORBIDDEN.has(w.toLowerCase());

/** A fresh lexicon for one story: k invented names, places and objects (2 or 3 syllables). */
export function inventedLexicon(r: Rng, k = 4, englishLikeShare = ENGLISH_LIKE_SHARE): Lexicon {
  const distinct = (f: () => string) => {
    const s = new Set<string>();
    while (s.size < k) s.add(f());
    return [...s];
  };
  const syl = () => 2 + r.int(0, 1);
  const w = () => word(r, syl(), englishLikeShare);
  return { names: distinct(() => cap(w())), places: distinct(w), objects: distinct(w) };
}

/** Share of training stories told with invented words (the rest use TRAIN, so the fixed words stay familiar). */
export const INVENTED_SHARE = 0.8;

/**
 * A story lexicon: invented words with probability inventedShare, else the fixed training words.
 * realPlaces keeps the training places (pretraining prose: "The boy went to the" must still be
 * followed by places of the world, as the next-word explorer shows, not by syllables).
 */
export function trainingLexicon(r: Rng, inventedShare: number, realPlaces = false, englishLikeShare = ENGLISH_LIKE_SHARE): Lexicon {
  if (r.float() >= inventedShare) return TRAIN;
  const lex = inventedLexicon(r, 4, englishLikeShare);
  return realPlaces ? { ...lex, places: TRAIN.places } : lex;
}
