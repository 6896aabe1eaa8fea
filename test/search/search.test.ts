import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildIndex, LocalIndex, search, ftsQuery } from '../../src/search/local.ts';
import { splitPassages, documentTitle } from '../../src/search/passages.ts';
import { formatContext } from '../../src/search/context.ts';
import { SearxngProvider, webProviderFromEnv } from '../../src/search/web.ts';

function corpus(t: { after: (fn: () => void) => void }): { dir: string; db: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-search-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const docs = join(dir, 'docs');
  mkdirSync(join(docs, 'sub'), { recursive: true });
  writeFileSync(join(docs, 'volcano.md'), '# Volcanoes\n\nA volcano erupts when magma rises through the crust.\n\nMount Etna is an active volcano in Sicily.\n');
  writeFileSync(join(docs, 'sub', 'bees.txt'), 'Honey bees\n\nBees make honey from nectar. A colony has one queen.\n');
  writeFileSync(join(docs, 'cooking.md'), '# Bread\n\nKnead the dough, let it rise, then bake it at 230 degrees.\n\n' + 'Filler words about ovens. '.repeat(80));
  writeFileSync(join(docs, 'ignored.json'), '{"volcano": true}');
  writeFileSync(join(docs, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff]));
  return { dir, db: join(dir, 'search.db') };
}

test('index a folder and search it: bm25 order, snippets, title/path/position', (t) => {
  const { dir, db } = corpus(t);
  const s = buildIndex(join(dir, 'docs'), db);
  assert.equal(s.files, 3);
  assert.deepEqual(s.skipped, ['latin1.txt']);
  const hits = search(db, 'active volcano', 3);
  assert.equal(hits[0].path, 'volcano.md');
  assert.equal(hits[0].title, 'Volcanoes');
  assert.match(hits[0].snippet, /\[volcano\]/i);
  assert.ok(hits.every((h, i) => i === 0 || h.score >= hits[i - 1].score), 'ordered by bm25');
  const bees = search(db, 'honey', 5);
  assert.equal(bees.length, 1);
  assert.equal(bees[0].path, join('sub', 'bees.txt'));
  assert.equal(bees[0].title, 'Honey bees');
  // Stemming: "rises" finds "rise" and "rises"; the long file is split into several passages.
  assert.ok(search(db, 'rising', 5).length >= 2);
  const idx = new LocalIndex(db);
  t.after(() => idx.close());
  assert.ok((idx.search('ovens', 10)).some((h) => h.position > 0));
  // Query syntax is never interpreted: operators and quotes are plain words.
  assert.deepEqual(search(db, 'NEAR( "unbalanced AND OR *', 5), []);
  assert.deepEqual(search(db, '!!! ???', 5), []);
  assert.equal(ftsQuery('Hello, "world" hello'), '"hello" OR "world"');
  // Rebuilding replaces the index.
  rmSync(join(dir, 'docs', 'sub'), { recursive: true });
  buildIndex(join(dir, 'docs'), db);
  assert.deepEqual(search(db, 'honey', 5), []);
});

test('bad input: missing folder, missing or foreign index, bad k', (t) => {
  const { dir, db } = corpus(t);
  assert.throws(() => buildIndex(join(dir, 'nope'), db), /cannot index .*nope.*not a folder/);
  assert.throws(() => search(join(dir, 'none.db'), 'x'), /no search index at/);
  writeFileSync(join(dir, 'junk.db'), 'not sqlite at all');
  assert.throws(() => search(join(dir, 'junk.db'), 'x'), /is not a ponder search index/);
  buildIndex(join(dir, 'docs'), db);
  assert.throws(() => search(db, 'x', 0), /k must be a positive integer/);
  assert.ok(!existsSync(`${db}.tmp-${process.pid}`));
});

test('passages and titles', () => {
  assert.equal(documentTitle('intro\n# Real Title\ntext', 'f.md'), 'Real Title');
  assert.equal(documentTitle('\n\nFirst line\nmore', 'f.txt'), 'First line');
  assert.equal(documentTitle('', 'f.txt'), 'f.txt');
  const ps = splitPassages('a\n\nb\n\n' + 'word '.repeat(100), 100);
  assert.ok(ps.every((p) => p.text.length <= 100), JSON.stringify(ps.map((p) => p.text.length)));
  assert.equal(ps[0].text, 'a\n\nb');
  assert.deepEqual(ps.map((p) => p.position), ps.map((_, i) => i));
  assert.equal(ps.map((p) => p.text).join(' ').replace(/\s+/g, ' ').trim(), ('a b ' + 'word '.repeat(100)).trim());
});

test('context block with numbered citations', () => {
  const { context, citations } = formatContext([
    { title: 'Volcanoes', source: 'volcano.md', text: 'Etna is active.' },
    { title: 'Bees', source: 'https://example.org/bees', text: 'x'.repeat(50), snippet: 'bees' },
  ], 20);
  assert.match(context, /\[1\] Volcanoes \(volcano\.md\)\nEtna is active\./);
  assert.match(context, /\[2\] Bees \(https:\/\/example\.org\/bees\)\nx{20}…/);
  assert.deepEqual(citations.map((c) => [c.index, c.source, c.snippet]), [[1, 'volcano.md', 'Etna is active.'], [2, 'https://example.org/bees', 'bees']]);
  assert.deepEqual(formatContext([]), { context: '', citations: [] });
});

test('web search: off by default; SearXNG JSON from a local server', async (t) => {
  assert.equal(webProviderFromEnv({}), null);
  let seen = '';
  const server = createServer((req, res) => {
    seen = req.url ?? '';
    if (req.url?.startsWith('/broken')) { res.writeHead(500).end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ query: 'q', results: [
      { title: 'Etna', url: 'https://en.wikipedia.org/wiki/Etna', content: 'Mount Etna' },
      { title: 'no url' },
      { url: 'https://example.org/2', content: 'second' },
      { title: 'Third', url: 'https://example.org/3' },
    ] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  const p = webProviderFromEnv({ PONDER_WEB_SEARCH_URL: `http://127.0.0.1:${port}/searx` })!;
  const results = await p.search('mount etna', 2);
  assert.equal(seen, '/searx/search?q=mount+etna&format=json');
  assert.deepEqual(results, [
    { title: 'Etna', url: 'https://en.wikipedia.org/wiki/Etna', content: 'Mount Etna' },
    { title: 'https://example.org/2', url: 'https://example.org/2', content: 'second' },
  ]);
  await assert.rejects(new SearxngProvider(`http://127.0.0.1:${port}/broken`).search('x', 3), /answered HTTP 500/);
  assert.throws(() => new SearxngProvider('ftp://x'), /must be http or https/);
});

test('ponder index CLI builds and queries', (t) => {
  const { dir, db } = corpus(t);
  const cli = (...a: string[]) => execFileSync('npx', ['tsx', 'src/cli/main.ts', 'index', ...a], { encoding: 'utf8' });
  assert.match(cli(join(dir, 'docs'), '--db', db), /indexed 3 files, \d+ passages/);
  assert.match(cli('--query', 'honey', '--db', db), /\[1\] Honey bees \(sub\/bees\.txt #0/);
});
