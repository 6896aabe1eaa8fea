// Hugging Face model folders, read and written:
//   config.json                      architecture and shape (transformers' key names)
//   model.safetensors                the weights, or shards model-0000x-of-0000y.safetensors
//   model.safetensors.index.json     with {"weight_map": {tensor name: shard file}} for shards
//   tokenizer.json, tokenizer_config.json, generation_config.json   (optional)
// Reading checks every shard's header up front (dtype, shape, byte range inside the file) but reads
// a tensor's bytes only when asked, with one positioned read of its range: nothing is held twice.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, fsyncSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PonderError } from '../errors.ts';
import type { ModelParts } from '../model/parts.ts';
import { decodeFloats, parseHeader, widenHalvesInto, writeSafetensors, type FloatDtype, type HeaderEntry, type TensorToWrite } from './safetensors.ts';
import { swapFolderIntoPlace } from './folder.ts';

const INDEX = 'model.safetensors.index.json';
const SINGLE = 'model.safetensors';

type Json = Record<string, unknown>;

/** Where a tensor's bytes lie: its shard, the shard's data start and the tensor's header entry (begin/end relative to it). */
export interface Located { file: string; dataStart: number; entry: HeaderEntry }

/** A Hugging Face folder's parts, plus where each tensor's bytes lie (for readers that map the shards). */
export interface HfParts extends ModelParts {
  /** Every shard, checked against the index. */
  files: string[];
  locate(name: string): Located;
}

/** Reads a Hugging Face folder's parts; weights are read from disk when `tensor(name)` is called. */
export function readHfFolder(dir: string): HfParts {
  if (!existsSync(dir)) throw new PonderError(`${dir}: no such folder`);
  const hfConfig = readJsonObject(join(dir, 'config.json'), true)!;
  const located = new Map<string, Located>();
  const files = weightFiles(dir);
  for (const file of files) {
    for (const l of shardEntries(file)) {
      if (located.has(l.entry.name)) throw new PonderError(`${file}: tensor "${l.entry.name}" is also in ${located.get(l.entry.name)!.file}`);
      located.set(l.entry.name, l);
    }
  }
  checkIndex(dir, located);
  const get = (name: string): Located => {
    const l = located.get(name);
    if (!l) throw new PonderError(`${dir}: no tensor "${name}"`);
    return l;
  };
  return {
    hfConfig,
    tensorNames: () => [...located.keys()],
    tensorShape: (name) => [...get(name).entry.shape],
    tensor: (name) => readTensor(get(name)),
    readInto: (name, out) => readTensorInto(get(name), out),
    dtype: dtypeSummary([...located.values()].map((l) => l.entry.dtype)),
    tokenizerJson: readJsonObject(join(dir, 'tokenizer.json'), false),
    tokenizerConfig: readJsonObject(join(dir, 'tokenizer_config.json'), false),
    generationConfig: readJsonObject(join(dir, 'generation_config.json'), false),
    source: dir,
    files,
    locate: get,
  };
}

/** The weight files: the shards the index names, or the single model.safetensors. */
function weightFiles(dir: string): string[] {
  const indexPath = join(dir, INDEX);
  if (existsSync(indexPath)) {
    const map = weightMap(indexPath);
    const files = [...new Set(Object.values(map))].sort();
    for (const f of files) if (basename(f) !== f) throw new PonderError(`${indexPath}: shard "${f}" is not a file name in the folder`);
    return files.map((f) => join(dir, f));
  }
  const single = join(dir, SINGLE);
  if (!existsSync(single)) throw new PonderError(`${dir}: no ${SINGLE} and no ${INDEX} (the weights are missing)`);
  return [single];
}

function weightMap(indexPath: string): Record<string, string> {
  const idx = readJsonObject(indexPath, true)!;
  const map = idx.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new PonderError(`${indexPath}: "weight_map" is missing or not an object`);
  for (const [k, v] of Object.entries(map)) if (typeof v !== 'string') throw new PonderError(`${indexPath}: weight_map["${k}"] is not a file name`);
  return map as Record<string, string>;
}

/** Every tensor a shard names the index must place in that shard, and the other way round. */
function checkIndex(dir: string, located: Map<string, Located>): void {
  const indexPath = join(dir, INDEX);
  if (!existsSync(indexPath)) return;
  const map = weightMap(indexPath);
  for (const [name, file] of Object.entries(map)) {
    const l = located.get(name);
    if (!l) throw new PonderError(`${indexPath}: tensor "${name}" is listed in ${file}, but that file has no such tensor`);
    if (basename(l.file) !== file) throw new PonderError(`${indexPath}: tensor "${name}" is listed in ${file}, but it is in ${basename(l.file)}`);
  }
  for (const [name, l] of located) if (!(name in map)) throw new PonderError(`${l.file}: tensor "${name}" is not listed in ${INDEX}`);
}

