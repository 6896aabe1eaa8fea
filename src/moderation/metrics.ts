// Precision, recall and F1: for "flagged" (any unsafe class against safe) and per category.
export interface PRF {
  precision: number;
  recall: number;
  f1: number;
  /** True positives, false positives, false negatives. */
  tp: number;
  fp: number;
  fn: number;
}

export function prf(tp: number, fp: number, fn: number): PRF {
  // No predictions (or no positives) count as 0, not NaN: a floor must fail, not pass vacuously.
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, tp, fp, fn };
}

export interface Report {
  n: number;
  accuracy: number;
  flagged: PRF;
  perClass: Record<string, PRF>;
}

/** Scores predicted class names against gold ones; classes[0] is the negative ('safe') class. */
export function evaluate(gold: string[], predicted: string[], classes: readonly string[]): Report {
  const neg = classes[0];
  let tp = 0, fp = 0, fn = 0, right = 0;
  const per: Record<string, { tp: number; fp: number; fn: number }> = {};
  for (const c of classes.slice(1)) per[c] = { tp: 0, fp: 0, fn: 0 };
  gold.forEach((g, i) => {
    const p = predicted[i];
    if (g === p) right++;
    if (g !== neg && p !== neg) tp++;
    else if (g === neg && p !== neg) fp++;
    else if (g !== neg && p === neg) fn++;
    for (const c of classes.slice(1)) {
      if (g === c && p === c) per[c].tp++;
      else if (g !== c && p === c) per[c].fp++;
      else if (g === c && p !== c) per[c].fn++;
    }
  });
  const perClass: Record<string, PRF> = {};
  for (const [c, x] of Object.entries(per)) perClass[c] = prf(x.tp, x.fp, x.fn);
  return { n: gold.length, accuracy: gold.length ? right / gold.length : 0, flagged: prf(tp, fp, fn), perClass };
}
