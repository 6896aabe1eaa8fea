// Group-relative advantages (GRPO): each completion is scored against the other completions of
// the same prompt, so no value network is needed.

export interface AdvantageOptions {
  /** Divide by the group's standard deviation (GRPO); false keeps the centred reward only (Dr. GRPO). */
  scaleByStd?: boolean;
  eps?: number;
}

export interface GroupAdvantages {
  advantages: Float64Array;
  /** Per group: whether all its rewards were equal (zero spread, no learning signal). */
  flat: boolean[];
}

/** rewards[i] belongs to group groups[i]; A_i = r_i - mean(group), optionally / std(group). */
export function groupAdvantages(rewards: ArrayLike<number>, groups: ArrayLike<number>, o: AdvantageOptions = {}): GroupAdvantages {
  const n = rewards.length;
  const nGroups = n === 0 ? 0 : Math.max(...Array.from(groups)) + 1;
  const sum = new Float64Array(nGroups), sq = new Float64Array(nGroups), count = new Float64Array(nGroups);
  for (let i = 0; i < n; i++) { sum[groups[i]] += rewards[i]; count[groups[i]]++; }
  const mean = sum.map((s, g) => s / Math.max(1, count[g]));
  for (let i = 0; i < n; i++) sq[groups[i]] += (rewards[i] - mean[groups[i]]) ** 2;
  // Sample standard deviation (n - 1), as the GRPO reference implementations use.
  const std = sq.map((s, g) => Math.sqrt(s / Math.max(1, count[g] - 1)));
  const flat = Array.from(std, (s) => s < 1e-9);
  const eps = o.eps ?? 1e-4, scale = o.scaleByStd ?? true;
  const advantages = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = groups[i];
    advantages[i] = flat[g] ? 0 : scale ? (rewards[i] - mean[g]) / (std[g] + eps) : rewards[i] - mean[g];
  }
  return { advantages, flat };
}
