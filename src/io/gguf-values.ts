// GGUF metadata values: the 13 value types of the format (gguf.h's gguf_type), how each is laid
// out (little-endian; strings are a u64 byte length then UTF-8; arrays are an item type, a u64
// count, then the items), and typed access for readers.
import { PonderError } from '../errors.ts';

export const GGUF_TYPE = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7,
  STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;
export type GgufType = (typeof GGUF_TYPE)[keyof typeof GGUF_TYPE];

/** Bytes of each fixed-size value type (strings and arrays vary). */
export const GGUF_TYPE_SIZE: Partial<Record<GgufType, number>> = {
  0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8,
};

export const GGUF_TYPE_NAME: Record<GgufType, string> = {
  0: 'u8', 1: 'i8', 2: 'u16', 3: 'i16', 4: 'u32', 5: 'i32', 6: 'f32', 7: 'bool', 8: 'string', 9: 'array', 10: 'u64', 11: 'i64', 12: 'f64',
};

/** A value as held in memory: 64-bit integers are bigints; arrays keep their item type. */
export type GgufPlain = number | bigint | boolean | string | GgufArray;
export interface GgufArray { itemType: GgufType; items: GgufPlain[] }
export interface GgufKV { type: GgufType; value: GgufPlain }

/**
 * A long array as the reader keeps it: its bytes, not one JavaScript value per item. A 151,936-token
 * vocabulary and its merges would otherwise be 300k strings built at load, most of them garbage once
 * the tokenizer is made (src/io/gguf-tokenizer.ts builds it from these bytes). Strings are packed
 * end to end: string i is bytes[offsets[i], offsets[i + 1]). Numbers are the file's little-endian items.
 */
export type PackedItems =
  | { kind: 'strings'; bytes: Uint8Array; offsets: Uint32Array }
  | { kind: 'numbers'; bytes: Buffer };

const packedOf = new WeakMap<GgufArray, PackedItems>();

/** The packed bytes of an array the reader left packed, else undefined (a short array, or one a writer made). */
export function packedItems(a: GgufArray): PackedItems | undefined {
  return packedOf.get(a);
}

/**
 * An array whose items are decoded from its packed bytes the first time `items` is read (then kept),
 * so that code which wants plain values (writers, tests, the tokenizer.json path) still gets them.
 */
export function lazyArray(itemType: GgufType, count: number, packed: PackedItems): GgufArray {
  let items: GgufPlain[] | undefined;
  const a = { itemType } as GgufArray;
  Object.defineProperty(a, 'items', {
    enumerable: true,
    configurable: true, // a test replaces it, to show that a reader used the packed bytes alone
    get: () => (items ??= decodePacked(itemType, count, packed)),
  });
  packedOf.set(a, packed);
  return a;
}

function decodePacked(itemType: GgufType, count: number, p: PackedItems): GgufPlain[] {
  const out: GgufPlain[] = new Array(count);
  if (p.kind === 'strings') {
    const b = Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength);
    for (let i = 0; i < count; i++) out[i] = b.toString('utf8', p.offsets[i], p.offsets[i + 1]);
    return out;
  }
  const b = p.bytes;
  for (let i = 0; i < count; i++) {
    switch (itemType) {
      case GGUF_TYPE.INT32: out[i] = b.readInt32LE(4 * i); break;
      case GGUF_TYPE.UINT32: out[i] = b.readUInt32LE(4 * i); break;
      case GGUF_TYPE.FLOAT32: out[i] = b.readFloatLE(4 * i); break;
      default: throw new PonderError(`internal: no packed form for ${GGUF_TYPE_NAME[itemType]} arrays`);
    }
  }
  return out;
}

export function isGgufType(t: number): t is GgufType {
  return Number.isInteger(t) && t >= 0 && t <= 12;
}

// Constructors, so writers say what they mean: kv.u32(3), kv.str('llama'), kv.strArray(tokens).
export const kv = {
  u8: (v: number): GgufKV => ({ type: GGUF_TYPE.UINT8, value: v }),
  i32: (v: number): GgufKV => ({ type: GGUF_TYPE.INT32, value: v }),
  u32: (v: number): GgufKV => ({ type: GGUF_TYPE.UINT32, value: v }),
  u64: (v: number | bigint): GgufKV => ({ type: GGUF_TYPE.UINT64, value: BigInt(v) }),
  f32: (v: number): GgufKV => ({ type: GGUF_TYPE.FLOAT32, value: v }),
  bool: (v: boolean): GgufKV => ({ type: GGUF_TYPE.BOOL, value: v }),
  str: (v: string): GgufKV => ({ type: GGUF_TYPE.STRING, value: v }),
  array: (itemType: GgufType, items: GgufPlain[]): GgufKV => ({ type: GGUF_TYPE.ARRAY, value: { itemType, items } }),
  strArray: (items: string[]): GgufKV => kv.array(GGUF_TYPE.STRING, items),
  i32Array: (items: number[]): GgufKV => kv.array(GGUF_TYPE.INT32, items),
  f32Array: (items: number[]): GgufKV => kv.array(GGUF_TYPE.FLOAT32, items),
};

/** A growing little-endian byte buffer: the header of a file with a 150k-token vocabulary is
 *  millions of small writes, which one buffer takes far faster than a list of tiny Buffers. */
