// One optimisation step of next-token prediction: forward, loss, backward, clip, AdamW.
// Everything the step allocates lives in one scope, so the next step reuses the same buffers.
import { backward, crossEntropy, withScope, zeroGrad } from '../tensor/index.ts';
import { Transformer } from '../model/transformer.ts';
import { AdamW } from '../optim/adamw.ts';
import { clipGradNorm } from '../optim/clip.ts';
import { PonderError } from '../errors.ts';

export interface Batch {
  /** (B·T) input ids, row-major. */
  inputs: Int32Array;
  /** (B·T) next-token targets; -100 (or a negative id) is ignored. */
  targets: Int32Array;
  B: number;
  T: number;
  /** Optional per-token loss weights (B·T). */
  weights?: Float32Array;
}

export interface StepResult {
  loss: number;
  gradNorm: number;
}

/** Groups for AdamW: weight decay on matrices only, none on norms and embeddings. */
export function paramGroups(model: Transformer, weightDecay: number) {
  const decay = [], plain = [];
  for (const [name, p] of model.namedParameters()) {
    if (p.rank === 2 && name !== 'model.embed_tokens.weight') decay.push(p);
    else plain.push(p);
  }
  return [{ params: decay, weightDecay }, { params: plain, weightDecay: 0 }];
}

/** Gradients of the mean loss over micro-batches (accumulated), then one update at lr. */
export function trainStep(model: Transformer, opt: AdamW, micro: Batch[], lr: number, clip = 1.0): StepResult {
  const params = model.parameters();
  zeroGrad(params);
  let loss = 0;
  for (const b of micro) {
    loss += withScope(() => {
      const logits = model.forward(b.inputs, b.B, b.T);
      const l = crossEntropy(Transformer.rows(logits), b.targets, { weights: b.weights });
      backward(l, 1 / micro.length);
      return l.item();
    });
  }
  loss /= micro.length;
  if (!Number.isFinite(loss)) throw new PonderError(`the training loss became ${loss}; lower the learning rate (${lr})`);
  const gradNorm = clipGradNorm(params, clip);
  opt.update(lr);
  return { loss, gradNorm };
}
