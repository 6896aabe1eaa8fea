// Builds the native kernels (native/, binding.gyp) with npm's bundled node-gyp, against the
// headers of the Node that runs this script (scripts/node-headers.mjs).
// A failed build never fails `npm install`: ponder then runs on the TypeScript backend and says
// why once (src/backend/native/index.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findNodeHeaders } from './node-headers.mjs';

if (process.env.PONDER_SKIP_NATIVE === '1') {
  console.warn('ponder: PONDER_SKIP_NATIVE=1, native kernels not built');
  process.exit(0);
}
if (!existsSync('binding.gyp')) process.exit(0);

const headers = findNodeHeaders();
if (!headers) console.warn(`ponder: no C headers found for ${process.execPath} (${process.version}); node-gyp will try to download them`);
const nodedir = headers ? [`--nodedir=${headers.dir}`] : [];

// npm puts its node-gyp on PATH for lifecycle scripts; outside npm fall back to npx.
// Install does a clean rebuild. `npm run build:native` (--force) builds incrementally instead:
// configure, then make, so a compile error leaves the last working addon in place for the
// other processes using it (a rebuild deletes it first).
function gyp(args) {
  let r = spawnSync('node-gyp', [...args, ...nodedir], { stdio: 'inherit', shell: false });
  if (r.error) r = spawnSync('npx', ['--no-install', 'node-gyp', ...args, ...nodedir], { stdio: 'inherit' });
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
  console.warn('ponder: the native kernels did not build (above); ponder will use the TypeScript backend, 50-100x slower. ' +
    `It needs gcc with OpenMP, make, python3 and Node's headers (${headers ? `found in ${headers.dir}/include/node` : 'not found: use an official Node build or nvm, or install your distribution\'s Node headers'}); then run \`npm run build:native\`.`);
}
process.exit(0);
