// Sums and means, over one axis or over everything.
import { backend } from '../../backend/index.ts';
import { Tensor, empty, fmt } from '../tensor.ts';
import { needsGrad, record, gradOf } from '../tape.ts';
import { ShapeError } from '../errors.ts';

function normAxis(op: string, t: Tensor, axis: number): number {
  const ax = axis < 0 ? axis + t.rank : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= t.rank) throw new ShapeError(`${op}: axis ${axis} out of range for ${fmt(t.shape)}`);
  return ax;
}

/** Σ over `axis` (the axis is removed unless keepDim), or over all elements when axis is undefined. */
export function sum(a: Tensor, axis?: number, keepDim = false): Tensor {
  return reduce('sum', a, axis, keepDim, 1);
}

export function mean(a: Tensor, axis?: number, keepDim = false): Tensor {
  const n = axis === undefined ? a.size : a.shape[normAxis('mean', a, axis)];
  return reduce('mean', a, axis, keepDim, 1 / n);
}

function reduce(op: string, a: Tensor, axis: number | undefined, keepDim: boolean, factor: number): Tensor {
  const k = backend().kernels;
  let outer = 1, len = a.size, inner = 1, shape: number[];
  if (axis === undefined) {
    shape = keepDim ? a.shape.map(() => 1) : [];
  } else {
    const ax = normAxis(op, a, axis);
    outer = a.shape.slice(0, ax).reduce((x, y) => x * y, 1);
    len = a.shape[ax];
    inner = a.shape.slice(ax + 1).reduce((x, y) => x * y, 1);
    shape = [...a.shape];
    if (keepDim) shape[ax] = 1; else shape.splice(ax, 1);
  }
  const out = empty(shape);
  k.sumAxis(a.data, outer, len, inner, out.data, false);
  if (factor !== 1) k.affine(out.data, out.size, factor, 0, out.data);
  if (!needsGrad(a)) return out;
  return record(out, () => {
    const g = out.grad!.data, da = gradOf(a).data;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < len; j++) {
        const base = (o * len + j) * inner;
        for (let i = 0; i < inner; i++) da[base + i] += g[o * inner + i] * factor;
      }
    }
  });
}
