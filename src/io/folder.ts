// Folders written whole: a checkpoint or model folder is built beside its destination, then
// swapped in by renames, so a crash leaves either the old folder or the new one, never a mix.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

/** Moves the finished folder `tmp` to `dir`, replacing an older `dir` only once `tmp` is in place. */
export function swapFolderIntoPlace(tmp: string, dir: string): void {
  mkdirSync(dirname(dir), { recursive: true });
  if (!existsSync(dir)) {
    renameSync(tmp, dir);
    return;
  }
  const old = `${dir}.old-${process.pid}`;
  renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}
