// Builds the native kernels (native/, binding.gyp) with npm's bundled node-gyp.
// A failed build never fails `npm install`: ponder then runs on the TypeScript backend and says so once.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (process.env.PONDER_SKIP_NATIVE === '1') {
  console.warn('ponder: PONDER_SKIP_NATIVE=1, native kernels not built');
  process.exit(0);
}
if (!existsSync('binding.gyp')) process.exit(0);
// npm puts its node-gyp on PATH for lifecycle scripts; outside npm fall back to npx.
// Install does a clean rebuild. `npm run build:native` (--force) builds incrementally instead:
// configure, then make, so a compile error leaves the last working addon in place for the
// other processes using it (a rebuild deletes it first).
function gyp(args) {
  let r = spawnSync('node-gyp', [...args, '--nodedir=/usr'], { stdio: 'inherit', shell: false });
  if (r.error) r = spawnSync('npx', ['--no-install', 'node-gyp', ...args, '--nodedir=/usr'], { stdio: 'inherit' });
  return r;
}
let r;
if (process.argv.includes('--force')) {
  r = gyp(['configure']);
  if (r.status === 0) r = gyp(['build']);
} else {
  r = gyp(['rebuild']);
}
if (r.status !== 0) {
  console.warn('ponder: the native kernels did not build; ponder will use the slower TypeScript backend.');
}
process.exit(0);
