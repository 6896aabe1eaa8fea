// GGUF (version 3), llama.cpp's model file: read the header and tensor table, then read any
// tensor's bytes on demand (a range of the file, never the whole file).
//
// Layout (little-endian): "GGUF", u32 version, u64 tensor count, u64 metadata count; metadata
// key/value pairs (gguf-values.ts); per tensor: name, u32 n_dims, u64 ne[n_dims] (ne[0] is the
// innermost, fastest-varying dimension), u32 ggml type, u64 offset relative to the data section;
// padding to `general.alignment` (default 32); the data section, each tensor padded to the alignment.
// Every inconsistency is one PonderError naming the file and what is wrong.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { PonderError } from '../errors.ts';
import { blockFormat, dequantize, type GgmlType } from '../quant/blocks.ts';
import { GGUF_TYPE, GGUF_TYPE_SIZE, GgufMetadata, isGgufType, lazyArray, type GgufKV, type GgufPlain, type GgufType } from './gguf-values.ts';

export { GGUF_TYPE, GgufMetadata, kv, packedItems } from './gguf-values.ts';
export type { GgufKV, GgufPlain, GgufArray, GgufType, PackedItems } from './gguf-values.ts';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4; // GGML_MAX_DIMS
const MAX_STRING = 1 << 30;
/** Arrays this long (a vocabulary, its merges, token types, scores) are kept packed, not as items. */
const PACK_MIN = 4096;
const PACKABLE: ReadonlySet<GgufType> = new Set([GGUF_TYPE.STRING, GGUF_TYPE.INT32, GGUF_TYPE.UINT32, GGUF_TYPE.FLOAT32]);

export interface GgufTensorInfo {
  name: string;
  /** ggml order: ne[0] is the row length. */
  ne: number[];
  /** Row-major order (outermost first), as numpy, safetensors and Hugging Face write shapes. */
  shape: number[];
  type: GgmlType;
  /** Offset in the file (the data section's start plus the tensor's own offset). */
  fileOffset: number;
  nbytes: number;
  nelements: number;
}

export interface GgufFile {
  path: string;
  version: number;
  metadata: GgufMetadata;
  tensors: GgufTensorInfo[];
  alignment: number;
  dataOffset: number;
  fileSize: number;
  /** The named tensor's info, or an error naming the file. */
  tensor(name: string): GgufTensorInfo;
  /** A tensor's raw bytes (one read of its range). */
  readBytes(info: GgufTensorInfo): Uint8Array;
  /** A tensor as f32 values in row-major order, dequantised. */
  readF32(info: GgufTensorInfo): Float32Array;
  close(): void;
}

/** Reads the header of a GGUF file through small reads of an open descriptor. */
class HeaderReader {
  private buf = Buffer.alloc(1 << 16);
  private bufStart = 0;
  private bufEnd = 0;
  pos = 0;

  constructor(private readonly fd: number, readonly size: number, private readonly fail: (why: string) => never) {}

  /** Makes bytes [pos, pos + n) available; `what` names the field if the file ends first. */
  private need(n: number, what: string): void {
    if (this.pos + n > this.size) this.fail(`truncated: ${what} at byte ${this.pos} needs ${n} bytes, but the file ends at ${this.size}`);
    if (this.pos >= this.bufStart && this.pos + n <= this.bufEnd) return;
    if (n > this.buf.length) this.buf = Buffer.alloc(Math.max(n, this.buf.length * 2));
    const len = Math.min(this.buf.length, this.size - this.pos);
    let got = 0;
    while (got < len) got += readSync(this.fd, this.buf, got, len - got, this.pos + got);
    this.bufStart = this.pos;
    this.bufEnd = this.pos + len;
  }

  private at(n: number, what: string): number {
    this.need(n, what);
    const off = this.pos - this.bufStart;
    this.pos += n;
    return off;
  }

  u32(what: string): number { return this.buf.readUInt32LE(this.at(4, what)); }