/** A shard's header, read with two small reads; byte ranges are checked against the file's size. */
function shardEntries(file: string): Located[] {
  if (!existsSync(file)) throw new PonderError(`safetensors ${file}: missing (named by ${INDEX})`);
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Buffer.alloc(8);
    if (size < 8 || readSync(fd, len, 0, 8, 0) !== 8) throw new PonderError(`safetensors ${file}: truncated: ${size} bytes, shorter than the 8-byte header length`);
    const n = len.readBigUInt64LE(0);
    if (n > BigInt(size - 8)) throw new PonderError(`safetensors ${file}: header length ${n} is past the end of the file (${size} bytes)`);
    const head = Buffer.alloc(8 + Number(n));
    len.copy(head);
    readFully(fd, head.subarray(8), 8, file);
    const { dataStart, entries } = parseHeader(head, size, file);
    for (const e of entries) {
      if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16') throw new PonderError(`safetensors ${file}: tensor "${e.name}" holds ${e.dtype}, not weights`);
    }
    return entries.map((entry) => ({ file, dataStart, entry }));
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, into: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new PonderError(`safetensors ${file}: truncated while reading bytes ${position}..${position + into.length}`);
    done += n;
  }
}

function readTensor(l: Located): Float32Array {
  const { file, dataStart, entry } = l;
  const bytes = new Uint8Array(entry.end - entry.begin);
  const fd = openSync(file, 'r');
  try {
    readFully(fd, bytes, dataStart + entry.begin, file);
  } finally {
    closeSync(fd);
  }
  const count = entry.shape.reduce((a, b) => a * b, 1);
  return decodeFloats(bytes, entry.dtype as FloatDtype, count);
}

const CHUNK = 1 << 22; // 4 MiB of 16-bit values at a time: no buffer the size of a tensor

/** A tensor decoded straight into `out`: f32 bytes land in out itself, f16/bf16 pass through a small chunk. */
function readTensorInto(l: Located, out: Float32Array): void {
  const { file, dataStart, entry } = l;
  const count = entry.shape.reduce((a, b) => a * b, 1);
  if (out.length !== count) throw new PonderError(`safetensors ${file}: tensor "${entry.name}" has ${count} values, the model expects ${out.length}`);
  const fd = openSync(file, 'r');
  try {
    const start = dataStart + entry.begin;
    if (entry.dtype === 'F32') { readFully(fd, new Uint8Array(out.buffer, out.byteOffset, out.byteLength), start, file); return; }
    const chunk = new Uint8Array(Math.min(CHUNK, entry.end - entry.begin));
    for (let done = 0; done < entry.end - entry.begin; done += chunk.length) {
      const part = chunk.subarray(0, Math.min(chunk.length, entry.end - entry.begin - done));
      readFully(fd, part, start + done, file);
      widenHalvesInto(part, entry.dtype as 'F16' | 'BF16', out, done >> 1);
    }
  } finally {
    closeSync(fd);
  }
}

function dtypeSummary(dtypes: string[]): string {
  const set = [...new Set(dtypes.map((d) => d.toLowerCase()))].sort();
  return set.length === 0 ? 'none' : set.join('+');
}

/** A JSON object from a file; a missing optional file is undefined, anything malformed an error naming it. */
function readJsonObject(path: string, required: boolean): Json | undefined {
  if (!existsSync(path)) {
    if (required) throw new PonderError(`${path}: missing`);
    return undefined;
  }
  let v: unknown;
  try { v = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new PonderError(`${path}: not valid JSON (${(e as Error).message})`); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PonderError(`${path}: expected a JSON object`);
  return v as Json;
}

/** What writeHfFolder writes. */
export interface HfFolderContents {
  /** config.json (torch_dtype is set from the dtype written). */
  hfConfig: Json;
  /** Weights by Hugging Face name, float32 in memory. */
  tensors: [string, { shape: number[]; data: Float32Array }][];
  tokenizerJson?: unknown;
  tokenizerConfig?: Json;
  generationConfig?: Json;
}

export type HfDtype = 'f32' | 'f16' | 'bf16';
const TORCH_DTYPE: Record<HfDtype, string> = { f32: 'float32', f16: 'float16', bf16: 'bfloat16' };
const ST_DTYPE: Record<HfDtype, FloatDtype> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };

/**
 * Writes a Hugging Face folder (one model.safetensors) atomically: into a temporary folder beside
 * `dir`, renamed into place only when complete, replacing an older folder at the same path.
 */
export function writeHfFolder(dir: string, contents: HfFolderContents, dtype: HfDtype = 'f32'): void {
  if (!(dtype in ST_DTYPE)) throw new PonderError(`unknown dtype "${dtype}" (expected f32, f16 or bf16)`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const weights: Record<string, TensorToWrite> = {};
    for (const [name, t] of contents.tensors) weights[name] = { shape: t.shape, data: t.data, dtype: ST_DTYPE[dtype] };
    writeSafetensors(join(tmp, SINGLE), weights, { format: 'pt' });
    writeJson(join(tmp, 'config.json'), { ...contents.hfConfig, torch_dtype: TORCH_DTYPE[dtype] });
    if (contents.tokenizerJson !== undefined) writeJson(join(tmp, 'tokenizer.json'), contents.tokenizerJson);
    if (contents.tokenizerConfig) writeJson(join(tmp, 'tokenizer_config.json'), contents.tokenizerConfig);
    if (contents.generationConfig) writeJson(join(tmp, 'generation_config.json'), contents.generationConfig);
    swapFolderIntoPlace(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (e instanceof PonderError) throw e;
    throw new PonderError(`${dir}: cannot write the Hugging Face folder (${(e as Error).message})`);
  }
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
  const fd = openSync(path, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}
