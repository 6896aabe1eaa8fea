// safetensors: the weight file format of Hugging Face, read and written without dependencies.
//
// Layout: u64 little-endian N, then N bytes of JSON header, then the data buffer.
// Header: { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { key: string } };
// offsets are relative to the start of the data buffer. We write F32 (weights) and I32 (ids);
// we read F32, F16 and BF16 as Float32Array and I32, I64 as Int32Array.
// The header is padded with spaces so the data starts 8-byte aligned (as the reference writer does).
import { closeSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { dirname } from 'node:path';
import { PonderError } from '../errors.ts';
import { writeFileAtomicWith } from '../store/atomic.ts';

export type FloatDtype = 'F32' | 'F16' | 'BF16';
export type IntDtype = 'I32' | 'I64';

/** A float tensor as read: data is always F32 here; dtype says what the file held. */
export interface FloatTensor { kind: 'float'; dtype: FloatDtype; shape: number[]; data: Float32Array }
/** An integer tensor (token ids) as read: I64 values must fit in 32 bits. */
export interface IntTensor { kind: 'int'; dtype: IntDtype; shape: number[]; data: Int32Array }
export type StoredTensor = FloatTensor | IntTensor;

/**
 * What writeSafetensors takes: Float32Array is stored as F32 (or, with dtype, rounded to F16/BF16
 * to nearest-even), Int32Array as I32.
 */
export interface TensorToWrite { shape: number[]; data: Float32Array | Int32Array; dtype?: FloatDtype }

export interface Safetensors { path: string; tensors: Record<string, StoredTensor>; metadata: Record<string, string> }

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 };
// Dtypes the format defines that we do not read: named in the error so the user knows why.
const KNOWN_UNSUPPORTED = new Set(['F64', 'F8_E4M3', 'F8_E5M2', 'I8', 'I16', 'U8', 'U16', 'U32', 'U64', 'BOOL']);
const MAX_HEADER = 100 * 1024 * 1024; // the reference implementation's limit

if (endianness() !== 'LE') throw new Error('safetensors I/O assumes a little-endian host');

function numel(shape: number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

function validShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((s) => Number.isSafeInteger(s) && s >= 0);
}

