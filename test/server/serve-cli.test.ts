// `ponder serve`'s own flags for the page and moderation: bad values are clear errors before
// anything starts; a good rules file is used (the browser test in test/web drives it for real).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, testCheckpoint } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function serve(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--checkpoint', testCheckpoint(), '--port', '0', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

test('serve refuses bad moderation rules, a conflicting --moderation off, and a page folder without a page', (t) => {
  const dir = tempDir(t);
  const missing = serve(['--moderation-rules', join(dir, 'nope.json')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot read moderation rules '.*nope\.json'/);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ categories: { x: { patterns: ['(unclosed'] } } }));
  assert.match(serve(['--moderation-rules', join(dir, 'bad.json')]).stderr, /bad\.json: category "x": bad pattern "\(unclosed"/);
  assert.match(serve(['--moderation', 'off', '--moderation-rules', join(dir, 'bad.json')]).stderr, /--moderation-rules and --moderation-every need moderation on/);
  assert.match(serve(['--moderation-every', '0']).stderr, /moderation-every/);
  assert.match(serve(['--web-dir', dir]).stderr, /--web-dir .* holds no index\.html \(build the page with `npm run build:web`\)/);
});
