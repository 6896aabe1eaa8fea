// safetensors: the weight file format of Hugging Face, read and written without dependencies.
//
// Layout: u64 little-endian N, then N bytes of JSON header, then the data buffer.
// Header: { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { key: string } };
// offsets are relative to the start of the data buffer. We write F32 (weights) and I32 (ids);
// we read F32, F16 and BF16 as Float32Array and I32, I64 as Int32Array.
// The header is padded with spaces so the data starts 8-byte aligned (as the reference writer does).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { dirname, basename, join } from 'node:path';
import { PonderError } from '../errors.ts';

export type FloatDtype = 'F32' | 'F16' | 'BF16';
export type IntDtype = 'I32' | 'I64';

/** A float tensor as read: data is always F32 here; dtype says what the file held. */
export interface FloatTensor { kind: 'float'; dtype: FloatDtype; shape: number[]; data: Float32Array }
/** An integer tensor (token ids) as read: I64 values must fit in 32 bits. */
export interface IntTensor { kind: 'int'; dtype: IntDtype; shape: number[]; data: Int32Array }
export type StoredTensor = FloatTensor | IntTensor;

/** What writeSafetensors takes: Float32Array is stored as F32, Int32Array as I32. */
export interface TensorToWrite { shape: number[]; data: Float32Array | Int32Array }

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
    if (data instanceof Float32Array) dtype = 'F32';
    else if (data instanceof Int32Array) dtype = 'I32';
    else throw new PonderError(`safetensors ${path}: tensor "${name}" must be a Float32Array or Int32Array`);
    if (numel(shape) !== data.length) {
      throw new PonderError(`safetensors ${path}: tensor "${name}" has shape [${shape}] (${numel(shape)} values) but ${data.length} values`);
    }
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let hbytes = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - ((8 + hbytes.length) % 8)) % 8;
  if (pad > 0) hbytes = Buffer.concat([hbytes, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hbytes.length));

  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    writeAll(fd, len);
    writeAll(fd, hbytes);
    for (const name of names) {
      const d = tensors[name].data;
      writeAll(fd, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    if (e instanceof PonderError) throw e;
    throw new PonderError(`safetensors ${path}: cannot write (${(e as Error).message})`);
  }
  // Make the rename itself durable; some filesystems refuse fsync on a directory, which is fine.
  try {
    const dfd = openSync(dirname(path), 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* best effort */ }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
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

/** Parses the bytes of a safetensors file (path only names it in errors). */
export function parseSafetensors(buf: Uint8Array, path = '<buffer>'): Safetensors {
  const fail: (what: string) => never = (what) => { throw new PonderError(`safetensors ${path}: ${what}`); };
  if (buf.length < 8) fail(`truncated: ${buf.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(buf.length - 8)) fail(`header length ${n64} is past the end of the file (${buf.length} bytes)`);
  const n = Number(n64);
  if (n > MAX_HEADER) fail(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  if (n < 2) fail(`header length ${n} is too small for a JSON object`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const entries = header as Record<string, unknown>;

  const metadata: Record<string, string> = {};
  const meta = entries.__metadata__;
  if (meta !== undefined && meta !== null) {
    if (typeof meta !== 'object' || Array.isArray(meta)) fail('__metadata__ is not an object');
    for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`__metadata__ value for "${k}" is not a string`);
      metadata[k] = v as string;
    }
  }

  const dataStart = 8 + n;
  const dataLen = buf.length - dataStart;
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors: Record<string, StoredTensor> = {};
  for (const [name, raw] of Object.entries(entries)) {
    if (name === '__metadata__') continue;
    if (typeof raw !== 'object' || raw === null) fail(`tensor "${name}" entry is not an object`);
    const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
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
    spans.push({ name, begin, end });
    tensors[name] = decode(buf.subarray(dataStart + begin, dataStart + end), dt, sh, name, fail);
  }

  // Overlap: sorted by start, each tensor must begin at or after the previous one's end.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    const p = spans[i - 1], s = spans[i];
    if (s.begin < p.end) fail(`tensors "${p.name}" [${p.begin}, ${p.end}] and "${s.name}" [${s.begin}, ${s.end}] overlap`);
  }
  return { path, tensors, metadata };
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