/** Writes tensors (and string metadata) to path atomically: temp file, fsync, rename. */
export function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): void {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new PonderError(`safetensors ${path}: metadata value for "${k}" is not a string`);
    }
    header.__metadata__ = metadata;
  }
  const names = Object.keys(tensors);
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new PonderError(`safetensors ${path}: "__metadata__" is reserved, not a tensor name`);
    const { shape, data } = tensors[name];
    if (!validShape(shape)) throw new PonderError(`safetensors ${path}: tensor "${name}" has a bad shape ${JSON.stringify(shape)}`);
    let dtype: string;
    if (data instanceof Float32Array) dtype = tensors[name].dtype ?? 'F32';
    else if (data instanceof Int32Array) dtype = 'I32';
    else throw new PonderError(`safetensors ${path}: tensor "${name}" must be a Float32Array or Int32Array`);
    if (numel(shape) !== data.length) {
      throw new PonderError(`safetensors ${path}: tensor "${name}" has shape [${shape}] (${numel(shape)} values) but ${data.length} values`);
    }
    if (!(dtype in BYTES) || (dtype !== 'I32' && data instanceof Int32Array)) throw new PonderError(`safetensors ${path}: tensor "${name}" cannot be written as ${dtype}`);
    const bytes = data.length * BYTES[dtype];
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let hbytes = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - ((8 + hbytes.length) % 8)) % 8;
  if (pad > 0) hbytes = Buffer.concat([hbytes, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hbytes.length));

  try {
    writeFileAtomicWith(path, (write) => {
      write(len);
      write(hbytes);
      for (const name of names) {
        const { data: d, dtype } = tensors[name];
        if (dtype === 'F16' || dtype === 'BF16') write(encodeHalves(d as Float32Array, dtype));
        else write(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      }
    });
  } catch (e) {
    if (e instanceof PonderError) throw e;
    throw new PonderError(`safetensors ${path}: cannot write (${(e as Error).message})`);
  }
  // Make the rename itself durable; some filesystems refuse fsync on a directory, which is fine.
  try {
    const dfd = openSync(dirname(path), 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* best effort */ }
}

/** float32 values rounded to nearest-even 16-bit floats (F16 or BF16), as little-endian bytes. */
export function encodeHalves(x: Float32Array, dtype: 'F16' | 'BF16'): Uint8Array {
  const out = new Uint16Array(x.length);
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  if (dtype === 'BF16') {
    for (let i = 0; i < x.length; i++) {
      const b = bits[i];
      // NaN stays NaN (keep a mantissa bit); others round the low 16 bits to nearest-even.
      out[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  } else {
    for (let i = 0; i < x.length; i++) out[i] = floatToHalf(bits[i]);
  }
  return new Uint8Array(out.buffer);
}

/** IEEE binary32 bits to binary16 bits, rounding to nearest-even (overflow to infinity). */
export function floatToHalf(f: number): number {
  const sign = (f >>> 16) & 0x8000, exp = (f >>> 23) & 0xff, mant = f & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: zero
    const m = mant | 0x800000, shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1), halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++; // a carry into the exponent is right
  return sign | h;
}

/** Reads a safetensors file; any inconsistency is a PonderError naming the file and the fault. */
export function readSafetensors(path: string): Safetensors {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new PonderError(`safetensors ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseSafetensors(buf, path);
}

/** One tensor's entry in a header: dtype, shape and its byte range within the data buffer. */
export interface HeaderEntry { name: string; dtype: string; shape: number[]; begin: number; end: number }

/** A parsed, checked header: where the data buffer starts in the file, and every tensor's entry. */
export interface SafetensorsHeader { dataStart: number; entries: HeaderEntry[]; metadata: Record<string, string> }

/**
 * Checks the first bytes of a file of `fileSize` bytes (at least the 8-byte length and the header;
 * more is ignored) and returns its header: every tensor's dtype is one ponder reads, its byte range
 * matches its shape, lies inside the file and overlaps no other.
 */
export function parseHeader(head: Uint8Array, fileSize: number, path = '<buffer>'): SafetensorsHeader {
  const fail: (what: string) => never = (what) => { throw new PonderError(`safetensors ${path}: ${what}`); };
  if (fileSize < 8 || head.length < 8) fail(`truncated: ${fileSize} bytes, shorter than the 8-byte header length`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(fileSize - 8)) fail(`header length ${n64} is past the end of the file (${fileSize} bytes)`);
  const n = Number(n64);
  if (n > MAX_HEADER) fail(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  if (n < 2) fail(`header length ${n} is too small for a JSON object`);
  if (head.length < 8 + n) fail(`only ${head.length} bytes given for a ${n}-byte header`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const raw = header as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  const meta = raw.__metadata__;
  if (meta !== undefined && meta !== null) {
    if (typeof meta !== 'object' || Array.isArray(meta)) fail('__metadata__ is not an object');
    for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`__metadata__ value for "${k}" is not a string`);
      metadata[k] = v as string;
    }
  }

  const dataStart = 8 + n;
  const dataLen = fileSize - dataStart;
  const entries: HeaderEntry[] = [];
  for (const [name, e] of Object.entries(raw)) {
    if (name === '__metadata__') continue;
    if (typeof e !== 'object' || e === null) fail(`tensor "${name}" entry is not an object`);
    const { dtype, shape, data_offsets: offs } = e as Record<string, unknown>;
    if (typeof dtype !== 'string') fail(`tensor "${name}" has no dtype`);
    const dt = dtype as string;
    if (!(dt in BYTES)) {
      fail(KNOWN_UNSUPPORTED.has(dt) ? `tensor "${name}" has dtype ${dt}, which ponder does not read` : `tensor "${name}" has unknown dtype ${JSON.stringify(dt)}`);
    }
    if (!validShape(shape)) fail(`tensor "${name}" has a bad shape ${JSON.stringify(shape)}`);
    const sh = shape as number[];
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor "${name}" has bad data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (begin > end) fail(`tensor "${name}" has data_offsets [${begin}, ${end}] that end before they begin`);
    if (end > dataLen) fail(`tensor "${name}" data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes; file truncated?)`);
    const want = numel(sh) * BYTES[dt];
    if (end - begin !== want) {
      fail(`tensor "${name}" of dtype ${dt} and shape [${sh}] needs ${want} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push({ name, dtype: dt, shape: sh, begin, end });
  }

  // Overlap: sorted by start, each tensor must begin at or after the previous one's end.
  const spans = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    const p = spans[i - 1], s = spans[i];
    if (s.begin < p.end) fail(`tensors "${p.name}" [${p.begin}, ${p.end}] and "${s.name}" [${s.begin}, ${s.end}] overlap`);
  }
  return { dataStart, entries, metadata };
}

