// Direct Preference Optimization (Rafailov et al. 2023). With log-ratios against the frozen
// reference, r(y) = β·(log π(y|x) - log π_ref(y|x)) is the implicit reward, and the loss of a pair
// is -log σ(r(chosen) - r(rejected)): the policy moves probability from the rejected answer to
// the chosen one, no further from the reference than the preference needs.
// Computed in float64 from the sequence log-probs; the gradient with respect to each sequence
// log-prob is returned, so the caller back-propagates Σ coef·log π through the model.

export interface PreferenceLoss {
  /** Mean loss over the batch. */
  loss: number;
  /** dLoss / d log π for each sequence, in the order of the inputs. */
  grad: Float64Array;
  /** Mean implicit reward of chosen / desirable and rejected / undesirable answers. */
  rewardChosen: number;
  rewardRejected: number;
  /** Mean r(chosen) - r(rejected) (DPO), and the share of pairs with a positive margin. */
  margin: number;
  accuracy: number;
}

const logSigmoid = (z: number) => (z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z)));
const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * policy/ref: sequence log-probs of n chosen answers followed by their n rejected answers.
 * nll (RPO, Pang et al. 2024; TRL's rpo_alpha): adds weight × the chosen answers' mean per-token
 * negative log-likelihood, which keeps the chosen answers likely in absolute terms (pure DPO can
 * lower both answers, the chosen one less, and leave a model that says neither).
 */
export function dpoLoss(policy: ArrayLike<number>, ref: ArrayLike<number>, beta: number, nll?: { weight: number; chosenTokens: ArrayLike<number> }): PreferenceLoss {
  const n = policy.length / 2;
  const grad = new Float64Array(2 * n);
  let loss = 0, rc = 0, rr = 0, margin = 0, acc = 0;
  for (let i = 0; i < n; i++) {
    const rewardC = beta * (policy[i] - ref[i]), rewardR = beta * (policy[n + i] - ref[n + i]);
    const z = rewardC - rewardR;
    loss -= logSigmoid(z);
    const g = -beta * sigmoid(-z) / n; // d(-log σ(z))/dz = -σ(-z), and dz/dlog π(chosen) = β
    grad[i] = g;
    grad[n + i] = -g;
    rc += rewardC; rr += rewardR; margin += z; acc += z > 0 ? 1 : 0;
    if (nll && nll.weight > 0) {
      loss -= (nll.weight * policy[i]) / nll.chosenTokens[i];
      grad[i] -= nll.weight / (nll.chosenTokens[i] * n);
    }
  }
  return { loss: loss / n, grad, rewardChosen: rc / n, rewardRejected: rr / n, margin: margin / n, accuracy: acc / n };
}

export { logSigmoid, sigmoid };