  /** A u64 that must fit a JavaScript number exactly (every real count and offset does). */
  u64(what: string): number {
    const v = this.buf.readBigUInt64LE(this.at(8, what));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} is ${v}, larger than any file`);
    return Number(v);
  }

  string(what: string): string {
    const len = this.u64(`the length of ${what}`);
    if (len > MAX_STRING || this.pos + len > this.size) this.fail(`${what} claims ${len} bytes at byte ${this.pos}, past the end of the file (${this.size} bytes; truncated?)`);
    const off = this.at(len, what);
    return this.buf.toString('utf8', off, off + len);
  }

  /** A copy of the next n bytes. */
  copy(n: number, what: string): Buffer {
    const off = this.at(n, what);
    return Buffer.from(this.buf.subarray(off, off + n));
  }

  /** `count` strings packed end to end: one pass for their lengths, one to copy their bytes. */
  packedStrings(count: number, what: string): { kind: 'strings'; bytes: Uint8Array; offsets: Uint32Array } {
    const start = this.pos, offsets = new Uint32Array(count + 1);
    for (let i = 0; i < count; i++) {
      const len = this.u64(`the length of ${what}[${i}]`);
      if (len > MAX_STRING || this.pos + len > this.size) this.fail(`${what}[${i}] claims ${len} bytes at byte ${this.pos}, past the end of the file (${this.size} bytes; truncated?)`);
      if (offsets[i] + len > 0xffffffff) this.fail(`${what} holds more than 4 GiB of strings`);
      offsets[i + 1] = offsets[i] + len;
      this.pos += len;
    }
    const bytes = new Uint8Array(offsets[count]);
    this.pos = start;
    for (let i = 0; i < count; i++) {
      this.pos += 8;
      const len = offsets[i + 1] - offsets[i], off = this.at(len, what);
      bytes.set(this.buf.subarray(off, off + len), offsets[i]);
    }
    return { kind: 'strings', bytes, offsets };
  }

  value(type: GgufType, what: string, depth = 0): GgufPlain {
    const b = this.buf;
    switch (type) {
      case GGUF_TYPE.UINT8: return b.readUInt8(this.at(1, what));
      case GGUF_TYPE.INT8: return b.readInt8(this.at(1, what));
      case GGUF_TYPE.UINT16: return b.readUInt16LE(this.at(2, what));
      case GGUF_TYPE.INT16: return b.readInt16LE(this.at(2, what));
      case GGUF_TYPE.UINT32: return b.readUInt32LE(this.at(4, what));
      case GGUF_TYPE.INT32: return b.readInt32LE(this.at(4, what));
      case GGUF_TYPE.FLOAT32: return b.readFloatLE(this.at(4, what));
      case GGUF_TYPE.FLOAT64: return b.readDoubleLE(this.at(8, what));
      case GGUF_TYPE.UINT64: return b.readBigUInt64LE(this.at(8, what));
      case GGUF_TYPE.INT64: return b.readBigInt64LE(this.at(8, what));
      case GGUF_TYPE.BOOL: {
        const v = b.readUInt8(this.at(1, what));
        if (v > 1) this.fail(`${what} is a bool holding ${v}`);
        return v === 1;
      }
      case GGUF_TYPE.STRING: return this.string(what);
      case GGUF_TYPE.ARRAY: {
        if (depth > 8) this.fail(`${what}: arrays nested too deep`);
        const itemType = this.u32(`the item type of ${what}`);
        if (!isGgufType(itemType)) this.fail(`${what} is an array of unknown value type ${itemType}`);
        const count = this.u64(`the length of ${what}`);
        // Each item takes at least one byte (strings eight): a count the file cannot hold is a lie.
        const minItem = GGUF_TYPE_SIZE[itemType] ?? (itemType === GGUF_TYPE.STRING || itemType === GGUF_TYPE.ARRAY ? 8 : 1);
        if (count * minItem > this.size - this.pos) this.fail(`${what} claims ${count} items, more than the ${this.size - this.pos} bytes left in the file hold (truncated?)`);
        if (count >= PACK_MIN && PACKABLE.has(itemType)) {
          return lazyArray(itemType, count, itemType === GGUF_TYPE.STRING ? this.packedStrings(count, what) : { kind: 'numbers', bytes: this.copy(count * 4, what) });
        }
        const items: GgufPlain[] = new Array(count);
        for (let i = 0; i < count; i++) items[i] = this.value(itemType, what, depth + 1);
        return { itemType, items };
      }
    }
    return this.fail(`${what} has unknown value type ${type as number}`);
  }
}

/** Opens a GGUF file and reads its header and tensor table (not the tensor data). */
export function openGguf(path: string): GgufFile {
  const fail = (why: string): never => { throw new PonderError(`GGUF ${path}: ${why}`); };
  let fd: number;
  try { fd = openSync(path, 'r'); } catch (e) {
    return fail(`cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return parseHeader(fd, path, fail);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

function parseHeader(fd: number, path: string, fail: (why: string) => never): GgufFile {
  const size = fstatSync(fd).size;
  const r = new HeaderReader(fd, size, fail);
  if (size < 4) fail(`truncated: ${size} bytes, too short for the magic "GGUF"`);
  const magic = r.u32('the magic');
  if (magic !== GGUF_MAGIC) fail(`not a GGUF file (magic 0x${magic.toString(16).padStart(8, '0')}, expected "GGUF")`);
  const version = r.u32('the version');
  if (version === 0x02000000 || version === 0x03000000) fail('a big-endian GGUF file (ponder reads little-endian ones, which is what llama.cpp writes on x86 and ARM)');
  if (version !== 3 && version !== 2) fail(`GGUF version ${version} is not supported (ponder reads version 3, and 2, which has the same layout)`);
  const nTensors = r.u64('the tensor count');
  const nKv = r.u64('the metadata count');
  // A key/value pair takes at least 13 bytes, a tensor entry at least 24: counts a file cannot hold are lies.
  if (nKv * 13 > size - r.pos) fail(`the header claims ${nKv} metadata entries, more than the file's ${size} bytes can hold (truncated, or a wrong count)`);
  if (nTensors * 24 > size - r.pos) fail(`the header claims ${nTensors} tensors, more than the file's ${size} bytes can hold (truncated, or a wrong count)`);

  const entries = new Map<string, GgufKV>();
  for (let i = 0; i < nKv; i++) {
    const key = r.string(`metadata key ${i}`);
    if (entries.has(key)) fail(`metadata key "${key}" appears twice`);
    const type = r.u32(`the value type of metadata "${key}"`);
    if (!isGgufType(type)) fail(`metadata "${key}" has unknown value type ${type}`);
    const value = r.value(type, `metadata "${key}"`);
    entries.set(key, { type, value: type === GGUF_TYPE.FLOAT32 ? shortestF32(value as number) : value });
  }
  const metadata = new GgufMetadata(entries, `GGUF ${path}`);
  const alignment = readAlignment(metadata, fail);

  const raw: { name: string; ne: number[]; type: GgmlType; offset: number; nbytes: number; nelements: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const name = r.string(`the name of tensor ${i}`);
    if (names.has(name)) fail(`tensor "${name}" appears twice`);
    names.add(name);
    const nDims = r.u32(`the dimension count of tensor "${name}"`);
    if (nDims < 1 || nDims > MAX_DIMS) fail(`tensor "${name}" has ${nDims} dimensions (1 to ${MAX_DIMS} allowed)`);
    const ne: number[] = [];
    for (let d = 0; d < nDims; d++) ne.push(r.u64(`dimension ${d} of tensor "${name}"`));
    const typeId = r.u32(`the type of tensor "${name}"`);
    const fmt = blockFormat(typeId, `GGUF ${path}: tensor "${name}"`);
    const offset = r.u64(`the offset of tensor "${name}"`);
    const nelements = ne.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(nelements)) fail(`tensor "${name}" has shape [${ne}], too many values`);
    if (ne[0] % fmt.blockSize !== 0) fail(`tensor "${name}" rows of ${ne[0]} values do not fill whole ${fmt.name} blocks of ${fmt.blockSize}`);
    if (offset % alignment !== 0) fail(`tensor "${name}" offset ${offset} is not a multiple of the alignment ${alignment}`);
    raw.push({ name, ne, type: typeId as GgmlType, offset, nbytes: (nelements / fmt.blockSize) * fmt.typeSize, nelements });
  }
  const dataOffset = Math.ceil(r.pos / alignment) * alignment;
  if (raw.length > 0 && dataOffset > size) fail(`truncated: the data section would start at byte ${dataOffset}, past the end of the file (${size} bytes)`);
  checkExtents(raw, size - dataOffset, fail);

