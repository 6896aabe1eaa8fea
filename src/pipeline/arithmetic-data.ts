// The arithmetic preset's problems: which operand shapes are trained, which are held out by shape
// (including shapes longer than any training problem), and a set of multiplicands that never
// appear in any training line. Every rule is checked in code, not just promised.
import { PonderError } from '../errors.ts';
import { columnTrace, shapeName, shapeProblem, shapesTask, type Shape } from '../tasks/columns.ts';
import { parseArithQuestion } from '../tasks/arithmetic.ts';
import { heldOutSet, problemKey } from '../tasks/heldout.ts';
import { deriveSeed, Rng } from '../tasks/rng.ts';
import type { Problem, Task } from '../tasks/types.ts';

const mul = (a: number, b: number): Shape => ({ op: '*', a, b });

/** Shapes pretraining sees: products up to 3x2 digits, sums and differences up to 7 digits. */
const PRETRAIN_PRODUCTS = [mul(1, 1), mul(2, 1), mul(1, 2), mul(2, 2), mul(3, 1), mul(3, 2), mul(2, 3)];
export const PRETRAIN_SHAPES: readonly Shape[] = [
  // Products four times over: about half the problems multiply (a pick is uniform over the list).
  ...PRETRAIN_PRODUCTS, ...PRETRAIN_PRODUCTS, ...PRETRAIN_PRODUCTS, ...PRETRAIN_PRODUCTS,
  ...[1, 2, 3, 4, 5, 6, 7].flatMap((a) => [{ op: '+' as const, a, b: a }, { op: '+' as const, a, b: Math.max(1, a - 2) },
    { op: '-' as const, a, b: a }, { op: '-' as const, a, b: Math.max(1, a - 2) }]),
];
/** RL's shape: harder than anything pretrained (three rows). */
export const RL_SHAPE: Shape = mul(3, 3);
/** Shapes no training problem has: the multiplicand is longer than any trained one. */
export const UNSEEN_SHAPES: readonly Shape[] = [mul(4, 1), mul(4, 2), mul(4, 3)];
/** The trained product shapes a report scores. */
export const TRAINED_SHAPES: readonly Shape[] = [mul(2, 2), mul(3, 1), mul(3, 2), RL_SHAPE];

/**
 * Multiplicands held out of every training line: 3-digit numbers in this set (nor their digit
 * reversals, to be safe) never occur as a whole number in any training problem or trace.
 * 18 values: 117, 167, ..., 967.
 */
export const HELD_VALUES: readonly bigint[] = Array.from({ length: 18 }, (_, i) => BigInt(117 + 50 * i));

const reversed = (v: bigint) => BigInt(v.toString().split('').reverse().join(''));
const heldValueTexts = new Set(HELD_VALUES.flatMap((v) => [v.toString(), reversed(v).toString()]));

/** The first held value (or its reversal) written as a whole number in the text, or null. */
export function mentionedHeldValue(text: string): string | null {
  // A partial result may carry leading zeros ("0317"): read as a number too.
  for (const m of text.matchAll(/\d+/g)) if (heldValueTexts.has(m[0]) || heldValueTexts.has(m[0].replace(/^0+(?=\d)/, ''))) return m[0];
  return null;
}

const taskName = (s: Shape) => (s.op === '*' ? 'column-multiplication' : s.op === '+' ? 'column-addition' : 'column-subtraction');

/** A shape's own task (problems named after the column task of its operation). */
export function shapeTask(s: Shape): Task {
  const t = shapesTask(taskName(s), [s]);
  return { ...t, name: `${taskName(s)}/${shapeName(s)}` };
}

/** The held-out set of one shape: n distinct problems, none with a held value. */
export function shapeHeldOut(s: Shape, n: number, seed: number): Problem[] {
  const t = shapeTask(s);
  return heldOutSet(t, 1, n * 2, seed).filter((p) => mentionedHeldValue(p.question) === null).slice(0, n);
}

