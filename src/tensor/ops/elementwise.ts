// Elementwise ops. Binary ops broadcast the smaller operand over the larger one's leading
// dimensions: its shape must be a suffix of the other's (or it holds one element).
import { backend } from '../../backend/index.ts';
import type { BinaryOp, UnaryOp } from '../../backend/kernels.ts';
import { Tensor, empty, fmt, sameShape } from '../tensor.ts';
import { scratch } from '../memory.ts';
import { needsGrad, record, gradOf, passGrad } from '../tape.ts';
import { ShapeError } from '../errors.ts';

const K = () => backend().kernels;

function isSuffix(small: readonly number[], big: readonly number[]): boolean {
  if (small.length > big.length) return false;
  const off = big.length - small.length;
  return small.every((d, i) => d === big[off + i]);
}

/** Copies src (n elements) repeatedly into a buffer of size total: an explicit broadcast. */
function tile(src: Float32Array, n: number, total: number): Float32Array {
  const out = scratch(total);
  for (let i = 0; i < total; i += n) out.set(src.subarray(0, n), i);
  return out;
}

function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const k = K();
  let big = a, small = b;
  if (a.size < b.size) { big = b; small = a; }
  if (!(small.size === 1 || isSuffix(small.shape, big.shape))) {
    throw new ShapeError(`${op}: shapes ${fmt(a.shape)} and ${fmt(b.shape)} do not broadcast (one must be a suffix of the other)`);
  }
  const out = empty(big.shape);
  const n = out.size;
  // The kernel broadcasts its second operand; when a is the small one, expand it first.
  const aData = a === big ? a.data : tile(a.data, a.size, n);
  k.binary(op, aData, n, b.data, b.size, out.data);
  if (!needsGrad(a, b)) return out;
  return record(out, () => {
    const g = out.grad!.data;
    // Each side's local gradient at full size, then summed back to that side's shape.
    const push = (t: Tensor, local: Float32Array) => {
      const dt = gradOf(t).data;
      if (t.size === n) k.binary('add', dt, n, local, n, dt);
      else k.reduceBroadcast(local, n, dt, t.size);
    };
    const bFull = b.size === n ? b.data : tile(b.data, b.size, n);
    const tmp = scratch(n);
    switch (op) {
      case 'add':
      case 'sub':
        // The residual stream: the gradient flows to a unchanged, so a may take g's buffer (b is
        // handled first, while g is still intact).
        if (b.requiresGrad) {
          if (op === 'sub') k.affine(g, n, -1, 0, tmp);
          push(b, op === 'sub' ? tmp : g);
        }
        if (a.requiresGrad) {
          if (a.size === n && a !== b) passGrad(a, out.grad!);
          else push(a, g);
        }
        break;
      case 'mul':
        if (a.requiresGrad) { k.binary('mul', g, n, bFull, n, tmp); push(a, tmp); }
        if (b.requiresGrad) { k.binary('mul', g, n, aData, n, tmp); push(b, tmp); }
        break;
      case 'div':
        if (a.requiresGrad) { k.binary('div', g, n, bFull, n, tmp); push(a, tmp); }
        if (b.requiresGrad) {
          // d(a/b)/db = -a/b² = -out/b
          k.binary('div', out.data, n, bFull, n, tmp);
          k.binary('mul', tmp, n, g, n, tmp);
          k.affine(tmp, n, -1, 0, tmp);
          push(b, tmp);
        }
        break;
      case 'min':
      case 'max': {
        // The gradient flows to the operand that was chosen; ties go to a.
        const mask = scratch(n);
        for (let i = 0; i < n; i++) mask[i] = aData[i] === out.data[i] ? 1 : 0;
        if (a.requiresGrad) { k.binary('mul', g, n, mask, n, tmp); push(a, tmp); }
        if (b.requiresGrad) {
          k.affine(mask, n, -1, 1, mask);
          k.binary('mul', g, n, mask, n, tmp);
          push(b, tmp);
        }
        break;
      }
    }
  });
}

export const add = (a: Tensor, b: Tensor) => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor) => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor) => binary('mul', a, b);
export const div = (a: Tensor, b: Tensor) => binary('div', a, b);
export const minimum = (a: Tensor, b: Tensor) => binary('min', a, b);
export const maximum = (a: Tensor, b: Tensor) => binary('max', a, b);

/** a·s + t. */
export function affine(a: Tensor, s: number, t = 0): Tensor {
  const out = empty(a.shape);
  K().affine(a.data, a.size, s, t, out.data);
  if (!needsGrad(a)) return out;
  return record(out, () => {
    const g = out.grad!.data, da = gradOf(a).data, tmp = scratch(a.size);
    K().affine(g, a.size, s, 0, tmp);
    K().binary('add', da, a.size, tmp, a.size, da);
  });
}

export const scale = (a: Tensor, s: number) => affine(a, s, 0);
export const addScalar = (a: Tensor, t: number) => affine(a, 1, t);
export const neg = (a: Tensor) => affine(a, -1, 0);

function unary(op: UnaryOp, a: Tensor, grad: (g: Float32Array, x: Float32Array, y: Float32Array, da: Float32Array, n: number) => void): Tensor {
  const out = empty(a.shape);
  K().unary(op, a.data, a.size, out.data);
  if (!needsGrad(a)) return out;
  return record(out, () => grad(out.grad!.data, a.data, out.data, gradOf(a).data, a.size));
}

export function exp(a: Tensor): Tensor {
  return unary('exp', a, (g, _x, y, da, n) => {
    const tmp = scratch(n);
    K().binary('mul', g, n, y, n, tmp);
    K().binary('add', da, n, tmp, n, da);
  });
}

/** Natural log. Non-positive inputs give -Infinity or NaN, as in IEEE arithmetic. */
export function log(a: Tensor): Tensor {
  return unary('log', a, (g, x, _y, da, n) => {
    const tmp = scratch(n);
    K().binary('div', g, n, x, n, tmp);
    K().binary('add', da, n, tmp, n, da);
  });
}

export function silu(a: Tensor): Tensor {
  return unary('silu', a, (g, x, _y, da, n) => K().siluBackward(g, x, n, da));
}

/** Clamps into [lo, hi]; the gradient passes only where the input was inside. */
export function clamp(a: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new ShapeError(`clamp: lo ${lo} must not exceed hi ${hi}`);
  const out = empty(a.shape);
  K().clamp(a.data, a.size, lo, hi, out.data);
  if (!needsGrad(a)) return out;
  return record(out, () => {
    const g = out.grad!.data, da = gradOf(a).data, x = a.data;
    for (let i = 0; i < a.size; i++) if (x[i] >= lo && x[i] <= hi) da[i] += g[i];
  });
}

/** cond ? a : b elementwise; cond is a mask (non-zero is true) and carries no gradient. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  if (!sameShape(cond.shape, a.shape) || !sameShape(a.shape, b.shape)) {
    throw new ShapeError(`where: shapes differ: cond ${fmt(cond.shape)}, a ${fmt(a.shape)}, b ${fmt(b.shape)}`);
  }
  const out = empty(a.shape);
  K().where(cond.data, a.data, b.data, a.size, out.data);
  if (!needsGrad(a, b)) return out;
  return record(out, () => {
    const g = out.grad!.data, c = cond.data;
    if (a.requiresGrad) { const da = gradOf(a).data; for (let i = 0; i < a.size; i++) if (c[i] !== 0) da[i] += g[i]; }
    if (b.requiresGrad) { const db = gradOf(b).data; for (let i = 0; i < b.size; i++) if (c[i] === 0) db[i] += g[i]; }
  });
}
