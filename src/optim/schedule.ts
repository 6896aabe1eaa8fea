// Learning-rate schedule: linear warmup, then cosine decay to a floor.
export interface CosineSchedule {
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  /** The final learning rate as a fraction of lr. */
  minRatio?: number;
}

export function cosineLr(step: number, s: CosineSchedule): number {
  const min = s.lr * (s.minRatio ?? 0.1);
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  if (step >= s.totalSteps) return min;
  const progress = (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps);
  return min + 0.5 * (s.lr - min) * (1 + Math.cos(Math.PI * progress));
}
