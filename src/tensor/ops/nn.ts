// Fused building blocks of a Llama-style transformer: embedding, RMSNorm, RoPE, SwiGLU.
import { backend } from '../../backend/index.ts';
import { Tensor, empty, fmt, sameShape } from '../tensor.ts';
import { scratch } from '../memory.ts';
import { needsGrad, record, gradOf } from '../tape.ts';
import { ShapeError, ValueError } from '../errors.ts';

const K = () => backend().kernels;

/** Rows of table (V, C) picked by ids; the result has shape [...shape, C]. */
export function embedding(table: Tensor, ids: Int32Array, shape: readonly number[] = [ids.length]): Tensor {
  if (table.rank !== 2) throw new ShapeError(`embedding: table must be 2-D, got ${fmt(table.shape)}`);
  const [V, C] = table.shape;
  const n = ids.length;
  if (shape.reduce((x, y) => x * y, 1) !== n) throw new ShapeError(`embedding: ${n} ids do not fit shape ${fmt(shape)}`);
  for (let i = 0; i < n; i++) {
    if (!(ids[i] >= 0 && ids[i] < V)) throw new ValueError(`embedding: token id ${ids[i]} at position ${i} is outside the vocabulary [0, ${V})`);
  }
  const out = empty([...shape, C]);
  K().embedding(table.data, C, ids, n, out.data);
  if (!needsGrad(table)) return out;
  return record(out, () => K().embeddingBackward(out.grad!.data, C, ids, n, gradOf(table).data));
}

/** RMSNorm over the last axis: x / sqrt(mean(x²) + eps) · weight. */
export function rmsnorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const C = x.shape[x.rank - 1];
  if (weight.rank !== 1 || weight.shape[0] !== C) throw new ShapeError(`rmsnorm: weight ${fmt(weight.shape)} does not match the last axis of ${fmt(x.shape)}`);
  const rows = x.size / C;
  const out = empty(x.shape);
  const rstd = scratch(rows);
  K().rmsnorm(x.data, weight.data, rows, C, eps, out.data, rstd);
  if (!needsGrad(x, weight)) return out;
  return record(out, () => {
    const dx = x.requiresGrad ? gradOf(x).data : scratch(x.size);
    const dw = weight.requiresGrad ? gradOf(weight).data : scratch(C).fill(0);
    K().rmsnormBackward(out.grad!.data, x.data, weight.data, rstd, rows, C, dx, dw, true);
  });
}

/** cos/sin tables (maxPos, D/2) for RoPE, cached per (D, theta, maxPos). */
const ropeTables = new Map<string, { cos: Float32Array; sin: Float32Array }>();
export function ropeTable(D: number, theta: number, maxPos: number): { cos: Float32Array; sin: Float32Array } {
  const key = `${D}:${theta}:${maxPos}`;
  let t = ropeTables.get(key);
  if (!t) {
    const half = D / 2;
    const cos = new Float32Array(maxPos * half), sin = new Float32Array(maxPos * half);
    for (let p = 0; p < maxPos; p++) {
      for (let i = 0; i < half; i++) {
        // Angles in float64, then rounded once: the same values PyTorch computes in float32 up to 1 ulp.
        const a = p * Math.pow(theta, (-2 * i) / D);
        cos[p * half + i] = Math.cos(a);
        sin[p * half + i] = Math.sin(a);
      }
    }
    t = { cos, sin };
    ropeTables.set(key, t);
  }
  return t;
}

/** cos/sin of each position's angles, (maxPos, D/2) row-major. */
export interface RopeTable { cos: Float32Array; sin: Float32Array }

/**
 * Rotary position embedding of x (B, T, H, D) at positions posOffset + t (rotate-half convention).
 * `theta` is the base of the standard frequencies, or a table of angles made elsewhere (scaled RoPE).
 */
export function rope(x: Tensor, posOffset: number, theta: number | RopeTable, maxPos: number): Tensor {
  if (x.rank !== 4) throw new ShapeError(`rope: x must be (B, T, H, D), got ${fmt(x.shape)}`);
  const [B, T, H, D] = x.shape;
  if (D % 2 !== 0) throw new ShapeError(`rope: head dimension ${D} must be even`);
  if (posOffset < 0 || posOffset + T > maxPos) throw new ShapeError(`rope: positions ${posOffset}..${posOffset + T - 1} exceed the context of ${maxPos}`);
  const { cos, sin } = typeof theta === 'number' ? ropeTable(D, theta, maxPos) : theta;
  if (cos.length < maxPos * (D / 2) || sin.length !== cos.length) throw new ShapeError(`rope: the table holds ${cos.length / (D / 2)} positions, fewer than ${maxPos}`);
  const out = empty(x.shape);
  K().rope(x.data, B, T, H, D, posOffset, cos, sin, false, out.data);
  if (!needsGrad(x)) return out;
  return record(out, () => {
    const tmp = scratch(x.size);
    K().rope(out.grad!.data, B, T, H, D, posOffset, cos, sin, true, tmp);
    const dx = gradOf(x).data;
    K().binary('add', dx, x.size, tmp, x.size, dx);
  });
}

/** silu(gate) · up, fused. */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  if (!sameShape(gate.shape, up.shape)) throw new ShapeError(`swiglu: gate ${fmt(gate.shape)} and up ${fmt(up.shape)} differ`);
  const out = empty(gate.shape);
  K().swiglu(gate.data, up.data, gate.size, out.data);
  if (!needsGrad(gate, up)) return out;
  return record(out, () => {
    const dg = gate.requiresGrad ? gradOf(gate).data : scratch(gate.size);
    const du = up.requiresGrad ? gradOf(up).data : scratch(up.size);
    K().swigluBackward(out.grad!.data, gate.data, up.data, gate.size, dg, du, true);
  });
}
