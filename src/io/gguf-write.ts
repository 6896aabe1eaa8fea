// Writing GGUF version 3 files atomically (temporary file, fsync, rename): metadata in the order
// given, then the tensor table, then each tensor's bytes at an offset aligned to general.alignment.
// Tensor data is asked for one tensor at a time, so a large model need not sit in memory twice.
import { PonderError } from '../errors.ts';
import { writeFileAtomicWith } from '../store/atomic.ts';
import { blockFormat, rowBytes } from '../quant/blocks.ts';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC } from './gguf.ts';
import { ByteSink, encodeValue, GGUF_TYPE, type GgufKV } from './gguf-values.ts';

export interface GgufTensorToWrite {
  name: string;
  /** Row-major shape (outermost first); the file stores it reversed, as ggml's ne. */
  shape: number[];
  /** GGML type id (GGML_TYPE.F32, .Q8_0, ...). */
  type: number;
  /** The encoded bytes, or a function that makes them when the writer reaches this tensor. */
  data: Uint8Array | (() => Uint8Array);
}

export interface GgufToWrite {
  /** Metadata in file order. general.alignment, when given, must be a u32 power of two. */
  metadata: [string, GgufKV][];
  tensors: GgufTensorToWrite[];
}

export function writeGguf(path: string, file: GgufToWrite): void {
  const fail = (why: string): never => { throw new PonderError(`GGUF ${path}: ${why}`); };
  const alignment = alignmentOf(file.metadata, fail);
  const head = new ByteSink();
  const u32 = (v: number) => head.u32(v), u64 = (v: number) => head.u64(v);
  u32(GGUF_MAGIC); u32(3); u64(file.tensors.length); u64(file.metadata.length);
  const keys = new Set<string>();
  for (const [key, value] of file.metadata) {
    if (keys.has(key)) fail(`metadata key "${key}" given twice`);
    keys.add(key);
    encodeValue(GGUF_TYPE.STRING, key, head, `GGUF ${path}: key`);
    u32(value.type);
    encodeValue(value.type, value.value, head, `GGUF ${path}: metadata "${key}"`);
  }
  const names = new Set<string>();
  let offset = 0;
  const sizes: number[] = [];
  for (const t of file.tensors) {
    if (names.has(t.name)) fail(`tensor "${t.name}" given twice`);
    names.add(t.name);
    if (t.shape.length < 1 || t.shape.length > 4 || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${t.name}" has a bad shape [${t.shape}]`);
    const ne = [...t.shape].reverse();
    const nbytes = rowBytes(t.type, ne[0], `GGUF ${path}: tensor "${t.name}"`) * ne.slice(1).reduce((a, b) => a * b, 1);
    encodeValue(GGUF_TYPE.STRING, t.name, head, `GGUF ${path}: tensor name`);
    u32(ne.length);
    for (const d of ne) u64(d);
    u32(t.type);
    u64(offset);
    sizes.push(nbytes);
    offset = Math.ceil((offset + nbytes) / alignment) * alignment;
  }
  const pad = Math.ceil(head.length / alignment) * alignment - head.length;
  const header = Buffer.concat([head.bytes(), Buffer.alloc(pad)]);

  try {
    writeFileAtomicWith(path, (write) => {
      write(header);
      file.tensors.forEach((t, i) => {
        const bytes = typeof t.data === 'function' ? t.data() : t.data;
        if (bytes.length !== sizes[i]) fail(`tensor "${t.name}" (${blockFormat(t.type).name}, shape [${t.shape}]) needs ${sizes[i]} bytes, got ${bytes.length}`);
        write(bytes);
        const gap = Math.ceil(sizes[i] / alignment) * alignment - sizes[i];
        if (gap > 0) write(new Uint8Array(gap));
      });
    });
  } catch (e) {
    if (e instanceof PonderError) throw e;
    fail(`cannot write (${(e as Error).message})`);
  }
}

function alignmentOf(metadata: [string, GgufKV][], fail: (why: string) => never): number {
  const e = metadata.find(([k]) => k === 'general.alignment')?.[1];
  if (!e) return GGUF_DEFAULT_ALIGNMENT;
  const a = e.value;
  if (e.type !== GGUF_TYPE.UINT32 || typeof a !== 'number' || a === 0 || (a & (a - 1)) !== 0) fail('general.alignment must be a u32 power of two');
  return a as number;
}
