// Types of scripts/node-headers.mjs (a plain build script, imported by its tests).
export interface NodeInstall { execPath?: string; config?: { variables?: Record<string, unknown> } }
export interface HeaderDir { dir: string; how: string }
export function headerCandidates(node?: NodeInstall): HeaderDir[];
export function findNodeHeaders(node?: NodeInstall, exists?: (path: string) => boolean): HeaderDir | null;
