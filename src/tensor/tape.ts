// Reverse-mode autograd on a tape: ops append a node as they run forward; backward() walks the
// tape from the end, each node pushing its output's gradient into its inputs' gradients.
import { Tensor, zeros, type Node } from './tensor.ts';
import { ShapeError } from './errors.ts';
import { backend } from '../backend/index.ts';

let tape: Node[] = [];
let gradEnabled = true;

/** Whether an op with these inputs must record itself. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t?.requiresGrad) return true;
  return false;
}

/** Records `out` as computed from inputs; backward runs when the loss is differentiated. */
export function record(out: Tensor, backward: () => void): Tensor {
  out.requiresGrad = true;
  tape.push({ out, backward });
  return out;
}

/**
 * The gradient buffer of t, zero-filled on first use. Intermediates get theirs from the pool of the
 * open scope; a parameter's gradient lives as long as the parameter.
 */
export function gradOf(t: Tensor): Tensor {
  if (!t.grad) t.grad = t.persistent ? new Tensor(new Float32Array(t.size), t.shape) : zeros(t.shape);
  return t.grad;
}

/**
 * Adds g (same size as t) to t's gradient. When t has no gradient yet, t takes g's buffer as its
 * own instead of zero-filling a new one and adding: the residual stream and reshapes then pass
 * gradients on without copying. Safe because backward visits ops in reverse, so g's owner is done
 * with it; a parameter always keeps its own buffer.
 */
export function passGrad(t: Tensor, g: Tensor): void {
  if (!t.grad && !t.persistent) {
    t.grad = new Tensor(g.data, t.shape);
    return;
  }
  const dt = gradOf(t).data, src = g.data;
  backend().kernels.binary('add', dt, t.size, src, t.size, dt);
}

/** Differentiates a scalar loss: every tensor on the tape that led to it gets its .grad. */
export function backward(loss: Tensor, seed = 1): void {
  if (loss.size !== 1) throw new ShapeError(`backward() needs a scalar loss, got [${loss.shape.join(', ')}]`);
  if (!loss.requiresGrad) throw new ShapeError('backward(): the loss does not depend on anything that requires a gradient');
  gradOf(loss).data[0] += seed;
  const nodes = tape;
  tape = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (n.out.grad) n.backward();
  }
}

/** Forgets the recorded ops without differentiating (e.g. after an evaluation forward with grad on). */
export function clearTape(): void {
  tape = [];
}

export function tapeLength(): number {
  return tape.length;
}

/** Runs fn with recording off: inference records nothing and keeps nothing alive for backward. */
export function noGrad<R>(fn: () => R): R {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Sets every given tensor's gradient to zero (keeps the buffers). */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) p.grad?.data.fill(0);
}
