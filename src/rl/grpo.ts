// The GRPO policy update: clipped surrogate with separate ε_low / ε_high (DAPO's clip-higher),
// token-level aggregation over every completion token of the batch, an optional k3 KL penalty to
// a frozen reference policy, and several updates per rollout batch from stored old log-probs.
// Only completion tokens carry loss: the prompt is never trained on, and the reasoning is never
// supervised, only made more or less likely through the advantage of the answer it led to.
import {
  addScalar, backward, clamp, exp, minimum, mul, noGrad, scale, sub, sum, tensor, tokenLogprobs, withScope, zeroGrad,
  type Tensor,
} from '../tensor/index.ts';
import { Transformer } from '../model/transformer.ts';
import type { AdamW } from '../optim/adamw.ts';
import { clipGradNorm } from '../optim/clip.ts';

export interface Sample {
  prompt: number[];
  completion: number[];
  advantage: number;
}

/** A micro-batch packed for one forward pass: left-padded prompts, right-padded completions. */
export interface Packed {
  ids: Int32Array; // (n, T)
  targets: Int32Array; // (n·T) the completion token predicted at each position, -100 elsewhere
  keyStart: Int32Array; // (n)
  advantage: Float32Array; // (n·T) the sample's advantage at its completion positions, else 0
  n: number;
  T: number;
  tokens: number; // completion tokens in this micro-batch
}

export function pack(samples: Sample[]): Packed {
  const n = samples.length;
  const L = Math.max(...samples.map((s) => s.prompt.length));
  const C = Math.max(...samples.map((s) => s.completion.length));
  const T = L + C - 1; // the last completion token is only ever a target
  const ids = new Int32Array(n * T), targets = new Int32Array(n * T).fill(-100);
  const keyStart = new Int32Array(n), advantage = new Float32Array(n * T);
  let tokens = 0;
  samples.forEach((s, r) => {
    const start = L - s.prompt.length;
    keyStart[r] = start;
    const seq = [...s.prompt, ...s.completion];
    for (let i = 0; i < seq.length - 1 && start + i < T; i++) ids[r * T + start + i] = seq[i];
    // Position L-1+j (the prompt's last token, then completion tokens) predicts completion[j].
    for (let j = 0; j < s.completion.length; j++) {
      const p = r * T + L - 1 + j;
      targets[p] = s.completion[j];
      advantage[p] = s.advantage;
      tokens++;
    }
  });
  return { ids, targets, keyStart, advantage, n, T, tokens };
}

/** Per-token log-probabilities of the completion tokens under a model (0 at other positions). */
export function completionLogprobs(model: Transformer, b: Packed): Float32Array {
  return noGrad(() => withScope(() => {
    const logits = model.forward(b.ids, b.n, b.T, { keyStart: b.keyStart });
    return Float32Array.from(tokenLogprobs(Transformer.rows(logits), b.targets).data);
  }));
}

export interface GrpoLossOptions {
  epsLow: number;
  epsHigh: number;
  /** KL coefficient; 0 needs no reference model. */
  beta: number;
}

export interface UpdateStats {
  loss: number;
  clipFraction: number;
  kl: number;
  entropy: number;
  gradNorm: number;
  tokens: number;
}

/** Mean token entropy of the policy at the completion positions, from the logits (B·T, V). */
function completionEntropy(logits: Float32Array, targets: Int32Array, V: number): { sum: number; n: number } {
  let total = 0, n = 0;
  for (let r = 0; r < targets.length; r++) {
    if (targets[r] < 0) continue;
    const o = r * V;
    let m = -Infinity;
    for (let c = 0; c < V; c++) if (logits[o + c] > m) m = logits[o + c];
    let z = 0, ez = 0;
    for (let c = 0; c < V; c++) {
      const e = Math.exp(logits[o + c] - m);
      z += e;
      ez += e * (logits[o + c] - m);
    }
    total += Math.log(z) - ez / z;
    n++;
  }
  return { sum: total, n };
}

/**
 * Adds the gradient of one micro-batch's share of the GRPO loss. The loss of the whole batch is
 * Σ over all completion tokens of -min(ρA, clip(ρ, 1-ε_low, 1+ε_high)A) + β·KL_k3, divided by
 * totalTokens (token-level aggregation: long completions count per token, as in DAPO).
 * old: log-probs at rollout time; null means this is the first update on fresh rollouts, where the
 * policy is the old policy and ρ = 1 exactly.
 */
