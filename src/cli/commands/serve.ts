// `ponder serve`: the OpenAI/DeepSeek-compatible API server on the local model or an upstream.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PonderError } from '../../errors.ts';
import { defaultDataDir, openDatabase, type DB } from '../../store/db.ts';
import { SEARCH_DB_FILE, SearxngProvider } from '../../search/index.ts';
import { LocalBackend } from '../../server/local.ts';
import { UpstreamBackend } from '../../server/upstream.ts';
import { startServer, WEB_DIST, type PonderServer } from '../../server/app.ts';
import type { ChatModeration } from '../../server/chat.ts';
import type { ChatBackend } from '../../server/backend.ts';
import { defaultModerator, loadRules, moderationEnabledByEnv, Moderator, PolicyBook } from '../../moderation/index.ts';
import { engineFor, loadServedModel, MODEL_FLAGS, modelPath, needChat, num } from '../shared.ts';
import { parseFlags, type Command } from '../command.ts';

const HELP = `usage: ponder serve [--host 127.0.0.1] [--port 8000] [--model PATH | --upstream URL [--upstream-key KEY]]
                    [--data-dir DIR] [--cors-origin ORIGIN] [--require-key] [--model-name NAME]
                    [--max-active 16] [--max-queue 64] [--max-tokens 1024] [--rate-limit 600] [--max-body 1048576]
                    [--moderation on|off] [--moderation-rules FILE] [--moderation-every 64] [--web-dir DIR]
                    [--web-search URL [--web-search-timeout-ms 5000]] [--shutdown-grace-ms 5000]

Serves POST /v1/chat/completions (OpenAI's API with DeepSeek's reasoning_content), GET /v1/models,
GET /healthz, GET /metrics, the product endpoints (docs/product-api.md) and the web page
(web/dist) at /. The model is the embedded one unless --model (or PONDER_MODEL) names another:
a Hugging Face folder, a .gguf file or a ponder checkpoint (--checkpoint is another name for
--model); /v1/models lists it by its folder or file name unless --model-name renames it. A .gguf
or a Hugging Face folder runs on the quantised runner (its weights memory-mapped and used in place;
/v1/models says "runtime": "quantised-runner"; PONDER_RUNTIME=f32 loads it as float32 instead);
GGUF types the runner does not multiply (Q4_1, Q5_1) load as float32. Or --upstream forwards to any OpenAI-compatible server (URL with its /v1) and normalises its
reasoning. Beyond loopback an API key (\`ponder keys create\`) is required on every request,
and the server refuses to start without one. Chat input and output pass the moderation filter
(src/moderation) unless --moderation off or PONDER_MODERATION=off; --moderation-rules replaces the
shipped rules and classifier by a rules file of your own (configs/moderation.json's format), and
the output is checked every --moderation-every characters. --web-dir serves another build of the
page. --web-search URL turns on web search (the page's "Search the web" toggle, \`web_search: true\`)
through a SearXNG instance's JSON API (URL without /search; its settings must allow format=json).
SIGINT or SIGTERM stops the server: it stops accepting, gives requests in flight
--shutdown-grace-ms to finish, ends the streams still open with an error event and [DONE] (their
messages stay partial), closes the database and exits 0. See src/server/README.md.`;

