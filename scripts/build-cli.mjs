// Compiles the CLI (src/ -> dist/, tsconfig.build.json) so that `ponder` runs plain JavaScript in
// one process. Run by `npm install` / `npm ci` after the native build, and by `npm start`.
// Skips the work when dist/ is current (--force rebuilds anyway). Type errors do not stop the
// build (--noCheck: `npm run typecheck` is the type gate); a failed build never fails the install:
// bin/ponder.js then runs the sources in-process through tsx, and says nothing (it is correct).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, ROOT, STAMP, distProblem } from './cli-dist.mjs';

const problem = distProblem();
if (!problem && !process.argv.includes('--force')) process.exit(0);

let tsc;
try {
  tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  console.warn('ponder: typescript is not installed, the CLI is not compiled; `ponder` will run the sources through tsx (slower to start).');
  process.exit(0);
}

// Into a fresh folder, then swapped in, so a running `ponder` never sees half a build.
const started = Date.now();
const tmp = `${DIST}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--noCheck', '--outDir', tmp],
  { stdio: 'inherit', cwd: ROOT });
if (r.status !== 0 || !existsSync(join(tmp, 'cli', 'main.js'))) {
  rmSync(tmp, { recursive: true, force: true });
  console.warn('ponder: compiling the CLI failed (above); `ponder` will run the sources through tsx (slower to start).');
  process.exit(0);
}
await writeManifest(join(tmp, 'cli'));
writeFileSync(join(tmp, 'BUILT'), String(started));
rmSync(DIST, { recursive: true, force: true });
renameSync(tmp, DIST);
if (!existsSync(STAMP)) throw new Error(`build-cli: ${STAMP} missing after the swap`);

/**
 * cli/commands.json: each command's name, summary and file, so that `ponder --help` lists them
 * without importing every command (and everything they import). Without it (a command that fails
 * to import) main.js imports them all, and says what failed.
 */
async function writeManifest(cliDir) {
  const dir = join(cliDir, 'commands');
  try {
    const files = readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
    const listed = [];
    for (const file of files) {
      const { command } = await import(pathToFileURL(join(dir, file)).href);
      if (command) listed.push({ name: command.name, summary: command.summary, file });
    }
    writeFileSync(join(cliDir, 'commands.json'), JSON.stringify(listed, null, 1));
  } catch (e) {
    console.warn(`ponder: no command list for the compiled CLI (${e instanceof Error ? e.message : e}); \`ponder --help\` will import every command`);
  }
}
