// Finds the C headers of the Node that is running (for node-gyp's --nodedir), so the native
// build works with any install: the official tarball and nvm ship them at <prefix>/include/node,
// a build records its prefix in process.config, Debian's nodejs puts them in /usr/include/node.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The files node-gyp needs under <nodedir>/include/node. */
const NEEDED = ['node_api.h', 'common.gypi'];

/**
 * Candidate node directories, in order: the running binary's prefix (<prefix>/bin/node), the
 * prefix the binary was built with, then Debian's /usr.
 * @param {{ execPath?: string, config?: { variables?: Record<string, unknown> } }} [node]
 */
export function headerCandidates(node = process) {
  const out = [];
  if (node.execPath) out.push({ dir: dirname(dirname(node.execPath)), how: `beside ${node.execPath}` });
  const prefix = node.config?.variables?.node_prefix;
  if (typeof prefix === 'string' && prefix) out.push({ dir: prefix, how: 'process.config node_prefix' });
  out.push({ dir: '/usr', how: "Debian's /usr/include/node" });
  return out;
}

/**
 * The first candidate whose include/node holds what node-gyp needs, or null (node-gyp then
 * downloads the headers, which needs the network).
 * @param {{ execPath?: string, config?: { variables?: Record<string, unknown> } }} [node]
 * @param {(path: string) => boolean} [exists]
 * @returns {{ dir: string, how: string } | null}
 */
export function findNodeHeaders(node = process, exists = existsSync) {
  for (const c of headerCandidates(node))
    if (NEEDED.every((f) => exists(join(c.dir, 'include', 'node', f)))) return c;
  return null;
}
