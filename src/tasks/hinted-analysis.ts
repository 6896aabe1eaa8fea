// Where a model's hinted product trace (hinted-columns.ts) leaves the reference: the first wrong
// line, classified. The reference is rebuilt with the model's own first letter, since any start
// that fits is a right trace.
import { HINTS, hintedProductTrace, questionTail, readsTail, WIDTH, type HintLayout } from './hinted-columns.ts';

export type HintedErrorKind =
  | 'reading stops early' | 'reading runs on' | 'reading digit' | 'reading letters' | 'reading pairs'
  | 'step arithmetic' | 'step lookup' | 'steps stop wrong'
  | 'letters row' | 'digits row' | 'answer' | 'no trace';

const STEP = /^([a-p])(\d)\*(\d)\+(\d)=(\d\d)$/;

/** Is a step line's own arithmetic right ("i8*6+0=48": 8*6+0 = 48)? null when it is not a step line. */
export function hintedStepHolds(line: string): boolean | null {
  const m = STEP.exec(line.trim());
  if (!m) return null;
  return Number(m[2]) * Number(m[3]) + Number(m[4]) === Number(m[5]);
}

/** The first letter a completion's reading uses, when it fits the multiplicand. */
function startOf(lines: string[], digits: number, layout: HintLayout): number | null {
  const letters = layout === 'pairs' ? (lines[0] ?? '') : (lines[1] ?? '').replace(/^\.*/, '');
  const i = HINTS.indexOf(letters[0] ?? '');
  return i >= 1 && i + digits + (readsTail(layout) ? 1 : 0) <= WIDTH ? i : null;
}

/** The kind of the first wrong line of a completion's reasoning, or 'answer' when every line is right. */
export function classifyHinted(question: string, reasoning: string, layout: HintLayout = 'tail'): HintedErrorKind {
  const q = questionTail(question);
  if (q === null) return 'no trace';
  const { a, b } = q;
  const as = a.toString();
  const got = reasoning.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const readLines = layout === 'pairs' ? 1 : layout === 'tail' ? 3 : 2;
  const tail = readsTail(layout);
  if (!(tail ? /\* \d\?$/ : /\*\d$/).test(got[0] ?? '')) return 'no trace';
  // A reading of the wrong length or digits is named before its letters are looked at.
  const row = (got[0] ?? '').replace(/\*.*$/, '');
  const digitsRead = tail ? (/(\d*) \*/.exec(got[0] ?? '')?.[1] ?? '')
    : (layout === 'window' ? row.replace(/^\D*/, '') : row).replace(/[a-p.]/g, '');
  if (digitsRead.length < as.length) return 'reading stops early';
  if (digitsRead.length > as.length) return 'reading runs on';
  if (digitsRead !== as) return 'reading digit';
  const start = startOf(got, as.length, layout);
  if (start === null) return layout === 'pairs' ? 'no trace' : 'reading letters';
  // Lines compare trimmed on both sides (a window reading can start with a space).
  const ref = hintedProductTrace(a, b, start, layout, question.trim()).split('\n').slice(0, -1).map((l) => l.trim());
  for (let i = 0; i < ref.length; i++) {
    const want = ref[i]!, line = got[i];
    if (line === want) continue;
    if (i < readLines) return i === 2 ? 'reading pairs' : 'reading letters';
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