/** Products a * b (a 3-digit, b with bDigits digits) whose multiplicand a is one of HELD_VALUES. */
export function heldValueSet(n: number, seed: number, bDigits = 2): Problem[] {
  const rng = new Rng(deriveSeed(seed, 'held-values'));
  const seen = new Set<string>();
  const out: Problem[] = [];
  while (out.length < n) {
    const a = rng.pick(HELD_VALUES), b = BigInt(rng.int(bDigits === 1 ? 2 : 10 ** (bDigits - 1), 10 ** bDigits - 1));
    const p = { question: `What is ${a} * ${b}?`, answer: (a * b).toString(), task: 'column-multiplication' };
    if (seen.has(problemKey(p))) continue;
    seen.add(problemKey(p));
    out.push(p);
  }
  return out;
}

/** Which shapes a run pretrains on, trains with RL, and scores (trained and never trained). */
export interface ShapePlan {
  pretrain: readonly Shape[];
  rl: Shape;
  trained: readonly Shape[];
  /** Shapes no training problem has whose operands are no longer than trained ones (scored, labelled so). */
  between?: readonly Shape[];
  unseen: readonly Shape[];
  /** Digits of b in the held-multiplicand set (a is a 3-digit held value). */
  heldValueB: number;
}

export const DEFAULT_PLAN: ShapePlan = { pretrain: PRETRAIN_SHAPES, rl: RL_SHAPE, trained: TRAINED_SHAPES, unseen: UNSEEN_SHAPES, heldValueB: 2 };

const CI_PRODUCTS = [1, 2, 3, 4, 5, 6].map((a) => mul(a, 1));
const CI_PRETRAIN: readonly Shape[] = [...CI_PRODUCTS, ...CI_PRODUCTS,
  ...[1, 2, 3, 4, 5, 6].flatMap((a) => [{ op: '+' as const, a, b: a }, { op: '-' as const, a, b: Math.max(1, a - 1) }])];

/**
 * CI's plan: small enough to learn in a few minutes on one thread. Pretraining has every operation
 * up to 6 digits, products by one digit included (1x1 to 6x1); RL trains 8x1, longer than anything
 * pretrained (the "RL on harder shapes"). 7x1 is in no training problem but no longer than
 * RL's operands; 9x1 and 10x1 have an operand longer than any operand of any training problem.
 */
export const CI_PLAN: ShapePlan = {
  pretrain: CI_PRETRAIN, rl: mul(8, 1), trained: [mul(3, 1), mul(6, 1), mul(8, 1)], between: [mul(7, 1)],
  unseen: [mul(9, 1), mul(10, 1)], heldValueB: 1,
};

/** The CI plan before place digits (docs/reasoning/report.md, sections 4-10): RL on 6x1, 7x1 and 8x1 never trained. */
export const CI_PLAN_6X1: ShapePlan = {
  pretrain: CI_PRETRAIN, rl: mul(6, 1), trained: [mul(3, 1), mul(6, 1)], unseen: [mul(7, 1), mul(8, 1)], heldValueB: 1,
};

/** The longest operand (digits) of any problem a plan trains on, pretraining or RL, any operation. */
export const longestTrainedOperand = (plan: ShapePlan): number => Math.max(...[...plan.pretrain, plan.rl].map((s) => Math.max(s.a, s.b)));

/** The longest multiplicand of any trained product. */
const longestTrainedMultiplicand = (plan: ShapePlan): number => Math.max(...[...plan.pretrain, plan.rl].filter((s) => s.op === '*').map((s) => s.a));

/**
 * How an unseen shape is unseen: 'longer than any training operand' (the definition: an
 * operand longer than any operand of any training problem, sums included), or only 'longer
 * multiplicand than any trained product' (a number that long was copied in training, in a sum).
 * Throws when the shape is neither: it would not be unseen at all.
 */
