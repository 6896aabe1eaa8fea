// Text normalisation for moderation: undo the Unicode and spelling tricks people use to slip past
// keyword rules, then split into word tokens so that rules match whole words (the "Scunthorpe"
// problem: "cunt" must not fire inside "Scunthorpe").
//
// Stages: NFKC (fullwidth, ligatures, superscripts) -> drop format characters (zero-width, bidi,
// soft hyphen, variation selectors) -> lower case -> strip accents (NFD, drop marks) -> map
// Cyrillic/Greek look-alikes to Latin -> tokens -> leet digits/symbols to letters in tokens that
// hold a letter -> runs of single letters ("k i l l", "k.i.l.l") joined into one word.

// Zero-width, bidi controls, soft hyphen and other Cf; combining grapheme joiner; variation selectors.
const INVISIBLE = /[\p{Cf}\u034F\u180E\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/gu;
const MARKS = /\p{M}/gu;

/** Look-alike letters (after lower-casing) mapped to the Latin letter they imitate. */
const CONFUSABLES: Record<string, string> = {
  // Cyrillic
  'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c',
  'т': 't', 'у': 'y', 'х': 'x', 'ѕ': 's', 'і': 'i', 'ї': 'i', 'ј': 'j', 'ԁ': 'd', 'ɡ': 'g', 'һ': 'h',
  'ӏ': 'l', 'ԛ': 'q', 'ԝ': 'w', 'ь': 'b', 'п': 'n', 'г': 'r', 'л': 'n', 'ц': 'u', 'ш': 'w', 'щ': 'w',
  // Greek
  'α': 'a', 'β': 'b', 'γ': 'y', 'δ': 'd', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o',
  'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'ω': 'w', 'ς': 's', 'σ': 'o', 'μ': 'u', 'λ': 'l', 'ϲ': 'c',
  // Latin odds and ends that NFKC leaves alone
  'ı': 'i', 'ȷ': 'j', 'ł': 'l', 'ø': 'o', 'đ': 'd', 'ħ': 'h', 'ß': 'ss', 'æ': 'ae', 'œ': 'oe', 'þ': 'th',
};

/** Leet: digits and symbols standing for letters. '1' is ambiguous (i or l): both are tried. */
const LEET: Record<string, string> = { '0': 'o', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', '$': 's', '8': 'b', '9': 'g' };

/** NFKC, invisible characters removed, lower case, accents stripped, look-alikes mapped. */
export function foldText(text: string): string {
  let s = text.normalize('NFKC').replace(INVISIBLE, '').toLowerCase();
  s = s.normalize('NFD').replace(MARKS, '').normalize('NFC');
  let out = '';
  for (const ch of s) out += CONFUSABLES[ch] ?? ch;
  return out;
}

/** A word-ish token of folded text: letters, digits and the leet symbols @ and $. */
const TOKEN = /[\p{L}\p{N}@$]+/gu;
const HAS_LETTER = /\p{L}/u;

interface RawToken { text: string; start: number; end: number }

function rawTokens(folded: string): RawToken[] {
  const out: RawToken[] = [];
  for (const m of folded.matchAll(TOKEN)) out.push({ text: m[0], start: m.index!, end: m.index! + m[0].length });
  return out;
}

function deLeet(tok: string, one: 'i' | 'l'): string {
  let out = '';
  for (const ch of tok) out += ch === '1' ? one : (LEET[ch] ?? ch);
  return out;
}

/** One-letter English words: a spelled-out word after one ("a b o m b") may or may not include it. */
const ONE_LETTER_WORDS = new Set(['a', 'i']);

/**
 * Joins runs of at least three single-character tokens separated by the same short separator on
 * one line ("k i l l", "k.i.l.l", "k - i - l - l") into one token. With `splitWord`, a run that
 * starts with a one-letter word keeps that word apart ("a b o m b" -> "a", "bomb").
 */
function joinSpaced(tokens: RawToken[], folded: string, splitWord = false): RawToken[] {
  const out: RawToken[] = [];
  let i = 0;
  while (i < tokens.length) {
    let j = i;
    if ([...tokens[i].text].length === 1) {
      // The run keeps its first separator: "k.i.l.l m.y" is two words, "k i l l" one.
      let sep: string | null = null;
      while (j + 1 < tokens.length && [...tokens[j + 1].text].length === 1) {
        const gap = folded.slice(tokens[j].end, tokens[j + 1].start);
        if (gap.length > 3 || gap.includes('\n') || (sep !== null && gap !== sep)) break;
        sep = gap;
        j++;
      }
    }
    if (splitWord && j - i + 1 >= 4 && ONE_LETTER_WORDS.has(tokens[i].text)) {
      out.push(tokens[i]);
      i++;
    }
    if (j - i + 1 >= 3) {
      out.push({ text: tokens.slice(i, j + 1).map((t) => t.text).join(''), start: tokens[i].start, end: tokens[j].end });
      i = j + 1;
    } else {
      out.push(tokens[i]);
      i++;
    }
  }
  return out;
}

export interface Normalized {
  /** foldText(text): for patterns over the text as written (card numbers, markers). */
  folded: string;
  /**
   * Token sequences to match words against: '1' read as 'i', and (when it differs) as 'l'; and
   * (when it differs) a spelled-out run with its leading one-letter word kept apart.
   */
  variants: string[][];
}

/** Everything the rules need from a text. */
export function normalize(text: string): Normalized {
  const folded = foldText(text);
  const raw = rawTokens(folded);
  const variants: string[][] = [];
  for (const splitWord of [false, true]) {
    const joined = joinSpaced(raw, folded, splitWord);
    for (const one of ['i', 'l'] as const) {
      // Pure numbers stay numbers ("5 apples" is not "s apples"); a token with a letter is de-leeted.
      const v = joined.map((t) => (HAS_LETTER.test(t.text) ? deLeet(t.text, one) : t.text));
      if (!variants.some((u) => u.length === v.length && u.every((w, k) => w === v[k]))) variants.push(v);
    }
  }
  return { folded, variants };
}

/** A keyword or phrase as rule tokens: folded and split the same way, no leet (config is plain). */
export function phraseTokens(phrase: string): string[] {
  return rawTokens(foldText(phrase)).map((t) => t.text);
}
