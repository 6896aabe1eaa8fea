#!/usr/bin/env node
// The `ponder` command. Runs the CLI in this very process, so a signal sent to the PID the user
// started (Ctrl-C, `kill`, a service manager stopping it) reaches the CLI itself.
// The compiled CLI (dist/, built at install by scripts/build-cli.mjs) starts fast; when it is
// missing or older than a source (a checkout being edited), the TypeScript sources run instead,
// through tsx's loader registered in this process: slower to start, never stale.
import { pathToFileURL } from 'node:url';
import { DIST_MAIN, SRC_MAIN, distProblem } from '../scripts/cli-dist.mjs';

if (distProblem() === null) {
  await import(pathToFileURL(DIST_MAIN).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(SRC_MAIN).href);
}
