// Opens ponder's one SQLite file and brings its schema up to date.
// WAL lets readers run beside the writer and survives a killed process; foreign keys make user
// deletion cascade; the busy timeout makes a second process wait for the lock instead of failing.
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PonderError } from '../errors.ts';
import { MIGRATIONS } from './migrations.ts';

export type DB = Database.Database;

export const DB_FILE = 'ponder.db';

/** PONDER_DATA_DIR if set, else ~/.ponder/data. */
export function defaultDataDir(): string {
  const env = process.env.PONDER_DATA_DIR;
  return env && env.length > 0 ? env : join(homedir(), '.ponder', 'data');
}

export interface OpenOptions {
  /** Folder holding ponder.db (created if missing); default defaultDataDir(). */
  dataDir?: string;
  /** An explicit database file path; overrides dataDir. ':memory:' is allowed. */
  file?: string;
  /** Milliseconds to wait on a locked database before failing; default 5000. */
  busyTimeoutMs?: number;
  /** Migrations to apply (tests pass their own lists); default MIGRATIONS. */
  migrations?: readonly string[];
}

export function openDatabase(opts: OpenOptions = {}): DB {
  let file = opts.file;
  if (!file) {
    const dir = opts.dataDir ?? defaultDataDir();
    try {
      // The data are the user's conversations: the folders ponder creates are theirs alone.
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new PonderError(`cannot create data folder '${dir}': ${(e as Error).message}`);
    }
    file = join(dir, DB_FILE);
  }
  if (file !== ':memory:') createPrivate(file);
  let db: DB;
  try {
    db = new Database(file);
  } catch (e) {
    throw new PonderError(`cannot open database '${file}': ${(e as Error).message}`);
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    if (file !== ':memory:') db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode loses no committed data when the process dies, only on power loss.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Deleted rows are overwritten with zeros, so deleting a user's data removes their words from
    // the file (deletes are rare here, the extra writes cheap).
    db.pragma('secure_delete = ON');
    migrate(db, opts.migrations ?? MIGRATIONS);
  } catch (e) {
    db.close();
    if (e instanceof PonderError) throw new PonderError(`${file}: ${e.message}`);
    // e.g. SQLITE_NOTADB when the file is not a database at all.
    throw new PonderError(`cannot open database '${file}': ${(e as Error).message}`);
  }
  return db;
}

/** Creates the database file readable by its owner only (SQLite gives its -wal and -shm files the same mode). */
function createPrivate(file: string): void {
  try {
    closeSync(openSync(file, 'a', 0o600));
  } catch {
    // Not creatable here (a read-only place, a missing folder): SQLite's own open says why.
  }
}

/** The highest migration version applied to db (0 for a fresh database). */
export function schemaVersion(db: DB): number {
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Applies the migrations db lacks, each in its own IMMEDIATE transaction (so two processes
 * opening the same new file do not both run one). Returns the versions applied now.
 * A database at a version newer than this code knows is an error: we cannot read it safely.
 */
export function migrate(db: DB, migrations: readonly string[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  )`);
  const applied: number[] = [];
  const step = db.transaction((version: number) => {
    if (schemaVersion(db) >= version) return; // another process got there first
    db.exec(migrations[version - 1]);
    db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(version);
    applied.push(version);
  });
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new PonderError(
      `database schema is version ${current}, newer than this ponder knows (${migrations.length}); ` +
      'upgrade ponder to open it');
  }
  for (let v = current + 1; v <= migrations.length; v++) step.immediate(v);
  return applied;
}
