// GGML tensor types: ids as ggml.h numbers them, and the block each packs values into.
// A row of n values of a block type takes n / blockSize blocks of typeSize bytes.
import { PonderError } from '../errors.ts';

export const GGML_TYPE = {
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q5_0: 6, Q5_1: 7, Q8_0: 8, Q4_K: 12, Q5_K: 13, Q6_K: 14, BF16: 30,
} as const;
export type GgmlTypeName = keyof typeof GGML_TYPE;
export type GgmlType = (typeof GGML_TYPE)[GgmlTypeName];

export interface BlockFormat {
  name: GgmlTypeName;
  /** Values per block. */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
}

/** QK_K: the super-block of the k-quants. */
export const QK_K = 256;

export const BLOCK: Readonly<Record<GgmlType, BlockFormat>> = {
  [GGML_TYPE.F32]: { name: 'F32', blockSize: 1, typeSize: 4 },
  [GGML_TYPE.F16]: { name: 'F16', blockSize: 1, typeSize: 2 },
  [GGML_TYPE.BF16]: { name: 'BF16', blockSize: 1, typeSize: 2 },
  [GGML_TYPE.Q4_0]: { name: 'Q4_0', blockSize: 32, typeSize: 18 }, // f16 d, 16 bytes of nibbles
  [GGML_TYPE.Q4_1]: { name: 'Q4_1', blockSize: 32, typeSize: 20 }, // f16 d, f16 m, 16 bytes of nibbles
  [GGML_TYPE.Q5_0]: { name: 'Q5_0', blockSize: 32, typeSize: 22 }, // f16 d, u32 of fifth bits, nibbles
  [GGML_TYPE.Q5_1]: { name: 'Q5_1', blockSize: 32, typeSize: 24 }, // f16 d, f16 m, u32 of fifth bits, nibbles
  [GGML_TYPE.Q8_0]: { name: 'Q8_0', blockSize: 32, typeSize: 34 }, // f16 d, 32 int8
  [GGML_TYPE.Q4_K]: { name: 'Q4_K', blockSize: QK_K, typeSize: 144 }, // f16 d, dmin, 12 scale bytes, 128 nibble bytes
  [GGML_TYPE.Q5_K]: { name: 'Q5_K', blockSize: QK_K, typeSize: 176 }, // as Q4_K + 32 bytes of high bits
  [GGML_TYPE.Q6_K]: { name: 'Q6_K', blockSize: QK_K, typeSize: 210 }, // 128 low nibbles, 64 high 2-bits, 16 int8 scales, f16 d
};

/** Names of types ggml defines that ponder does not read, so an error can say what the file holds. */
const OTHER_TYPES: Record<number, string> = {
  9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K', 15: 'Q8_K', 16: 'IQ2_XXS',
  17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS',
  24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64', 29: 'IQ1_M', 34: 'TQ1_0', 35: 'TQ2_0',
  39: 'MXFP4', 40: 'NVFP4', 41: 'Q1_0', 42: 'Q2_0',
};

export function isSupportedType(id: number): id is GgmlType {
  return Object.prototype.hasOwnProperty.call(BLOCK, id);
}

/** The block format of a type id, or an error naming it (`where` names the file and tensor). */
export function blockFormat(id: number, where = 'ggml'): BlockFormat {
  if (isSupportedType(id)) return BLOCK[id];
  const known = OTHER_TYPES[id];
  throw new PonderError(known
    ? `${where}: tensor type ${known} (${id}) is not supported (ponder reads F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K)`
    : `${where}: unknown tensor type id ${id}`);
}

/** The type id of a name such as 'Q8_0' (case-insensitive). */
export function typeByName(name: string): GgmlType {
  const key = name.toUpperCase() as GgmlTypeName;
  if (!(key in GGML_TYPE)) throw new PonderError(`unknown GGML type "${name}" (known: ${Object.keys(GGML_TYPE).join(', ')})`);
  return GGML_TYPE[key];
}

/** Bytes taken by n values of a type; n must fill whole blocks. */
export function rowBytes(type: number, n: number, where = 'ggml'): number {
  const f = blockFormat(type, where);
  if (n % f.blockSize !== 0) throw new PonderError(`${where}: ${n} values do not fill whole ${f.name} blocks of ${f.blockSize}`);
  return (n / f.blockSize) * f.typeSize;
}