/** Parses the bytes of a safetensors file (path only names it in errors). */
export function parseSafetensors(buf: Uint8Array, path = '<buffer>'): Safetensors {
  const fail: (what: string) => never = (what) => { throw new PonderError(`safetensors ${path}: ${what}`); };
  const { dataStart, entries, metadata } = parseHeader(buf, buf.length, path);
  const tensors: Record<string, StoredTensor> = {};
  for (const e of entries) tensors[e.name] = decode(buf.subarray(dataStart + e.begin, dataStart + e.end), e.dtype, e.shape, e.name, fail);
  return { path, tensors, metadata };
}

/** Float tensor bytes as stored (F32, F16 or BF16) to float32 values. */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype, count: number): Float32Array {
  const fail = (w: string): never => { throw new PonderError(w); };
  return decode(bytes, dtype, [count], '', fail).data as Float32Array;
}

function decode(bytes: Uint8Array, dtype: string, shape: number[], name: string, fail: (w: string) => never): StoredTensor {
  const count = numel(shape);
  // Copy first: the file buffer may not be aligned for typed views, and we must not alias it.
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  switch (dtype) {
    case 'F32':
      return { kind: 'float', dtype, shape, data: new Float32Array(copy.buffer, 0, count) };
    case 'F16': {
      const h = new Uint16Array(copy.buffer, 0, count);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(h[i]);
      return { kind: 'float', dtype, shape, data: out };
    }
    case 'BF16': {
      // bfloat16 is the top half of an f32: shift into place.
      const h = new Uint16Array(copy.buffer, 0, count);
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = h[i] << 16;
      return { kind: 'float', dtype, shape, data: new Float32Array(bits.buffer) };
    }
    case 'I32':
      return { kind: 'int', dtype, shape, data: new Int32Array(copy.buffer, 0, count) };
    case 'I64': {
      const w = new BigInt64Array(copy.buffer, 0, count);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = w[i];
        if (v < -2147483648n || v > 2147483647n) fail(`tensor "${name}" (I64) holds ${v} at index ${i}, outside the 32-bit range ponder uses for ids`);
        out[i] = Number(v);
      }
      return { kind: 'int', dtype, shape, data: out };
    }
  }
  return fail(`tensor "${name}" has unknown dtype ${dtype}`);
}

let halfTable: Float32Array | null = null;

/**
 * 16-bit floats (F16 or BF16; `bytes` 2-aligned, little-endian) widened into out[at..]: a shift for
 * bf16 (the top half of an f32), a 65536-entry table for f16.
 */
export function widenHalvesInto(bytes: Uint8Array, dtype: 'F16' | 'BF16', out: Float32Array, at: number): void {
  const n = bytes.length >> 1, h = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer, out.byteOffset + at * 4, n);
    for (let i = 0; i < n; i++) bits[i] = h[i] << 16;
    return;
  }
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) halfTable[i] = halfToFloat(i);
  }
  const t = halfTable;
  for (let i = 0; i < n; i++) out[at + i] = t[h[i]];
}

const pow2 = (e: number) => Math.pow(2, e);

/** IEEE 754 binary16 bits to a number (exact: every half is representable in f32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * pow2(-24); // zero and subnormals
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * pow2(exp - 15);
}

/** The named float tensor, or a PonderError saying it is missing or holds integers. */
export function floatTensor(st: Safetensors, name: string): FloatTensor {
  const t = st.tensors[name];
  if (!t) throw new PonderError(`safetensors ${st.path}: no tensor "${name}"`);
  if (t.kind !== 'float') throw new PonderError(`safetensors ${st.path}: tensor "${name}" holds integers (${t.dtype}), expected floats`);
  return t;
}

/** The named integer tensor, or a PonderError saying it is missing or holds floats. */
export function intTensor(st: Safetensors, name: string): IntTensor {
  const t = st.tensors[name];
  if (!t) throw new PonderError(`safetensors ${st.path}: no tensor "${name}"`);
  if (t.kind !== 'int') throw new PonderError(`safetensors ${st.path}: tensor "${name}" holds floats (${t.dtype}), expected integers`);
  return t;
}
