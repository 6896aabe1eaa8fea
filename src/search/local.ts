// The local document index: .txt and .md files under a folder, split into passages, in a SQLite
// FTS5 table (porter stemming, Unicode folding), ranked with bm25 (title weighted above body).
import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { PonderError } from '../errors.ts';
import { documentTitle, splitPassages } from './passages.ts';

export const INDEXED_EXTENSIONS = ['.txt', '.md', '.markdown'];

export interface IndexStats {
  files: number;
  passages: number;
  skipped: string[];
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && INDEXED_EXTENSIONS.some((x) => e.name.toLowerCase().endsWith(x))) out.push(p);
    }
  };
  walk(root);
  return out;
}

/**
 * Indexes every .txt/.md file under folder into dbFile (replaced as a whole, atomically: built in a
 * temp file, then renamed). Paths are stored relative to the folder. Files that are not valid
 * UTF-8 are skipped and named in the result.
 */
export function buildIndex(folder: string, dbFile: string, opts: { maxChars?: number } = {}): IndexStats {
  const root = resolve(folder);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new PonderError(`cannot index '${folder}': not a folder`);
  const tmp = `${dbFile}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  const db = new Database(tmp);
  const stats: IndexStats = { files: 0, passages: 0, skipped: [] };
  try {
    db.exec(`CREATE VIRTUAL TABLE passages USING fts5(title, body, path UNINDEXED, position UNINDEXED,
      tokenize = 'porter unicode61 remove_diacritics 2');
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);`);
    const insert = db.prepare('INSERT INTO passages (title, body, path, position) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (const file of listFiles(root)) {
        const rel = relative(root, file);
        let text: string;
        try {
          text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
        } catch {
          stats.skipped.push(rel);
          continue;
        }
        const title = documentTitle(text, basename(file));
        const ps = splitPassages(text, opts.maxChars);
        for (const p of ps) insert.run(title, p.text, rel, p.position);
        stats.files++;
        stats.passages += ps.length;
      }
      db.prepare('INSERT INTO meta VALUES (?, ?), (?, ?)').run('root', root, 'indexed_at', new Date().toISOString());
    })();
    db.close();
    renameSync(tmp, dbFile);
  } catch (e) {
    if (db.open) db.close();
    rmSync(tmp, { force: true });
    throw e;
  }
  return stats;
}

export interface SearchHit {
  title: string;
  path: string;
  position: number;
  /** The passage with the query's terms marked [like this], shortened around them. */
  snippet: string;
  /** The whole passage. */
  text: string;
  /** bm25 score: lower is better (SQLite's sign). */
  score: number;
}

/** A user's words as an FTS5 query: each word quoted (no operator injection), any word may match. */
export function ftsQuery(query: string): string | null {
  const words = query.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return null;
  return [...new Set(words.map((w) => w.toLowerCase()))].map((w) => `"${w}"`).join(' OR ');
}

export class LocalIndex {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    if (!existsSync(file)) throw new PonderError(`no search index at '${file}' (build one with \`ponder index <folder> --db ${file}\`)`);
    try {
      this.db = new Database(file, { readonly: true, fileMustExist: true });
      this.db.prepare('SELECT count(*) FROM passages').get();
    } catch (e) {
      throw new PonderError(`'${file}' is not a ponder search index: ${(e as Error).message}`);
    }
  }

  /** The k best passages for query, best first. */
  search(query: string, k = 5): SearchHit[] {
    if (!Number.isInteger(k) || k < 1) throw new PonderError(`k must be a positive integer, got ${k}`);
    const q = ftsQuery(query);
    if (q === null) return [];
    return this.db.prepare(`SELECT title, path, position, body AS text,
        snippet(passages, 1, '[', ']', '…', 24) AS snippet, bm25(passages, 4.0, 1.0) AS score
      FROM passages WHERE passages MATCH ? ORDER BY score LIMIT ?`).all(q, k) as SearchHit[];
  }

  close(): void {
    this.db.close();
  }
}

/** search(query, k) over an index file, opened and closed around the call. */
export function search(file: string, query: string, k = 5): SearchHit[] {
  const idx = new LocalIndex(file);
  try {
    return idx.search(query, k);
  } finally {
    idx.close();
  }
}

/** Where `ponder index` writes and the server reads by default: PONDER_DATA_DIR/search.db. */
export const SEARCH_DB_FILE = 'search.db';
