// Kahneman-Tversky Optimization (Ethayarajh et al. 2024): learns from single thumbs up or down,
// without pairs. With the log-ratio ρ(y) = log π(y|x) - log π_ref(y|x) and a reference point z₀
// (an estimate of KL(π || π_ref), from answers paired with other examples' prompts, clamped at 0
// and held constant), a desirable answer costs λ_D·(1 - σ(β(ρ - z₀))) and an undesirable one
// λ_U·(1 - σ(β(z₀ - ρ))). As TRL computes it: the mean over the batch, z₀ the batch mean.
import { sigmoid, type PreferenceLoss } from './dpo.ts';

export interface KtoOptions { beta: number; desirableWeight?: number; undesirableWeight?: number }

/** The reference point: mean log-ratio of mismatched (prompt, answer) pairs, at least 0. */
export function ktoReferencePoint(policyMismatched: ArrayLike<number>, refMismatched: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < policyMismatched.length; i++) s += policyMismatched[i] - refMismatched[i];
  return Math.max(0, s / Math.max(1, policyMismatched.length));
}

export function ktoLoss(policy: ArrayLike<number>, ref: ArrayLike<number>, desirable: readonly boolean[], z0: number, o: KtoOptions): PreferenceLoss {
  const n = policy.length, lD = o.desirableWeight ?? 1, lU = o.undesirableWeight ?? 1, beta = o.beta;
  const grad = new Float64Array(n);
  let loss = 0, rc = 0, nc = 0, rr = 0, nr = 0, acc = 0;
  for (let i = 0; i < n; i++) {
    const rho = policy[i] - ref[i];
    if (desirable[i]) {
      const s = sigmoid(beta * (rho - z0));
      loss += lD * (1 - s);
      grad[i] = (-lD * beta * s * (1 - s)) / n;
      rc += beta * rho; nc++; acc += rho > 0 ? 1 : 0;
    } else {
      const s = sigmoid(beta * (z0 - rho));
      loss += lU * (1 - s);
      grad[i] = (lU * beta * s * (1 - s)) / n;
      rr += beta * rho; nr++; acc += rho < 0 ? 1 : 0;
    }
  }
  const rewardChosen = nc ? rc / nc : NaN, rewardRejected = nr ? rr / nr : NaN;
  return { loss: loss / n, grad, rewardChosen, rewardRejected, margin: rewardChosen - rewardRejected, accuracy: acc / n };
}
