// Atomic file writes: write a temp file beside the target, fsync, rename over it. A reader sees
// the old file or the new one, never half of one.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { PonderError } from '../errors.ts';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx');
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* never created, or already renamed */ }
    throw new PonderError(`cannot write '${path}': ${(e as Error).message}`);
  }
}
