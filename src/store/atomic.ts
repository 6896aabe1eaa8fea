// Atomic file writes: write a temp file beside the target, fsync, rename over it. A reader sees
// the old file or the new one, never half of one.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { PonderError } from '../errors.ts';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  try {
    writeFileAtomicWith(path, (write) => write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data));
  } catch (e) {
    throw new PonderError(`cannot write '${path}': ${(e as Error).message}`);
  }
}

// The temp name is unique by process, time and a counter (no node:crypto: loading it costs a model
// server ~1 MiB of resident memory for one random number); a stale temp file left by a crash under
// the same name fails the exclusive open and is reported, never overwritten.
let written = 0;

/**
 * Streams a file into place atomically: `fill` writes the contents piece by piece through `write`.
 * On any error the temp file is removed and the original error rethrown, so callers word it.
 */
export function writeFileAtomicWith(path: string, fill: (write: (bytes: Uint8Array) => void) => void): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}-${++written}`;
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx');
    const out = fd;
    fill((bytes) => {
      let off = 0;
      while (off < bytes.length) off += writeSync(out, bytes, off, bytes.length - off);
    });
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try { unlinkSync(tmp); } catch { /* never created, or already renamed */ }
    throw e;
  }
}
