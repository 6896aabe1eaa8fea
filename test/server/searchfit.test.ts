// Search context sized to the model: the block shrinks until the prompt leaves room to answer,
// and the citations are the sources that went in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitSources } from '../../src/server/searchfit.ts';
import { buildIndex, formatContext } from '../../src/search/index.ts';
import { validateChatRequest } from '../../src/server/validate.ts';
import { MODEL_ID, startTestServer, tempDir } from './helpers.ts';

const sources = [
  { title: 'Sky', source: 'sky.md', text: '# Sky\n\nThe sky is blue because of Rayleigh scattering of sunlight by the air.' },
  { title: 'Bread', source: 'bread.md', text: 'Bread rises because yeast makes carbon dioxide.' },
];

test('fitSources: the full block when it fits, then shorter, then fewer sources, then nothing', () => {
  const full = formatContext(sources);
  assert.deepEqual(fitSources(sources, () => true), full);
  // Room for the compact form of both: no instruction line, the heading not repeated.
  const both = fitSources(sources, (c) => c.length <= 150);
  assert.equal(both.context, '[1] Sky: The sky is blue because of Rayleigh scattering of sunlight by the air.\n[2] Bread: Bread rises because yeast makes carbon dioxide.');
  assert.deepEqual(both.citations, full.citations);
  const cut = fitSources(sources, (c) => c.length <= 80);
  assert.equal(cut.context, '[1] Sky: The sky is blue because o…\n[2] Bread: Bread rises because yeast…');
  const one = fitSources(sources, (c) => c.length <= 40);
  assert.equal(one.context, '[1] Sky: The sky is blue because o…');
  assert.deepEqual(one.citations, full.citations.slice(0, 1));
  assert.deepEqual(fitSources(sources, (c) => c.length <= 20), { context: '', citations: [] });
  assert.deepEqual(fitSources([], () => true), { context: '', citations: [] });
});

test('a long document no longer overflows a small model: the prompt leaves room for max_tokens', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs', 'sky.md'), '# Sky colour\n\n' + 'The sky is blue because of Rayleigh scattering. '.repeat(60));
  const searchDb = join(dir, 'search.db');
  buildIndex(join(dir, 'docs'), searchDb);
  const srv = await startTestServer(t, { searchDb });
  const ctx = srv.backend.engine.contextLength;
  for (const maxTokens of [40, 200]) {
    const r = await fetch(`${srv.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_ID, max_tokens: maxTokens, search: true, store: false, messages: [{ role: 'user', content: 'why is the sky blue' }] }) });
    assert.equal(r.status, 200);
    const j = (await r.json()) as { usage: { prompt_tokens: number }; citations: { title: string }[] };
    assert.equal(j.citations[0].title, 'Sky colour');
    const bare = srv.backend.promptIds(validateChatRequest({ model: MODEL_ID, messages: [{ role: 'user', content: 'why is the sky blue' }] }, { maxPromptChars: 1e5 })).length;
    assert.ok(j.usage.prompt_tokens > bare + 10, 'some of the passage went in');
    assert.ok(j.usage.prompt_tokens + Math.min(maxTokens, ctx / 2) <= ctx, `prompt ${j.usage.prompt_tokens} leaves room for ${maxTokens} tokens in ${ctx}`);
  }
});
