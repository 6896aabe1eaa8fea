// `ponder index <folder>`: builds the local search index; `ponder index --query "..."` searches it.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PonderError } from '../../errors.ts';
import { defaultDataDir } from '../../store/db.ts';
import { buildIndex, search, SEARCH_DB_FILE } from '../../search/local.ts';
import { parseFlags, type Command } from '../command.ts';
import { num } from '../shared.ts';

const HELP = `usage: ponder index <folder> [--db FILE]
       ponder index --query "words" [--k N] [--db FILE]

Indexes every .txt and .md file under <folder> (passages of about 800 characters, with title,
path and position) into a SQLite FTS5 index, replacing the previous one. With the chat's search
toggle on, the server puts the best passages into the prompt and returns them as citations.
--query prints the k best passages (bm25) instead.
The index is PONDER_DATA_DIR/${SEARCH_DB_FILE} (default ~/.ponder/data), or --db FILE.`;

export const command: Command = {
  name: 'index',
  summary: 'build or query the local search index of .txt/.md files',
  run(argv) {
    const { values, positionals } = parseFlags(argv, {
      db: { type: 'string' }, query: { type: 'string' }, k: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    });
    if (values.help) { console.log(HELP); return 0; }
    const db = resolve(values.db ?? join(defaultDataDir(), SEARCH_DB_FILE));
    if (values.query !== undefined) {
      if (positionals.length > 0) throw new PonderError('give either a folder to index or --query, not both');
      const hits = search(db, values.query, num('k', values.k, 5, { int: true, min: 1, max: 100 }));
      if (hits.length === 0) console.log('no passages match');
      hits.forEach((h, i) => console.log(`[${i + 1}] ${h.title} (${h.path} #${h.position}, bm25 ${h.score.toFixed(2)})\n    ${h.snippet.replace(/\n/g, ' ')}`));
      return 0;
    }
    if (positionals.length !== 1) { console.log(HELP); return 1; }
    mkdirSync(dirname(db), { recursive: true });
    const t0 = Date.now();
    const s = buildIndex(positionals[0], db);
    console.log(`indexed ${s.files} files, ${s.passages} passages in ${Date.now() - t0} ms -> ${db}`);
    for (const f of s.skipped) console.log(`skipped (not UTF-8): ${f}`);
    return 0;
  },
};