  const tensors: GgufTensorInfo[] = raw.map((t) => ({
    name: t.name, ne: t.ne, shape: [...t.ne].reverse(), type: t.type,
    fileOffset: dataOffset + t.offset, nbytes: t.nbytes, nelements: t.nelements,
  }));
  const byName = new Map(tensors.map((t) => [t.name, t]));
  let closed = false;
  const readBytes = (info: GgufTensorInfo): Uint8Array => {
    if (closed) fail('read after close');
    const out = Buffer.allocUnsafe(info.nbytes);
    let got = 0;
    while (got < info.nbytes) {
      const n = readSync(fd, out, got, info.nbytes - got, info.fileOffset + got);
      if (n === 0) fail(`tensor "${info.name}" ends past the end of the file (was it truncated after opening?)`);
      got += n;
    }
    return out;
  };
  return {
    path, version, metadata, tensors, alignment, dataOffset, fileSize: size,
    tensor: (name) => byName.get(name) ?? fail(`no tensor "${name}"`),
    readBytes,
    readF32: (info) => dequantize(info.type, readBytes(info), info.nelements),
    close: () => { if (!closed) { closed = true; closeSync(fd); } },
  };
}

/** The shortest decimal that is the same f32 (1e-5 rather than 0.000009999999747378752). */
function shortestF32(x: number): number {
  if (!Number.isFinite(x)) return x;
  for (let p = 1; p < 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

function readAlignment(metadata: GgufMetadata, fail: (why: string) => never): number {
  const e = metadata.entries.get('general.alignment');
  if (!e) return GGUF_DEFAULT_ALIGNMENT;
  if (e.type !== GGUF_TYPE.UINT32) fail('metadata "general.alignment" must be a u32');
  const a = e.value as number;
  if (a === 0 || (a & (a - 1)) !== 0) fail(`general.alignment ${a} is not a power of two`);
  return a;
}

/** Every tensor must lie inside the data section, and no two may overlap. */
function checkExtents(raw: { name: string; offset: number; nbytes: number }[], dataSize: number, fail: (why: string) => never): void {
  for (const t of raw) {
    if (t.offset + t.nbytes > dataSize) {
      fail(`tensor "${t.name}" needs bytes [${t.offset}, ${t.offset + t.nbytes}) of the data section, which holds ${Math.max(0, dataSize)} (truncated, or the header lies about its offset or shape)`);
    }
  }
  const sorted = [...raw].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1], t = sorted[i];
    if (t.offset < p.offset + p.nbytes) fail(`tensors "${p.name}" and "${t.name}" overlap (offsets ${p.offset} and ${t.offset}, "${p.name}" takes ${p.nbytes} bytes)`);
  }
}