export class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(v: number): void { const at = this.room(1); this.buf.writeUInt8(v, at); }
  i8(v: number): void { const at = this.room(1); this.buf.writeInt8(v, at); }
  u16(v: number): void { const at = this.room(2); this.buf.writeUInt16LE(v, at); }
  i16(v: number): void { const at = this.room(2); this.buf.writeInt16LE(v, at); }
  u32(v: number): void { const at = this.room(4); this.buf.writeUInt32LE(v, at); }
  i32(v: number): void { const at = this.room(4); this.buf.writeInt32LE(v, at); }
  f32(v: number): void { const at = this.room(4); this.buf.writeFloatLE(v, at); }
  f64(v: number): void { const at = this.room(8); this.buf.writeDoubleLE(v, at); }
  u64(v: number | bigint): void { const at = this.room(8); this.buf.writeBigUInt64LE(BigInt(v), at); }
  i64(v: bigint): void { const at = this.room(8); this.buf.writeBigInt64LE(v, at); }
  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.u64(n);
    const at = this.room(n); // room() may replace the buffer: take the offset first
    this.buf.write(s, at, n, 'utf8');
  }
  bytes(): Buffer { return this.buf.subarray(0, this.length); }
}

/** Encodes one value of `type` into `out`; `where` names the file and key in errors. */
export function encodeValue(type: GgufType, value: GgufPlain, out: ByteSink, where: string): void {
  const num = (): number => {
    if (typeof value !== 'number' || (!Number.isFinite(value) && type !== GGUF_TYPE.FLOAT32 && type !== GGUF_TYPE.FLOAT64)) {
      throw new PonderError(`${where}: ${GGUF_TYPE_NAME[type]} value must be a number, got ${String(value)}`);
    }
    if (type !== GGUF_TYPE.FLOAT32 && type !== GGUF_TYPE.FLOAT64 && !Number.isInteger(value)) {
      throw new PonderError(`${where}: ${GGUF_TYPE_NAME[type]} value must be an integer, got ${value}`);
    }
    return value;
  };
  try {
    switch (type) {
      case GGUF_TYPE.UINT8: return out.u8(num());
      case GGUF_TYPE.INT8: return out.i8(num());
      case GGUF_TYPE.UINT16: return out.u16(num());
      case GGUF_TYPE.INT16: return out.i16(num());
      case GGUF_TYPE.UINT32: return out.u32(num());
      case GGUF_TYPE.INT32: return out.i32(num());
      case GGUF_TYPE.FLOAT32: return out.f32(num());
      case GGUF_TYPE.FLOAT64: return out.f64(num());
      case GGUF_TYPE.BOOL:
        if (typeof value !== 'boolean') throw new PonderError(`${where}: bool value must be true or false`);
        return out.u8(value ? 1 : 0);
      case GGUF_TYPE.UINT64: case GGUF_TYPE.INT64: {
        const v = typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
        if (typeof v !== 'bigint') throw new PonderError(`${where}: ${GGUF_TYPE_NAME[type]} value must be an integer`);
        return type === GGUF_TYPE.UINT64 ? out.u64(v) : out.i64(v);
      }
      case GGUF_TYPE.STRING:
        if (typeof value !== 'string') throw new PonderError(`${where}: string value expected`);
        return out.string(value);
      case GGUF_TYPE.ARRAY: {
        if (typeof value !== 'object' || value === null || !Array.isArray(value.items) || !isGgufType(value.itemType)) {
          throw new PonderError(`${where}: array value must be { itemType, items }`);
        }
        out.u32(value.itemType);
        out.u64(value.items.length);
        for (let i = 0; i < value.items.length; i++) encodeValue(value.itemType, value.items[i], out, where);
        return;
      }
    }
  } catch (e) {
    // Node's range errors (a u8 of 300) become errors naming the key.
    if (e instanceof PonderError) throw e;
    throw new PonderError(`${where}: ${(e as Error).message}`);
  }
  throw new PonderError(`${where}: unknown value type ${type as number}`);
}

/** Typed getters over a metadata map; a wrong or missing value is an error naming file and key. */
export class GgufMetadata {
  constructor(readonly entries: Map<string, GgufKV>, readonly source: string) {}

  has(key: string): boolean { return this.entries.has(key); }

  private fail(key: string, why: string): never {
    throw new PonderError(`${this.source}: metadata "${key}" ${why}`);
  }

  /** A number (any numeric type; 64-bit values must be exact in a double), or undefined when absent. */
  number(key: string): number | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (typeof e.value === 'number') return e.value;
    if (typeof e.value === 'bigint') {
      if (e.value > BigInt(Number.MAX_SAFE_INTEGER) || e.value < -BigInt(Number.MAX_SAFE_INTEGER)) this.fail(key, `is ${e.value}, too large`);
      return Number(e.value);
    }
    return this.fail(key, `is a ${GGUF_TYPE_NAME[e.type]}, expected a number`);
  }

  requireNumber(key: string): number {
    const v = this.number(key);
    return v === undefined ? this.fail(key, 'is missing') : v;
  }

  string(key: string): string | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    return typeof e.value === 'string' ? e.value : this.fail(key, `is a ${GGUF_TYPE_NAME[e.type]}, expected a string`);
  }

  bool(key: string): boolean | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    return typeof e.value === 'boolean' ? e.value : this.fail(key, `is a ${GGUF_TYPE_NAME[e.type]}, expected a bool`);
  }

  /** An array's items, checked to be of one of the given item types. */
  array(key: string, itemTypes: GgufType[]): GgufPlain[] | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const v = e.value;
    if (typeof v !== 'object') return this.fail(key, `is a ${GGUF_TYPE_NAME[e.type]}, expected an array`);
    if (!itemTypes.includes(v.itemType)) this.fail(key, `is an array of ${GGUF_TYPE_NAME[v.itemType]}, expected ${itemTypes.map((t) => GGUF_TYPE_NAME[t]).join(' or ')}`);
    return v.items;
  }
}
