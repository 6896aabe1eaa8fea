// The pre-tokenizer: a GPT-style split of text into pieces before BPE; merges never cross pieces.
//
// It is Qwen2's pattern: English contractions, words with at most one leading non-letter
// (usually a space), every numeric character alone (so each digit is its own piece and BPE can
// never merge digits: arithmetic sees one token per digit), punctuation runs with a leading
// space and trailing newlines, newline runs, and whitespace runs that leave the last space to
// the next word. The pattern covers every character, so no text falls between pieces.

/** The pattern as tokenizer.json stores it (Oniguruma syntax, what HF's Rust crate compiles). */
export const SPLIT_PATTERN_ONIG =
  String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

/**
 * The same pattern in JavaScript: (?i:) spelled out in ASCII classes and \s written as
 * \p{White_Space} (JS's \s adds U+FEFF and lacks U+0085; Oniguruma's is White_Space). This is
 * character for character what @huggingface/tokenizers derives from SPLIT_PATTERN_ONIG.
 */
export const SPLIT_SOURCE_JS =
  String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\p{White_Space}\p{L}\p{N}]+[\r\n]*|\p{White_Space}*[\r\n]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+`;

/** A fresh global regex (each caller owns its lastIndex). */
export function splitRegex(): RegExp {
  return new RegExp(SPLIT_SOURCE_JS, 'gu');
}

/** The pieces of a text, in order; their concatenation is the text. */
export function preTokenize(text: string): string[] {
  const out: string[] = [];
  const re = splitRegex();
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(m[0]);
  return out;
}
