// Server test helpers: a small random-weight checkpoint (with a trained tokenizer) made once
// per process in a temp folder, temp data folders, and a server started on 127.0.0.1:0.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig } from '../../src/model/config.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { trainBpe } from '../../src/tokenizer/index.ts';
import { openDatabase } from '../../src/store/db.ts';
import { loadModel } from '../../src/cli/shared.ts';
import { Engine, type EngineOptions } from '../../src/infer/engine.ts';
import { LocalBackend } from '../../src/server/local.ts';
import { startServer, type PonderServer, type ServerOptions } from '../../src/server/app.ts';
import { createLogger } from '../../src/server/log.ts';

export function tempDir(t: TestContext, prefix = 'ponder-server-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const checkpoints = new Map<string, string>();

const CONFIGS = {
  // Fast: a test's requests take milliseconds.
  tiny: { vocab_size: 320, d_model: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 64, max_seq_len: 256 },
  // Slow enough (about a millisecond a token, 2048 positions) that a client can leave mid-generation.
  slow: { vocab_size: 320, d_model: 192, n_layers: 6, n_heads: 6, n_kv_heads: 6, d_ff: 512, max_seq_len: 2048 },
};

/** A checkpoint folder named tiny-ponder with random weights and a BPE tokenizer (vocab 320), made once per kind. */
export function testCheckpoint(kind: keyof typeof CONFIGS = 'tiny'): string {
  const have = checkpoints.get(kind);
  if (have) return have;
  const root = mkdtempSync(join(tmpdir(), 'ponder-ckpt-'));
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  const corpus = readFileSync(fileURLToPath(new URL('../fixtures/tokenizer-corpus.txt', import.meta.url)), 'utf8').split('\n');
  const tok = trainBpe(corpus, 320);
  const dir = join(root, 'tiny-ponder');
  saveCheckpoint(dir, new Transformer(validateConfig(CONFIGS[kind]), 11), { tokenizer: tok });
  checkpoints.set(kind, dir);
  return dir;
}

export const MODEL_ID = 'tiny-ponder';

export interface Started extends PonderServer { dataDir: string; backend: LocalBackend; logLines: string[] }

/** A local-model server on 127.0.0.1 with an ephemeral port; closed after the test. */
export async function startTestServer(t: TestContext, opts: Partial<ServerOptions> & { dataDir?: string; engine?: EngineOptions; checkpoint?: 'tiny' | 'slow' } = {}): Promise<Started> {
  const dataDir = opts.dataDir ?? tempDir(t);
  const loaded = loadModel(testCheckpoint(opts.checkpoint));
  const backend = new LocalBackend(new Engine(loaded.model, opts.engine), loaded.tokenizer, { modelId: MODEL_ID, defaultMaxTokens: 40 });
  const db = opts.db ?? openDatabase({ dataDir });
  const logLines: string[] = [];
  const log = createLogger({ destination: { write: (l: string) => { logLines.push(l); } } });
  const srv = await startServer({ backend, db, host: '127.0.0.1', port: 0, log, ...opts });
  t.after(async () => { await srv.close(); db.close(); });
  return { ...srv, dataDir, backend: opts.backend as LocalBackend ?? backend, logLines };
}