export function accumulateGrpoGradient(
  policy: Transformer, b: Packed, old: Float32Array | null, ref: Float32Array | null, totalTokens: number, o: GrpoLossOptions,
): { loss: number; clipped: number; klSum: number; entropySum: number; entropyN: number } {
  return withScope(() => {
    const logits = policy.forward(b.ids, b.n, b.T, { keyStart: b.keyStart });
    const V = logits.shape[2];
    const logp = tokenLogprobs(Transformer.rows(logits), b.targets);
    const oldT = tensor(old ?? logp.data);
    const A = tensor(b.advantage);
    const ratio = exp(sub(logp, oldT));
    const surrogate = minimum(mul(ratio, A), mul(clamp(ratio, 1 - o.epsLow, 1 + o.epsHigh), A));
    let perToken: Tensor = scale(surrogate, -1);
    let klSum = 0;
    if (o.beta > 0 && ref) {
      // k3 estimator of KL(π || π_ref): exp(ref - logp) - (ref - logp) - 1, unbiased and ≥ 0.
      const d = sub(tensor(ref), logp);
      const k3 = addScalar(sub(exp(d), d), -1);
      for (let i = 0; i < b.targets.length; i++) if (b.targets[i] >= 0) klSum += k3.data[i];
      perToken = sub(perToken, scale(k3, -o.beta));
    }
    // Non-completion positions have logp = old = 0 and A = 0, so they add nothing; the mask below
    // also keeps the KL term to completion tokens.
    const mask = new Float32Array(b.targets.length);
    for (let i = 0; i < mask.length; i++) mask[i] = b.targets[i] >= 0 ? 1 : 0;
    const loss = scale(sum(mul(perToken, tensor(mask))), 1 / totalTokens);
    let clipped = 0;
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue;
      const r = ratio.data[i];
      if (r < 1 - o.epsLow || r > 1 + o.epsHigh) clipped++;
    }
    const ent = completionEntropy(logits.data, b.targets, V);
    backward(loss);
    return { loss: loss.item(), clipped, klSum, entropySum: ent.sum, entropyN: ent.n };
  });
}

export interface UpdateOptions extends GrpoLossOptions {
  updatesPerBatch: number;
  microBatch: number;
  lr: number;
  clip: number;
  reference?: Transformer | null;
}

/** Runs the policy updates for one batch of scored samples; returns averaged statistics. */
export function grpoUpdate(policy: Transformer, opt: AdamW, samples: Sample[], o: UpdateOptions): UpdateStats {
  // Similar lengths together, so micro-batches carry little padding.
  const sorted = [...samples].sort((a, b) => a.prompt.length + a.completion.length - (b.prompt.length + b.completion.length));
  const micro: Packed[] = [];
  for (let i = 0; i < sorted.length; i += o.microBatch) micro.push(pack(sorted.slice(i, i + o.microBatch)));
  const totalTokens = micro.reduce((s, b) => s + b.tokens, 0);
  const old = o.updatesPerBatch > 1 ? micro.map((b) => completionLogprobs(policy, b)) : null;
  const ref = o.beta > 0 && o.reference ? micro.map((b) => completionLogprobs(o.reference!, b)) : null;
  const params = policy.parameters();
  let loss = 0, clipped = 0, klSum = 0, entSum = 0, entN = 0, gradNorm = 0;
  for (let u = 0; u < o.updatesPerBatch; u++) {
    zeroGrad(params);
    micro.forEach((b, i) => {
      const r = accumulateGrpoGradient(policy, b, old ? old[i] : null, ref ? ref[i] : null, totalTokens, o);
      loss += r.loss;
      clipped += r.clipped;
      klSum += r.klSum;
      entSum += r.entropySum;
      entN += r.entropyN;
    });
    gradNorm += clipGradNorm(params, o.clip);
    opt.update(o.lr);
  }
  const U = o.updatesPerBatch;
  return {
    loss: loss / U, clipFraction: clipped / Math.max(1, totalTokens * U), kl: klSum / Math.max(1, totalTokens * U),
    entropy: entSum / Math.max(1, entN), gradNorm: gradNorm / U, tokens: totalTokens * U,
  };
}
