// An independent GGUF writer for tests: the byte layout of gguf.h spelled out with a DataView,
// sharing no code with src/io/gguf*.ts, so that ponder's reader is checked against the format
// rather than against its own writer. Metadata values are [type id, value]; arrays [9, [item type, items]].
export type RefValue = [number, unknown];
export interface RefTensor { name: string; ne: number[]; type: number; bytes: Uint8Array }

export function refGguf(kvs: [string, RefValue][], tensors: RefTensor[], alignment = 32): Uint8Array {
  const parts: Uint8Array[] = [];
  const le = (n: number, f: (v: DataView) => void) => { const b = new Uint8Array(n); f(new DataView(b.buffer)); parts.push(b); };
  const u32 = (v: number) => le(4, (d) => d.setUint32(0, v, true));
  const u64 = (v: number | bigint) => le(8, (d) => d.setBigUint64(0, BigInt(v), true));
  const str = (s: string) => { const b = new TextEncoder().encode(s); u64(b.length); parts.push(b); };
  const value = (t: number, v: unknown): void => {
    switch (t) {
      case 0: return le(1, (d) => d.setUint8(0, v as number));
      case 1: return le(1, (d) => d.setInt8(0, v as number));
      case 2: return le(2, (d) => d.setUint16(0, v as number, true));
      case 3: return le(2, (d) => d.setInt16(0, v as number, true));
      case 4: return u32(v as number);
      case 5: return le(4, (d) => d.setInt32(0, v as number, true));
      case 6: return le(4, (d) => d.setFloat32(0, v as number, true));
      case 7: return le(1, (d) => d.setUint8(0, typeof v === 'number' ? v : v ? 1 : 0)); // a number: raw byte, to write bad bools
      case 8: return str(v as string);
      case 9: { const [it, items] = v as [number, unknown[]]; u32(it); u64(items.length); for (const x of items) value(it, x); return; }
      case 10: return u64(v as bigint);
      case 11: return le(8, (d) => d.setBigInt64(0, BigInt(v as bigint), true));
      case 12: return le(8, (d) => d.setFloat64(0, v as number, true));
    }
    throw new Error(`bad type ${t}`);
  };
  parts.push(new TextEncoder().encode('GGUF'));
  u32(3); u64(tensors.length); u64(kvs.length);
  for (const [k, [t, v]] of kvs) { str(k); u32(t); value(t, v); }
  let off = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    str(t.name); u32(t.ne.length); for (const d of t.ne) u64(d); u32(t.type); u64(off);
    offsets.push(off);
    off += Math.ceil(t.bytes.length / alignment) * alignment;
  }
  let size = parts.reduce((a, p) => a + p.length, 0);
  const dataStart = Math.ceil(size / alignment) * alignment;
  const out = new Uint8Array(dataStart + off);
  size = 0;
  for (const p of parts) { out.set(p, size); size += p.length; }
  tensors.forEach((t, i) => out.set(t.bytes, dataStart + offsets[i]));
  return out;
}

/** Float32 values as little-endian bytes. */
export function f32Bytes(x: ArrayLike<number>): Uint8Array {
  const b = new Uint8Array(x.length * 4), d = new DataView(b.buffer);
  for (let i = 0; i < x.length; i++) d.setFloat32(i * 4, x[i], true);
  return b;
}
