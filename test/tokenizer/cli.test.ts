import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { command } from '../../src/cli/commands/tokenizer.ts';
import { loadTokenizer } from '../../src/tokenizer/hf.ts';
import { CORPUS_PATH } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'ponder-tokcli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command and returns what it printed. */
async function run(argv: string[]): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { lines.push(a.join(' ')); };
  try { await command.run(argv); } finally { console.log = log; }
  return lines.join('\n');
}

test('ponder tokenizer train, then encode', async () => {
  const out = join(dir, 'tok.json');
  const said = await run(['train', '--input', CORPUS_PATH, CORPUS_PATH, '--vocab-size', '400', '--out', out]);
  assert.match(said, /trained 400 tokens/);
  const tok = loadTokenizer(out);
  const json = JSON.parse(await run(['encode', '--tokenizer', out, '--json', 'Hi <think> 42']));
  assert.deepEqual(json.ids, tok.encode('Hi <think> 42'));
  assert.deepEqual(json.pieces, json.ids.map((id: number) => tok.piece(id)));
  const special = JSON.parse(await run(['encode', '--tokenizer', out, '--json', '--allow-special', '<think>']));
  assert.deepEqual(special.ids, [6]);
  assert.match(await run(['encode', '--tokenizer', out, 'a b']), /ids: /);
});

test('bad CLI input is a PonderError', async () => {
  const bad = (argv: string[], message: RegExp) => assert.rejects(async () => command.run(argv), { name: 'PonderError', message });
  await bad(['train', '--vocab-size', '400', '--out', join(dir, 'x.json')], /--input/);
  await bad(['train', '--input', CORPUS_PATH, '--vocab-size', 'lots', '--out', join(dir, 'x.json')], /lots/);
  await bad(['train', '--input', CORPUS_PATH, '--vocab-size', '400'], /--out/);
  await bad(['encode', '--tokenizer', join(dir, 'none.json'), 'x'], /none\.json/);
  await bad(['frobnicate'], /frobnicate/);
  await bad(['train', '--bogus'], /bogus/);
});