export function unseenKind(plan: ShapePlan, s: Shape): 'longer than any training operand' | 'longer multiplicand than any trained product' {
  if (Math.max(s.a, s.b) > longestTrainedOperand(plan)) return 'longer than any training operand';
  if (s.op === '*' && s.a > longestTrainedMultiplicand(plan)) return 'longer multiplicand than any trained product';
  throw new PonderError(`arithmetic plan: the 'unseen' shape ${shapeName(s)} is no longer than a trained shape`);
}

/** Label of the held-multiplicand set. */
export const heldValueLabel = (plan: ShapePlan) => `3x${plan.heldValueB} held values`;

/** Every held-out set of a plan, by label. */
export function heldOutSets(n: number, seed: number, plan: ShapePlan = DEFAULT_PLAN): Record<string, Problem[]> {
  for (const s of plan.unseen) unseenKind(plan, s); // the check in code that they are unseen
  const trainedNames = new Set([...plan.pretrain, plan.rl].map(shapeName));
  for (const s of plan.between ?? []) {
    if (trainedNames.has(shapeName(s))) throw new PonderError(`arithmetic plan: the 'between' shape ${shapeName(s)} is trained`);
  }
  const sets: Record<string, Problem[]> = {};
  // Shortest operands first, so tables read from trained to never trained.
  const scored = [...plan.trained, ...(plan.between ?? []), ...plan.unseen].sort((x, y) => Math.max(x.a, x.b) - Math.max(y.a, y.b) || x.a - y.a || x.b - y.b);
  for (const s of scored) sets[shapeName(s)] = shapeHeldOut(s, n, seed);
  sets[heldValueLabel(plan)] = heldValueSet(n, seed, plan.heldValueB);
  return sets;
}

/**
 * Training problems of the given shapes: never a held-out problem (by key) and never one whose
 * question or trace mentions a held value. Deterministic in (shapes, n, seed).
 */
export function trainingProblems(shapes: readonly Shape[], n: number, seed: number, heldOut: Iterable<Problem>): Problem[] {
  const excluded = new Set([...heldOut].map(problemKey));
  const rng = new Rng(deriveSeed(seed, `arith-train/${shapes.map(shapeName).join(',')}`));
  const out: Problem[] = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries > n * 20 + 10000) throw new PonderError(`arithmetic: cannot draw ${n} training problems clear of the held-out sets`);
    const s = rng.pick(shapes);
    const p = shapeProblem(rng, s, taskName(s));
    if (excluded.has(problemKey(p)) || mentionedHeldValue(traceOf(p)) !== null) continue;
    out.push(p);
  }
  return out;
}

export function traceOf(p: Problem): string {
  const { a, op, b } = parseArithQuestion(p.question, p.task);
  return columnTrace(a, op, b);
}

/** The check in code: throws when a training problem is held out or any of its lines mentions a held value. */
export function assertClean(train: readonly Problem[], heldOut: Iterable<Problem>): void {
  const excluded = new Set([...heldOut].map(problemKey));
  for (const p of train) {
    if (excluded.has(problemKey(p))) throw new PonderError(`arithmetic: held-out problem ${JSON.stringify(p.question)} in training data`);
    const v = mentionedHeldValue(`${p.question}\n${traceOf(p)}`);
    if (v !== null) throw new PonderError(`arithmetic: held value ${v} in the training line(s) of ${JSON.stringify(p.question)}`);
  }
}

/** A task that draws training problems of these shapes, already checked clean (for RL). */
export function cleanShapesTask(name: string, shapes: readonly Shape[], heldOut: Iterable<Problem>): Task {
  const base = shapesTask(name, shapes);
  const excluded = new Set([...heldOut].map(problemKey));
  return {
    ...base,
    generate(rng) {
      for (;;) {
        const s = rng.pick(shapes);
        const p = shapeProblem(rng, s, taskName(s));
        if (!excluded.has(problemKey(p)) && mentionedHeldValue(traceOf(p)) === null) return p;
      }
    },
    solveWithSteps: traceOf,
  };
}
