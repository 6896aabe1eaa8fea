// Where a model's hinted product trace (hinted-columns.ts) leaves the reference: the first wrong
// line, classified. The reference is rebuilt with the model's own first letter, since any start
// that fits is a right trace.
import { HINTS, hintedProductTrace, WIDTH } from './hinted-columns.ts';
import { parseArithQuestion } from './arithmetic.ts';

export type HintedErrorKind =
  | 'rewrite stops early' | 'rewrite runs on' | 'rewrite digit' | 'rewrite letters'
  | 'step arithmetic' | 'step lookup' | 'steps stop wrong'
  | 'letters row' | 'digits row' | 'answer' | 'no trace';

const STEP = /^([a-p])(\d)\*(\d)\+(\d)=(\d\d)$/;

/** Is a step line's own arithmetic right ("i8*6+0=48": 8*6+0 = 48)? null when it is not a step line. */
export function hintedStepHolds(line: string): boolean | null {
  const m = STEP.exec(line.trim());
  if (!m) return null;
  return Number(m[2]) * Number(m[3]) + Number(m[4]) === Number(m[5]);
}

/** The first letter a completion's rewrite uses, when it fits the multiplicand. */
function startOf(reasoning: string, digits: number): number | null {
  const i = HINTS.indexOf(reasoning.trim()[0] ?? '');
  return i >= 1 && i + digits <= WIDTH ? i : null;
}

/** The kind of the first wrong line of a completion's reasoning, or 'answer' when every line is right. */
export function classifyHinted(question: string, reasoning: string): HintedErrorKind {
  const { a, b } = parseArithQuestion(question, 'hinted');
  const as = a.toString();
  const start = startOf(reasoning, as.length);
  if (start === null) return 'no trace';
  const ref = hintedProductTrace(a, b, start).split('\n').slice(0, -1);
  const got = reasoning.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  for (let i = 0; i < ref.length; i++) {
    const want = ref[i]!, line = got[i];
    if (line === want) continue;
    if (i === 0) {
      const digits = (line ?? '').replace(/\*.*$/, '').replace(/[a-p]/g, '');
      if (digits.length < as.length) return 'rewrite stops early';
      if (digits.length > as.length) return 'rewrite runs on';
      return digits === as ? 'rewrite letters' : 'rewrite digit';
    }
    if (line === undefined) return 'steps stop wrong';
    if (STEP.test(want)) {
      if (!STEP.test(line)) return 'steps stop wrong';
      return hintedStepHolds(line) === false ? 'step arithmetic' : 'step lookup';
    }
    if (STEP.test(line)) return 'steps stop wrong';
    return want.replace(/\./g, '').match(/^\d*$/) ? 'digits row' : 'letters row';
  }
  return 'answer';
}
