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
const args = ['rebuild', '--nodedir=/usr'];
let r = spawnSync('node-gyp', args, { stdio: 'inherit', shell: false });
if (r.error) r = spawnSync('npx', ['--no-install', 'node-gyp', ...args], { stdio: 'inherit' });
if (r.status !== 0) {
  console.warn('ponder: the native kernels did not build; ponder will use the slower TypeScript backend.');
}
process.exit(0);
