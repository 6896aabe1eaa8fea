// Reward functions, TRL style: a plain function per reward, combined with weights. A function may
// return null to skip a sample (not counted); a NaN (or infinity) or a throw is caught, counted per function,
// and treated as a skip, so one bad reward never crashes a run.
import { PonderError } from '../errors.ts';
import type { ParsedThink } from '../infer/think.ts';
import { verifyProblem } from '../tasks/registry.ts';
import type { Problem } from '../tasks/types.ts';

export interface RewardContext {
  problem: Problem;
  /** The completion as generated (reasoning and answer). */
  completion: string;
  parsed: ParsedThink;
  /** Length of the completion in tokens, when the caller knows it (the overlong penalty needs it). */
  completionTokens?: number;
}

export type RewardFn = (c: RewardContext) => number | null;

export interface WeightedReward { name: string; fn: RewardFn; weight: number }

/** nonFinite: returned NaN, ±Infinity or a non-number; thrown: threw (firstError keeps the message). */
export interface RewardFailures { nonFinite: number; thrown: number; firstError?: string }

export interface ScoredBatch {
  /** (N) weighted sum over the functions that did not skip; 0 when all skipped. */
  total: number[];
  /** name -> (N) values, null where skipped (null return, NaN or throw). */
  perFunction: Record<string, (number | null)[]>;
  /** name -> mean over non-skipped samples, null when none. */
  means: Record<string, number | null>;
  /** name -> failures in this batch (only functions that failed at least once). */
  failures: Record<string, RewardFailures>;
  /** Samples for which every function skipped. */
  allSkipped: number;
}

/** Combines weighted reward functions; counts failures for the batch and over the whole run. */
export class RewardCombiner {
  readonly rewards: readonly WeightedReward[];
  /** Failures over every score() call so far. */
  readonly runFailures: Record<string, RewardFailures> = {};

  constructor(rewards: readonly WeightedReward[]) {
    const names = new Set<string>();
    for (const r of rewards) {
      if (names.has(r.name)) throw new PonderError(`reward '${r.name}' given twice`);
      if (!Number.isFinite(r.weight)) throw new PonderError(`reward '${r.name}': weight must be finite, got ${r.weight}`);
      names.add(r.name);
    }
    this.rewards = rewards;
  }

  score(samples: readonly RewardContext[]): ScoredBatch {
    const total = new Array<number>(samples.length).fill(0);
    const counted = new Array<number>(samples.length).fill(0);
    const perFunction: ScoredBatch['perFunction'] = {};
    const means: ScoredBatch['means'] = {};
    const failures: ScoredBatch['failures'] = {};
    for (const r of this.rewards) {
      const vals: (number | null)[] = [];
      let sum = 0, n = 0;
      samples.forEach((c, i) => {
        let v: number | null;
        try {
          v = r.fn(c);
          if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) {
            this.fail(failures, r.name, 'nonFinite');
            v = null;
          }
        } catch (e) {
          this.fail(failures, r.name, 'thrown', e);
          v = null;
        }
        vals.push(v);
        if (v !== null) { total[i]! += r.weight * v; counted[i]!++; sum += v; n++; }
      });
      perFunction[r.name] = vals;
      means[r.name] = n > 0 ? sum / n : null;
    }
    const allSkipped = this.rewards.length === 0 ? 0 : counted.filter((k) => k === 0).length;
    return { total, perFunction, means, failures, allSkipped };
  }

  private fail(batch: Record<string, RewardFailures>, name: string, kind: 'nonFinite' | 'thrown', e?: unknown): void {
    for (const rec of [batch, this.runFailures]) {
      const f = (rec[name] ??= { nonFinite: 0, thrown: 0 });
      f[kind]++;
      if (kind === 'thrown' && f.firstError === undefined) f.firstError = e instanceof Error ? e.message : String(e);
    }
  }
}

/** 1 when the task's verifier accepts the parsed answer, else 0 (0 when there is no answer). */
export const accuracyReward: RewardFn = ({ problem, parsed }) =>
  parsed.answer.trim() === '' ? 0 : verifyProblem(parsed.answer, problem) ? 1 : 0;

/** 1 for a well-formed <think>...</think> followed by a non-empty answer, else 0. */
export const formatReward: RewardFn = ({ parsed }) => (parsed.wellFormed && parsed.answer.trim() !== '' ? 1 : 0);

/**
 * DAPO's soft overlong punishment on the completion length L (tokens): 0 for L <= Lmax - Lcache,
 * then linear down to -1 at L = Lmax, and -1 beyond. Needs c.completionTokens (throws without it,
 * which the combiner counts).
 */
export function overlongPenalty(maxLength: number, cacheLength: number): RewardFn {
  if (!(Number.isInteger(maxLength) && Number.isInteger(cacheLength) && cacheLength > 0 && cacheLength <= maxLength)) {
    throw new PonderError(`overlongPenalty: need integers 0 < cacheLength <= maxLength, got ${cacheLength}, ${maxLength}`);
  }
  const start = maxLength - cacheLength;
  return ({ completionTokens: L }) => {
    if (L === undefined) throw new Error('overlongPenalty needs completionTokens');
    if (L <= start) return 0;
    if (L > maxLength) return -1;
    return (start - L) / cacheLength;
  };
}
