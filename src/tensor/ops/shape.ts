// Ops that move data without arithmetic: reshape (a view), transpose, slice, concat.
import { Tensor, empty, fmt, sizeOf } from '../tensor.ts';
import { needsGrad, record, gradOf, passGrad } from '../tape.ts';
import { ShapeError } from '../errors.ts';

/** Same data, new shape; one dimension may be -1. Shares the buffer (no copy). */
export function reshape(a: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const holes = shape.length - known.length;
  if (holes > 1) throw new ShapeError(`reshape: more than one -1 in ${fmt(shape)}`);
  const s = [...shape];
  if (holes === 1) {
    const k = sizeOf(known);
    if (k === 0 || a.size % k !== 0) throw new ShapeError(`reshape: cannot reshape ${fmt(a.shape)} to ${fmt(shape)}`);
    s[s.indexOf(-1)] = a.size / k;
  }
  if (sizeOf(s) !== a.size) throw new ShapeError(`reshape: cannot reshape ${fmt(a.shape)} (${a.size}) to ${fmt(shape)}`);
  const out = new Tensor(a.data, s, false, a.base ?? a);
  if (!needsGrad(a)) return out;
  return record(out, () => passGrad(a, out.grad!));
}

/** Swaps two axes (copies). */
export function transpose(a: Tensor, ax1: number, ax2: number): Tensor {
  const r = a.rank;
  const d1 = ax1 < 0 ? ax1 + r : ax1, d2 = ax2 < 0 ? ax2 + r : ax2;
  if (d1 < 0 || d1 >= r || d2 < 0 || d2 >= r) throw new ShapeError(`transpose: axes ${ax1}, ${ax2} out of range for ${fmt(a.shape)}`);
  const shape = [...a.shape];
  [shape[d1], shape[d2]] = [shape[d2], shape[d1]];
  const out = empty(shape);
  const inStrides = strides(a.shape);
  const perm = a.shape.map((_, i) => (i === d1 ? d2 : i === d2 ? d1 : i));
  // Walk the output in order; the input index moves by the permuted strides.
  const outStride = perm.map((p) => inStrides[p]);
  const copy = (src: Float32Array, dst: Float32Array, reverse: boolean) => {
    const idx = new Array(r).fill(0);
    let srcOff = 0;
    for (let o = 0; o < out.size; o++) {
      if (reverse) dst[srcOff] += src[o]; else dst[o] = src[srcOff];
      for (let d = r - 1; d >= 0; d--) {
        idx[d]++;
        srcOff += outStride[d];
        if (idx[d] < shape[d]) break;
        srcOff -= outStride[d] * shape[d];
        idx[d] = 0;
      }
    }
  };
  copy(a.data, out.data, false);
  if (!needsGrad(a)) return out;
  return record(out, () => copy(out.grad!.data, gradOf(a).data, true));
}

function strides(shape: readonly number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Elements [start, end) along an axis (copies). */
export function slice(a: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = axis < 0 ? axis + a.rank : axis;
  if (ax < 0 || ax >= a.rank) throw new ShapeError(`slice: axis ${axis} out of range for ${fmt(a.shape)}`);
  const len = a.shape[ax];
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= len)) {
    throw new ShapeError(`slice: range [${start}, ${end}) out of bounds for axis ${ax} of ${fmt(a.shape)}`);
  }
  const outer = sizeOf(a.shape.slice(0, ax)), inner = sizeOf(a.shape.slice(ax + 1));
  const shape = [...a.shape];
  shape[ax] = end - start;
  const out = empty(shape);
  const w = (end - start) * inner;
  for (let o = 0; o < outer; o++) out.data.set(a.data.subarray((o * len + start) * inner, (o * len + start) * inner + w), o * w);
  if (!needsGrad(a)) return out;
  return record(out, () => {
    const g = out.grad!.data, da = gradOf(a).data;
    for (let o = 0; o < outer; o++) {
      const base = (o * len + start) * inner;
      for (let i = 0; i < w; i++) da[base + i] += g[o * w + i];
    }
  });
}

/** Joins tensors along an axis; all other dimensions must agree. */
export function concat(ts: Tensor[], axis: number): Tensor {
  if (ts.length === 0) throw new ShapeError('concat: no tensors');
  const first = ts[0];
  const ax = axis < 0 ? axis + first.rank : axis;
  if (ax < 0 || ax >= first.rank) throw new ShapeError(`concat: axis ${axis} out of range for ${fmt(first.shape)}`);
  for (const t of ts) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new ShapeError(`concat: shapes ${ts.map((x) => fmt(x.shape)).join(', ')} differ outside axis ${ax}`);
    }
  }
  const outer = sizeOf(first.shape.slice(0, ax)), inner = sizeOf(first.shape.slice(ax + 1));
  const total = ts.reduce((s, t) => s + t.shape[ax], 0);
  const shape = [...first.shape];
  shape[ax] = total;
  const out = empty(shape);
  let off = 0;
  for (const t of ts) {
    const w = t.shape[ax] * inner;
    for (let o = 0; o < outer; o++) out.data.set(t.data.subarray(o * w, o * w + w), o * total * inner + off);
    off += w;
  }
  if (!needsGrad(...ts)) return out;
  return record(out, () => {
    const g = out.grad!.data;
    let off2 = 0;
    for (const t of ts) {
      const w = t.shape[ax] * inner;
      if (t.requiresGrad) {
        const dt = gradOf(t).data;
        for (let o = 0; o < outer; o++) for (let i = 0; i < w; i++) dt[o * w + i] += g[o * total * inner + off2 + i];
      }
      off2 += w;
    }
  });
}
