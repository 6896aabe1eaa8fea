// A small recursive-descent parser and exact evaluator for Countdown answers. Never eval.
//   expr   := term (('+' | '-') term)*
//   term   := factor (('*' | '/') factor)*
//   factor := INTEGER | '(' expr ')'
// Accepted symbols: + ; - and U+2212 ; * × · ; / ÷ . No unary minus: Countdown has only the four
// binary operations on the given numbers.
import { Rational } from './rational.ts';

export interface Evaluated {
  /** null when the expression divides by zero. */
  value: Rational | null;
  /** The integer literals used, in order of appearance. */
  numbers: bigint[];
}

const MAX_LENGTH = 500; // guards against pathological inputs
const MAX_DEPTH = 64;   // parenthesis nesting; keeps recursion far from the stack limit

type Tok = { kind: 'num'; value: bigint } | { kind: 'op'; op: '+' | '-' | '*' | '/' } | { kind: '(' } | { kind: ')' };

function tokenize(s: string): Tok[] | null {
  const toks: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c >= '0' && c <= '9') {
      let j = i;
      while (j < s.length && s[j]! >= '0' && s[j]! <= '9') j++;
      toks.push({ kind: 'num', value: BigInt(s.slice(i, j)) });
      i = j;
      continue;
    }
    if (c === '+') toks.push({ kind: 'op', op: '+' });
    else if (c === '-' || c === '\u2212') toks.push({ kind: 'op', op: '-' });
    else if (c === '*' || c === '\u00d7' || c === '\u00b7') toks.push({ kind: 'op', op: '*' });
    else if (c === '/' || c === '\u00f7') toks.push({ kind: 'op', op: '/' });
    else if (c === '(') toks.push({ kind: '(' });
    else if (c === ')') toks.push({ kind: ')' });
    else return null;
    i++;
  }
  return toks;
}

/** Parses and evaluates exactly; null when the text is not a well-formed expression. */
export function evaluateExpression(text: string): Evaluated | null {
  if (text.length > MAX_LENGTH) return null;
  const toks = tokenize(text);
  if (!toks || toks.length === 0) return null;
  let pos = 0;
  const numbers: bigint[] = [];
  let divByZero = false;
  const ZERO = Rational.of(0);

  const peek = () => toks[pos];
  const factor = (depth: number): Rational | null => {
    const t = toks[pos];
    if (!t) return null;
    if (t.kind === 'num') { pos++; numbers.push(t.value); return new Rational(t.value); }
    if (t.kind === '(') {
      if (depth >= MAX_DEPTH) return null;
      pos++;
      const v = expr(depth + 1);
      if (v === null || toks[pos]?.kind !== ')') return null;
      pos++;
      return v;
    }
    return null;
  };
  const term = (depth: number): Rational | null => {
    let v = factor(depth);
    if (v === null) return null;
    for (let t = peek(); t?.kind === 'op' && (t.op === '*' || t.op === '/'); t = peek()) {
      pos++;
      const r = factor(depth);
      if (r === null) return null;
      if (t.op === '*') v = v.mul(r);
      else {
        const q = v.div(r);
        if (q === null) { divByZero = true; v = ZERO; } else v = q;
      }
    }
    return v;
  };
  const expr = (depth: number): Rational | null => {
    let v = term(depth);
    if (v === null) return null;
    for (let t = peek(); t?.kind === 'op' && (t.op === '+' || t.op === '-'); t = peek()) {
      pos++;
      const r = term(depth);
      if (r === null) return null;
      v = t.op === '+' ? v.add(r) : v.sub(r);
    }
    return v;
  };

  const value = expr(0);
  if (value === null || pos !== toks.length) return null;
  return { value: divByZero ? null : value, numbers };
}
