// GGML's tensor encodings in TypeScript: dequantise any supported type to f32, quantise f32 into
// the types ponder writes. These are the reference the native kernels are tested against, and
// they are bit-exact with ggml-quants.c (see legacy.ts and kquants.ts for the block layouts).
import { PonderError } from '../errors.ts';
import { F16_TABLE, f32ToBf16, f32ToF16 } from './half.ts';
import { dequantizeQ4_0, dequantizeQ4_1, dequantizeQ5_0, dequantizeQ5_1, dequantizeQ8_0, quantizeQ4_0, quantizeQ5_0, quantizeQ8_0 } from './legacy.ts';
import { dequantizeQ4_K, dequantizeQ5_K, dequantizeQ6_K, quantizeQ4_K, quantizeQ6_K } from './kquants.ts';
import { blockFormat, GGML_TYPE, rowBytes, type GgmlType } from './types.ts';

export { GGML_TYPE, BLOCK, QK_K, blockFormat, rowBytes, typeByName, isSupportedType } from './types.ts';
export type { GgmlType, GgmlTypeName, BlockFormat } from './types.ts';
export { f32ToF16, f32ToBf16, bf16ToF32, F16_TABLE } from './half.ts';

/** Types quantize() can write. */
export const QUANTIZABLE: readonly GgmlType[] = [
  GGML_TYPE.F32, GGML_TYPE.F16, GGML_TYPE.BF16, GGML_TYPE.Q8_0, GGML_TYPE.Q4_0, GGML_TYPE.Q5_0, GGML_TYPE.Q4_K, GGML_TYPE.Q6_K,
];

/** Decodes n values of `type` from bytes (at least rowBytes(type, n) of them) into out[o..o+n). */
export function dequantizeInto(type: number, bytes: Uint8Array, n: number, out: Float32Array, o = 0): void {
  const f = blockFormat(type);
  const need = rowBytes(type, n);
  if (bytes.length < need) throw new PonderError(`dequantize ${f.name}: ${n} values need ${need} bytes, got ${bytes.length}`);
  if (out.length < o + n) throw new PonderError(`dequantize ${f.name}: output holds ${out.length - o} values, ${n} needed`);
  const nb = n / f.blockSize;
  switch (type) {
    case GGML_TYPE.F32: {
      // Copy through bytes: the source may sit at any alignment inside a file buffer.
      new Uint8Array(out.buffer, out.byteOffset + o * 4, n * 4).set(bytes.subarray(0, n * 4));
      return;
    }
    case GGML_TYPE.F16: return dequantizeF16(bytes, n, out, o);
    case GGML_TYPE.BF16: return dequantizeBF16(bytes, n, out, o);
    case GGML_TYPE.Q8_0: return dequantizeQ8_0(bytes, nb, out, o);
    case GGML_TYPE.Q4_0: return dequantizeQ4_0(bytes, nb, out, o);
    case GGML_TYPE.Q4_1: return dequantizeQ4_1(bytes, nb, out, o);
    case GGML_TYPE.Q5_0: return dequantizeQ5_0(bytes, nb, out, o);
    case GGML_TYPE.Q5_1: return dequantizeQ5_1(bytes, nb, out, o);
    case GGML_TYPE.Q4_K: return dequantizeQ4_K(bytes, nb, out, o);
    case GGML_TYPE.Q5_K: return dequantizeQ5_K(bytes, nb, out, o);
    case GGML_TYPE.Q6_K: return dequantizeQ6_K(bytes, nb, out, o);
  }
}

/** 16-bit halves as a Uint16Array: a view when aligned, else a copy. */
function halves(bytes: Uint8Array, n: number): Uint16Array {
  if (bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  return new Uint16Array(bytes.slice(0, 2 * n).buffer);
}

function dequantizeF16(bytes: Uint8Array, n: number, out: Float32Array, o: number): void {
  // A local reference: a module import read in the loop can cost a getter call per value.
  const h = halves(bytes, n), table = F16_TABLE;
  for (let i = 0; i < n; i++) out[o + i] = table[h[i]];
}

function dequantizeBF16(bytes: Uint8Array, n: number, out: Float32Array, o: number): void {
  // bfloat16 is the top half of an f32: shift the bits into place.
  const h = halves(bytes, n), bits = new Uint32Array(out.buffer, out.byteOffset + o * 4, n);
  for (let i = 0; i < n; i++) bits[i] = h[i] << 16;
}

/** n values of `type` from bytes, as f32. */
export function dequantize(type: number, bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  dequantizeInto(type, bytes, n, out);
  return out;
}

/** Encodes f32 values as `type` (F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K); length must fill whole blocks. */
export function quantize(type: number, x: Float32Array): Uint8Array {
  const f = blockFormat(type);
  const dst = new Uint8Array(rowBytes(type, x.length));
  switch (type) {
    case GGML_TYPE.F32: dst.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength)); break;
    case GGML_TYPE.F16:
      for (let i = 0; i < x.length; i++) { const h = f32ToF16(x[i]); dst[2 * i] = h & 0xff; dst[2 * i + 1] = h >> 8; }
      break;
    case GGML_TYPE.BF16:
      for (let i = 0; i < x.length; i++) { const h = f32ToBf16(x[i]); dst[2 * i] = h & 0xff; dst[2 * i + 1] = h >> 8; }
      break;
    case GGML_TYPE.Q8_0: quantizeQ8_0(x, dst); break;
    case GGML_TYPE.Q4_0: quantizeQ4_0(x, dst); break;
    case GGML_TYPE.Q5_0: quantizeQ5_0(x, dst); break;
    case GGML_TYPE.Q4_K: quantizeQ4_K(x, dst); break;
    case GGML_TYPE.Q6_K: quantizeQ6_K(x, dst); break;
    default: throw new PonderError(`quantize: writing ${f.name} is not supported (ponder writes F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K)`);
  }
  return dst;
}
