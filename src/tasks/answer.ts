// How a model's final answer is read from its answer text (the text after </think>), and the
// default verifier used by numeric tasks and by JSONL problems.
import { Rational } from './rational.ts';
import type { Problem } from './types.ts';

/**
 * The final-answer segment of an answer text:
 * 1. the content of the last `\boxed{...}` (braces balanced), if any; else
 * 2. the text after the last `Answer:` (case-insensitive), if any; else
 * 3. the whole text.
 * The result is trimmed.
 */
export function extractFinalAnswer(text: string): string {
  const boxed = lastBoxed(text);
  if (boxed !== null) return boxed.trim();
  const m = [...text.matchAll(/answer\s*:/gi)].pop();
  if (m) return text.slice(m.index! + m[0].length).trim();
  return text.trim();
}

function lastBoxed(text: string): string | null {
  const at = text.lastIndexOf('\\boxed{');
  if (at < 0) return null;
  let depth = 0;
  const start = at + '\\boxed{'.length;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') {
      if (depth === 0) return text.slice(start, i);
      depth--;
    }
  }
  return null; // unclosed: treat as no box
}

// A number: optional sign (ASCII '-' or U+2212) when not glued to a word or a digit before it
// (so "10-5" reads 10 and 5), digits with optional thousands commas, an optional decimal part,
// an optional "/denominator".
const NUMBER = /(?<![\w.)])[-\u2212]?(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?(?:\/\d+)?/g;

/** Parses one number token ("1,234", "1234.0", "-5", "3/4") exactly; null when it is not one. */
export function parseNumber(token: string): Rational | null {
  const m = /^([-\u2212]?)((?:\d{1,3}(?:,\d{3})+|\d+))(?:\.(\d+))?(?:\/(\d+))?$/.exec(token.trim());
  if (!m) return null;
  const sign = m[1] ? -1n : 1n;
  const int = m[2]!.replace(/,/g, '');
  const frac = m[3] ?? '';
  let r = new Rational(sign * BigInt(int + frac), 10n ** BigInt(frac.length));
  if (m[4] !== undefined) {
    const d = BigInt(m[4]);
    if (d === 0n) return null;
    r = new Rational(r.num, r.den * d);
  }
  return r;
}

/** The last number in a text, exactly; null when there is none. */
export function extractLastNumber(text: string): Rational | null {
  const all = text.match(NUMBER);
  return all ? parseNumber(all[all.length - 1]!) : null;
}

/** trim, case-fold, collapse whitespace, strip trailing periods. */
export function normaliseText(s: string): string {
  return s.trim().toLowerCase().replace(/\s+/g, ' ').replace(/\.+$/, '').trim();
}

/**
 * The default verifier. When the reference answer is a number, the last number of the model's
 * final-answer segment must equal it exactly ("1,234" = "1234" = "1234.0"). Otherwise the
 * final-answer segment must equal the reference after normaliseText.
 */
export function defaultVerify(answerText: string, problem: Problem): boolean {
  const gold = parseNumber(problem.answer);
  const final = extractFinalAnswer(answerText);
  if (gold !== null) {
    const pred = extractLastNumber(final);
    return pred !== null && pred.eq(gold);
  }
  const want = normaliseText(problem.answer);
  return want !== '' && normaliseText(final) === want;
}
