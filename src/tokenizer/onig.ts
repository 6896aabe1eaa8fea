// Oniguruma patterns (what tokenizer.json's Split pre-tokenizers hold, compiled by HF's Rust
// crate) rewritten as JavaScript `u`-mode regexes. Only what tokenizer patterns use is
// translated; anything else is refused with the reason, never guessed.
//
// The differences that change matches: Oniguruma's \s is Unicode White_Space (JS's \s adds
// U+FEFF and lacks U+0085), \d is Nd, \w is letters, marks, Nd and Pc; `.` excludes only \n;
// (?i:...) in tokenizer patterns folds ASCII letters (the contractions 's 'T 'LL); possessive
// quantifiers and atomic groups (x++, (?>...)) become plain ones, which match the same pieces
// for these patterns since every alternative is tried in order anyway.
import { PonderError } from '../errors.ts';

const ESCAPES: Record<string, string> = {
  s: String.raw`\p{White_Space}`, S: String.raw`\P{White_Space}`,
  d: String.raw`\p{Nd}`, D: String.raw`\P{Nd}`,
  w: String.raw`[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}]`, W: String.raw`[^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}]`,
  r: String.raw`\r`, n: String.raw`\n`, t: String.raw`\t`, f: String.raw`\f`, v: String.raw`\v`,
};
const CLASS_ESCAPES: Record<string, string> = {
  s: String.raw`\p{White_Space}`, S: String.raw`\P{White_Space}`,
  d: String.raw`\p{Nd}`, D: String.raw`\P{Nd}`, w: String.raw`\p{Alphabetic}\p{M}\p{Nd}\p{Pc}`,
  r: String.raw`\r`, n: String.raw`\n`, t: String.raw`\t`, f: String.raw`\f`, v: String.raw`\v`,
};
const SYNTAX = '^$\\.*+?()[]{}|/';

const isAsciiLetter = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/** The JavaScript source of an Oniguruma pattern (compile it with the `u` flag, `g` to scan). */
export function onigToJs(pattern: string): string {
  const fail = (at: number, why: string): never => {
    throw new PonderError(`split pattern ${JSON.stringify(pattern)}: ${why} at index ${at} is not supported`);
  };
  let out = '';
  let fold = false;
  const folds: boolean[] = [];
  let lastQuant = false; // the previous item was a quantifier: a following + makes it possessive
  // A braced or hex escape at i (\p{L}, \x{4e00}, \x41, \u0041), as its JS form and length.
  const codedEscape = (i: number): [string, number] | null => {
    const m = /^\\([pP])\{(\^?)([A-Za-z_=]+)\}|^\\x\{([0-9A-Fa-f]{1,6})\}|^\\x([0-9A-Fa-f]{2})|^\\u([0-9A-Fa-f]{4})/.exec(pattern.slice(i));
    if (!m) return null;
    if (m[1]) {
      if (m[2]) fail(i, 'a negated property \\p{^...}');
      return [`\\${m[1]}{${m[3]}}`, m[0].length];
    }
    return [`\\u{${m[4] ?? m[5] ?? m[6]}}`, m[0].length];
  };
  const classBody = (start: number): [string, number] => {
    // start is just past '['; returns the JS class (with brackets) and the index past ']'.
    let i = start;
    let body = '';
    if (pattern[i] === '^') { body += '^'; i++; }
    if (pattern[i] === ']') { body += '\\]'; i++; } // a leading ] is literal in Oniguruma
    for (;;) {
      if (i >= pattern.length) fail(start - 1, 'an unterminated character class');
      const c = String.fromCodePoint(pattern.codePointAt(i)!);
      if (c === ']') return [`[${body}]`, i + 1];
      if (c === '[') fail(i, 'a nested character class');
      if (c === '&' && pattern[i + 1] === '&') fail(i, 'a class intersection');
      if (c === '\\') {
        const coded = codedEscape(i);
        if (coded) { body += coded[0]; i += coded[1]; continue; }
        const e = pattern[i + 1];
        if (e === undefined) fail(i, 'a trailing backslash');
        if (CLASS_ESCAPES[e] !== undefined) body += CLASS_ESCAPES[e];
        else if (/[A-Za-z0-9]/.test(e)) fail(i, `the escape \\${e}`);
        else body += SYNTAX.includes(e) || e === '-' ? `\\${e}` : e;
        i += 2;
        continue;
      }
      body += fold && isAsciiLetter(c) ? c.toLowerCase() + c.toUpperCase() : c;
      i += c.length;
    }
  };
  for (let i = 0; i < pattern.length;) {
    const c = String.fromCodePoint(pattern.codePointAt(i)!);
    const quant = c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d*,?\d*\}/.test(pattern.slice(i)));
    if (c === '+' && lastQuant) { i++; lastQuant = false; continue; } // possessive: x++ -> x+
    lastQuant = false;
    if (quant) {
      if (c === '{') {
        const m = /^\{(\d*)(,?)(\d*)\}/.exec(pattern.slice(i))!;
        out += `{${m[1] || '0'}${m[2]}${m[3]}}`;
        i += m[0].length;
      } else {
        out += c;
        i++;
        if (pattern[i] === '?') { out += '?'; i++; } // lazy
      }
      lastQuant = true;
      continue;
    }
    switch (c) {
      case '\\': {
        const coded = codedEscape(i);
        if (coded) { out += coded[0]; i += coded[1]; break; }
        const e = pattern[i + 1];
        if (e === undefined) fail(i, 'a trailing backslash');
        if (ESCAPES[e] !== undefined) out += ESCAPES[e];
        else if (/[A-Za-z0-9]/.test(e)) fail(i, `the escape \\${e}`);
        else out += SYNTAX.includes(e) ? `\\${e}` : e;
        i += 2;
        break;
      }
      case '[': {
        const [cls, end] = classBody(i + 1);
        out += cls;
        i = end;
        break;
      }
      case '(': {
        folds.push(fold);
        if (pattern.startsWith('(?i:', i)) { fold = true; out += '(?:'; i += 4; }
        else if (pattern.startsWith('(?>', i)) { out += '(?:'; i += 3; }
        else if (/^\(\?(?:[:=!]|<[=!])/.test(pattern.slice(i))) {
          const m = /^\(\?(?:[:=!]|<[=!])/.exec(pattern.slice(i))!;
          out += m[0];
          i += m[0].length;
        } else if (pattern[i + 1] === '?') fail(i, 'this group syntax');
        else { out += '('; i++; }
        break;
      }
      case ')':
        if (folds.length === 0) fail(i, 'an unbalanced )');
        fold = folds.pop()!;
        out += ')';
        i++;
        break;
      case '.': out += '[^\\n]'; i++; break;
      case '^': case '$': return fail(i, 'a line anchor');
      case '{': case '}': case ']': case '/': out += `\\${c}`; i++; break;
      default:
        out += fold && isAsciiLetter(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
        i += c.length;
    }
  }
  if (folds.length) fail(pattern.length, 'an unclosed group');
  try { new RegExp(out, 'gu'); } catch (e) {
    throw new PonderError(`split pattern ${JSON.stringify(pattern)} does not compile in JavaScript as ${JSON.stringify(out)}: ${(e as Error).message}`);
  }
  return out;
}