const FLAGS = {
  host: { type: 'string' },
  port: { type: 'string' },
  ...MODEL_FLAGS,
  upstream: { type: 'string' },
  'upstream-key': { type: 'string' },
  'data-dir': { type: 'string' },
  'cors-origin': { type: 'string' },
  'require-key': { type: 'boolean' },
  'model-name': { type: 'string' },
  'max-active': { type: 'string' },
  'max-queue': { type: 'string' },
  'max-tokens': { type: 'string' },
  'rate-limit': { type: 'string' },
  'max-body': { type: 'string' },
  'keep-alive-ms': { type: 'string' },
  'flush-ms': { type: 'string' },
  moderation: { type: 'string' },
  'moderation-rules': { type: 'string' },
  'moderation-every': { type: 'string' },
  'web-dir': { type: 'string' },
  'web-search': { type: 'string' },
  'web-search-timeout-ms': { type: 'string' },
  'shutdown-grace-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseFlags<typeof FLAGS>>['values'];

export const command: Command = {
  name: 'serve',
  summary: 'serve the OpenAI-compatible chat API (local model or an upstream server)',
  async run(argv) {
    const { values, positionals } = parseFlags(argv, FLAGS);
    if (values.help) { console.log(HELP); return 0; }
    if (positionals.length) throw new PonderError(`unexpected argument '${positionals[0]}' (see ponder serve --help)`);
    if (values.upstream && (values.checkpoint || values.model)) throw new PonderError('--model and --upstream exclude each other: serve a local model or forward to a server');
    if (values['upstream-key'] && !values.upstream) throw new PonderError('--upstream-key needs --upstream');
    const port = num('port', values.port, 8000, { int: true, min: 0, max: 65535 });
    const moderation = moderationOf(values);
    const { webDir, webSearch } = webOf(values);
    const graceMs = num('shutdown-grace-ms', values['shutdown-grace-ms'], 5000, { int: true, min: 0 });
    const backend = backendOf(values);
    const db = openDatabase({ dataDir: values['data-dir'] });
    let srv;
    try {
      srv = await startServer({
        backend, db, host: values.host ?? '127.0.0.1', port,
        requireKey: values['require-key'], corsOrigin: values['cors-origin'],
        rateLimitPerMinute: num('rate-limit', values['rate-limit'], 600, { min: 0 }),
        maxBodyBytes: num('max-body', values['max-body'], 1 << 20, { int: true, min: 1024 }),
        keepAliveMs: num('keep-alive-ms', values['keep-alive-ms'], 10_000, { int: true, min: 10 }),
        flushMs: num('flush-ms', values['flush-ms'], 100, { int: true, min: 1 }),
        searchDb: join(values['data-dir'] ?? defaultDataDir(), SEARCH_DB_FILE),
        moderation, webDir, webSearch,
      });
    } catch (e) {
      db.close();
      throw e;
    }
    console.error(`ponder: serving ${backend.kind === 'local' ? (await backend.listModels())[0].id : values.upstream} at ${srv.url}/v1`);
    if (existsSync(join(webDir, 'index.html'))) console.error(`ponder: chat at ${srv.url}/  (API: ${srv.url}/v1)`);
    else console.error(`ponder: warning: the web page is not built (no ${join(webDir, 'index.html')}): run \`npm run build:web\` (or \`npm start\`) for the chat at ${srv.url}/; the API is at ${srv.url}/v1`);
    if (webSearch) console.error(`ponder: web search through ${values['web-search']}`);
    await untilStopped(srv, db, graceMs);
    return 0;
  },
};

/** The moderation filter: on unless turned off; the shipped rules and classifier, or a rules file alone. */
function moderationOf(values: Values): ChatModeration | undefined {
  if (values.moderation !== undefined && values.moderation !== 'on' && values.moderation !== 'off') {
    throw new PonderError(`--moderation must be on or off, got '${values.moderation}'`);
  }
  const moderate = values.moderation === undefined ? moderationEnabledByEnv() : values.moderation === 'on';
  if (!moderate && (values['moderation-rules'] !== undefined || values['moderation-every'] !== undefined)) {
    throw new PonderError('--moderation-rules and --moderation-every need moderation on (it is off by --moderation off or PONDER_MODERATION=off)');
  }
  const every = num('moderation-every', values['moderation-every'], 64, { int: true, min: 1, max: 1 << 20 });
  if (!moderate) return undefined;
  // Rules of one's own stand alone: the shipped classifier would flag by its own categories.
  const moderator = values['moderation-rules'] !== undefined ? new Moderator(loadRules(values['moderation-rules'])) : defaultModerator();
  return { moderator, policies: new PolicyBook(undefined, undefined, true), every };
}

/** The page's folder (checked when given) and the web search provider, if any. */
function webOf(values: Values): { webDir: string; webSearch?: SearxngProvider } {
  const webDir = values['web-dir'] !== undefined ? resolve(values['web-dir']) : WEB_DIST;
  if (values['web-dir'] !== undefined && !existsSync(join(webDir, 'index.html'))) throw new PonderError(`--web-dir ${values['web-dir']} holds no index.html (build the page with \`npm run build:web\`)`);
  if (values['web-search-timeout-ms'] !== undefined && values['web-search'] === undefined) throw new PonderError('--web-search-timeout-ms needs --web-search URL');
  const webSearch = values['web-search'] !== undefined
    ? new SearxngProvider(values['web-search'], num('web-search-timeout-ms', values['web-search-timeout-ms'], 5000, { int: true, min: 1 }))
    : undefined;
  return { webDir, webSearch };
}

/** The upstream server, or the local model under the continuous-batching engine. */
function backendOf(values: Values): ChatBackend {
  if (values.upstream) return new UpstreamBackend({ url: values.upstream, apiKey: values['upstream-key'] });
  const loaded = loadServedModel(modelPath(values));
  if (loaded.runner) console.error(`ponder: ${loaded.source}: the quantised runner (${loaded.info.dtype} weights memory-mapped, used in place)`);
  const engine = engineFor(loaded.model, {
    maxActive: num('max-active', values['max-active'], 16, { int: true, min: 1, max: 256 }),
    maxQueue: num('max-queue', values['max-queue'], 64, { int: true, min: 0, max: 100000 }),
  });
  const modelId = values['model-name'] ?? loaded.name;
  return new LocalBackend(engine, loaded.tokenizer, { modelId, runtime: loaded.runner ? 'quantised-runner' : 'f32', chat: needChat(loaded), defaultMaxTokens: num('max-tokens', values['max-tokens'], 1024, { int: true, min: 1 }) });
}

/** Serves until SIGINT or SIGTERM, then closes gracefully; a second signal means now. */
async function untilStopped(srv: PonderServer, db: DB, graceMs: number): Promise<void> {
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  // A second signal while stopping means "now": the database is still closed first.
  const now = () => { db.close(); process.exit(1); };
  process.once('SIGINT', now);
  process.once('SIGTERM', now);
  console.error(`ponder: ${signal}: stopping (requests in flight get ${graceMs / 1000} s to finish)`);
  await srv.close({ graceMs });
  db.close();
  console.error('ponder: stopped');
}
