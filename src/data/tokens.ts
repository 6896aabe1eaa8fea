// Token files: a tokenised corpus on disk as one flat array of ids, never held as JS strings.
// Layout: 8-byte magic "PONDTOK1", u32 bytes per id (2 or 4), u32 reserved, u64 count, then the ids
// little-endian. uint16 halves the size whenever the vocabulary fits in it.
import { readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { PonderError } from '../errors.ts';

const MAGIC = 'PONDTOK1';
const HEADER = 24;

export function writeTokenFile(path: string, ids: ArrayLike<number>, vocabSize: number): void {
  const width = vocabSize <= 65536 ? 2 : 4;
  const buf = Buffer.alloc(HEADER + ids.length * width);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(width, 8);
  buf.writeBigUInt64LE(BigInt(ids.length), 16);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!(v >= 0 && v < vocabSize)) throw new PonderError(`${path}: token id ${v} at ${i} is outside the vocabulary [0, ${vocabSize})`);
    if (width === 2) buf.writeUInt16LE(v, HEADER + 2 * i); else buf.writeUInt32LE(v, HEADER + 4 * i);
  }
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, buf);
  renameSync(tmp, path);
}

/** Reads a token file into an Int32Array (the engine's id type). */
export function readTokenFile(path: string): Int32Array {
  if (!existsSync(path)) throw new PonderError(`${path}: no such token file`);
  const buf = readFileSync(path);
  if (buf.length < HEADER || buf.toString('latin1', 0, 8) !== MAGIC) throw new PonderError(`${path}: not a ponder token file (bad magic)`);
  const width = buf.readUInt32LE(8);
  const count = Number(buf.readBigUInt64LE(16));
  if ((width !== 2 && width !== 4) || buf.length !== HEADER + count * width) {
    throw new PonderError(`${path}: truncated or corrupt (header says ${count} ids of ${width} bytes, file has ${buf.length - HEADER} data bytes)`);
  }
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = width === 2 ? buf.readUInt16LE(HEADER + 2 * i) : buf.readInt32LE(HEADER + 4 * i);
  return out;
}
