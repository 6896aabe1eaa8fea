// Where the compiled CLI lives and whether it is current. Shared by bin/ponder.js (which runs
// dist/ only when it is current) and scripts/build-cli.mjs (which rebuilds only when it is not).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SRC = join(ROOT, 'src');
export const DIST = join(ROOT, 'dist');
export const DIST_MAIN = join(DIST, 'cli', 'main.js');
export const SRC_MAIN = join(SRC, 'cli', 'main.ts');
/** Written last by the build: the time (ms) the build started reading the sources. */
export const STAMP = join(DIST, 'BUILT');

/** Newest modification time (ms) of any .ts file under dir (0 when there is none). */
export function newestSource(dir = SRC) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Why root/dist/ cannot be run as it is, or null when it is current. A source newer than the build
 * (a checkout being edited) makes it stale; an installed package without src/ trusts its dist/.
 */
export function distProblem(root = ROOT) {
  const src = join(root, 'src'), dist = join(root, 'dist'), stamp = join(dist, 'BUILT');
  if (!existsSync(join(dist, 'cli', 'main.js')) || !existsSync(stamp)) return 'the CLI is not compiled (dist/ is missing)';
  if (!existsSync(src)) return null;
  const built = Number(readFileSync(stamp, 'utf8'));
  if (!Number.isFinite(built) || newestSource(src) > built) return 'a source file is newer than dist/';
  return null;
}
