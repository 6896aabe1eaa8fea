// Tensor: a float32 buffer with a shape (contiguous, row-major), and its place on the autograd tape.
import { currentScope, take, RELEASED } from './memory.ts';
import { ShapeError } from './errors.ts';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** A recorded op: how to push the gradient of `out` back into its inputs. */
export interface Node {
  out: Tensor;
  backward: () => void;
}

export class Tensor {
  data: Float32Array;
  readonly shape: Shape;
  readonly size: number;
  /** Gradient of the loss with respect to this tensor, after backward(). */
  grad: Tensor | null = null;
  requiresGrad: boolean;
  /** Set when this tensor shares another's buffer (reshape): the owner releases it. */
  readonly base: Tensor | null;
  /** A parameter: its buffer and gradient are never pooled and outlive every scope. */
  persistent = false;

  constructor(data: Float32Array, shape: Shape, requiresGrad = false, base: Tensor | null = null) {
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new ShapeError(`data of length ${data.length} does not fit shape [${shape.join(', ')}] (${size})`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.size = size;
    this.requiresGrad = requiresGrad;
    this.base = base;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item() needs a one-element tensor, got [${this.shape.join(', ')}]`);
    if (this.data === RELEASED) throw new Error('item() of a released tensor');
    return this.data[0];
  }

  toArray(): number[] {
    return Array.from(this.data);
  }

  toString(): string {
    return `Tensor([${this.shape.join(', ')}])`;
  }
}

/** An uninitialised tensor whose buffer comes from the pool when a scope is open. */
export function empty(shape: Shape): Tensor {
  const n = sizeOf(shape);
  const s = currentScope();
  const t = new Tensor(s ? take(n) : new Float32Array(n), shape);
  s?.own(t);
  return t;
}

export function zeros(shape: Shape): Tensor {
  const t = empty(shape);
  t.data.fill(0);
  return t;
}

export function full(shape: Shape, value: number): Tensor {
  const t = empty(shape);
  t.data.fill(value);
  return t;
}

/** A tensor over the given values (copied). */
export function tensor(values: ArrayLike<number>, shape?: Shape): Tensor {
  const t = empty(shape ?? [values.length]);
  if (values.length !== t.size) throw new ShapeError(`${values.length} values do not fit shape [${t.shape.join(', ')}]`);
  t.data.set(values);
  return t;
}

/** A trainable leaf (a parameter): never pooled, gradient kept across steps. */
export function parameter(data: Float32Array, shape: Shape): Tensor {
  const t = new Tensor(data, shape, true);
  t.persistent = true;
  return t;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmt(s: Shape): string {
  return `[${s.join(', ')}]`;
}
