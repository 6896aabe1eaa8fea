// The web page driven in a real browser (Debian's chromium through playwright-core) against the
// real server: `ponder serve` as a child process on 127.0.0.1 (ephemeral port, temp data folder)
// with the embedded model (models/ponder-assistant, the server's default), a moderation rules file
// that fires on the model's own reasoning, and a local search index. The questions are products
// (3 digits by 2) from the arithmetic held-out set the assistant's report measures it on (never
// trained on); the assistant answers about three in four of them right, so the test first asks
// the API which ones it answers right. Screenshots go to test-results/ for a person to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EMBEDDED_MODEL } from '../../src/cli/shared.ts';
import { buildIndex, SEARCH_DB_FILE } from '../../src/search/index.ts';
import { getTask } from '../../src/tasks/registry.ts';
import { heldOutSet } from '../../src/tasks/heldout.ts';
import { ARITHMETIC } from '../../src/data/world/index.ts';
import type { Problem } from '../../src/tasks/types.ts';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../..', import.meta.url));
const results = join(root, 'test-results');
const MODEL_ID = basename(EMBEDDED_MODEL); // the name the server lists: 'ponder-assistant'

const skip = !existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install chromium)`
  : !existsSync(join(EMBEDDED_MODEL, 'model.safetensors')) ? `the embedded model is missing at ${EMBEDDED_MODEL} (run \`npm run speedrun\`)`
  : false;

interface Completion {
  choices: { message: { content: string; reasoning_content: string | null }; finish_reason: string }[];
}

/** One assistant view as the page drew it (recorded by a MutationObserver in the page). */
interface View { open: boolean | null; summary: string | null; thinking: string; answer: string; retracted: boolean }

/** `ponder serve` on port 0; resolves with the chat URL it prints. */
async function serve(args: string[], t: { after(fn: () => unknown): void }): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'serve', '--port', '0', ...args],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  t.after(async () => { if (child.exitCode === null) { child.kill('SIGTERM'); await exited; } });
  return new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /ponder: chat at (http:\/\/127\.0\.0\.1:\d+)\/ {2}\(API: \1\/v1\)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`ponder serve exited (${code}) before printing its URL:\n${stderr}`)));
  });
}

test('the chat page and the explorer in a real browser, on the real server and model', { skip, timeout: 120_000 }, async (t) => {
  const { chromium } = await import('playwright-core');
  const { build } = await import('vite');
  // Teardown in reverse order of setup, every step even if one fails: the browser, then the server
  // it talks to, then the search stand-in, then the folder they all wrote to (removing the browser's
  // profile under a running browser raced with its writes and left the server running).
  const teardown: (() => unknown)[] = [];
  t.after(async () => {
    for (const step of teardown.reverse()) {
      try { await step(); } catch (e) { t.diagnostic(`teardown: ${String(e)}`); }
    }
  });
  const cleanup = { after: (fn: () => unknown) => { teardown.push(fn); } };
  const tmp = mkdtempSync(join(tmpdir(), 'ponder-web-'));
  cleanup.after(() => rmSync(tmp, { recursive: true, force: true }));
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, '.gitignore'), '*\n');

  // Held-out products, as the assistant's evaluation draws them; the answers are the task generator's.
  const task = getTask(ARITHMETIC.task);
  const problems: Problem[] = heldOutSet(task, ARITHMETIC.difficulty, 24, 2026);
  const firstOperand = (p: Problem) => /^What is (\d+) /.exec(p.question)![1];
  // Moderation: a rule on the reasoning of the first three questions only. After normalisation
  // "347*8=2776" reads "347 8 2776": their first operand followed by two numbers (the question
  // itself, "what is 347 58", holds two). The rest are for chatting.
  const watched = problems.slice(0, 3);
  const ops = new Set(watched.map(firstOperand));
  const chatCandidates = problems.slice(3).filter((p) => !ops.has(firstOperand(p)));
  const rulesFile = join(tmp, 'rules.json');
  writeFileSync(rulesFile, JSON.stringify({ categories: { 'arithmetic-test': {
    description: 'a test category: the worked steps of some products', patterns: [`\\b(?:${[...ops].join('|')}) \\d+ \\d+\\b`] } } }));

  // The page, built with vite; the search index in the server's data folder.
  const dist = join(tmp, 'dist');
  await build({ configFile: join(root, 'web/vite.config.ts'), logLevel: 'silent', build: { outDir: dist, emptyOutDir: true } });
  const dataDir = join(tmp, 'data');
  mkdirSync(join(tmp, 'docs'));
  writeFileSync(join(tmp, 'docs', 'products.md'), '# Long multiplication\n\nA product is a sum of partial products.\n');
  mkdirSync(dataDir);
  buildIndex(join(tmp, 'docs'), join(dataDir, SEARCH_DB_FILE));

  // Web search: a SearXNG stand-in on 127.0.0.1 (its JSON API), which can be made to fail.
  let webFails = false;
  const searx = createServer((req, res) => {
    if (webFails) { res.writeHead(502).end('bad gateway'); return; }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ query: new URL(req.url!, 'http://x').searchParams.get('q'),
      results: [{ title: 'Multiplication table', url: 'https://math.example.org/times', content: 'A product of two numbers.', engine: 'test' }] }));
  });
  await new Promise<void>((r) => searx.listen(0, '127.0.0.1', () => r()));
  cleanup.after(() => { searx.closeAllConnections(); searx.close(); });
  const searxUrl = `http://127.0.0.1:${(searx.address() as AddressInfo).port}`;

  const base = await serve(['--data-dir', dataDir, '--web-dir', dist, '--moderation-rules', rulesFile, '--moderation-every', '8', '--max-tokens', '64',
    '--web-search', searxUrl, '--web-search-timeout-ms', '3000'], cleanup);
  const post = async (body: Record<string, unknown>): Promise<Completion> => {
    const r = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL_ID, temperature: 0, store: false, ...body }) });
    assert.equal(r.status, 200, await r.clone().text());
    return r.json() as Promise<Completion>;
  };
  const ask = (q: string) => post({ messages: [{ role: 'user', content: q }] });

  // Ask the API first (greedy): every answer comes after reasoning, most are right (the report
  // measures 93.0% of 300 held-out products: a majority, not all), and the page gets a right one.
  const asked = chatCandidates.slice(0, 12);
  let right: { problem: Problem; reasoning: string; answer: string } | null = null;
  let rightCount = 0;
  for (const p of asked) {
    const c = (await ask(p.question)).choices[0];
    assert.equal(c.finish_reason, 'stop', `${p.question}: ${JSON.stringify(c.message)}`);
    assert.match(c.message.reasoning_content ?? '', /^\d+\*\d+=\d+/, `${p.question}: the reasoning works the product`);
    if (!task.verify(c.message.content, p)) continue;
    rightCount++;
    right ??= { problem: p, reasoning: c.message.reasoning_content!, answer: c.message.content.trim() };
  }
  t.diagnostic(`${rightCount} of ${asked.length} held-out products right (greedy)`);
  assert.ok(right && rightCount * 2 > asked.length, `the model answered ${rightCount} of ${asked.length} products right`);
  // And one whose reasoning the rule stops mid-stream.
  let stopped: Problem | null = null;
  for (const p of watched) if ((await ask(p.question)).choices[0].finish_reason === 'content_filter') { stopped = p; break; }
  assert.ok(stopped, 'the moderation rule fired on none of the watched questions');

  // A fresh profile folder (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(join(tmp, 'profile'), { executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'], viewport: { width: 1200, height: 800 } });
  cleanup.after(() => browser.close());
  const page = browser.pages()[0] ?? await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Every assistant view the page draws, as it was when drawn: the stream is faster than polling.
  await page.addInitScript(`
    window.views = [];
    new MutationObserver((recs) => {
      for (const r of recs) for (const n of r.addedNodes) {
        if (!(n instanceof HTMLElement) || !n.matches('article.msg.assistant')) continue;
        const d = n.querySelector('details.thinking');
        window.views.push({ open: d ? d.open : null, summary: d?.querySelector('summary')?.textContent ?? null,
          thinking: d?.querySelector('.thinking-text')?.textContent ?? '', answer: n.querySelector('.answer')?.textContent ?? '',
          retracted: n.querySelector('.answer.retracted') !== null });
      }
    }).observe(document, { childList: true, subtree: true });`);
  const takeViews = () => page.evaluate('(() => { const v = window.views; window.views = []; return v; })()') as Promise<View[]>;

  // Greedy answers: the temperature slider to 0.
  await page.goto(base + '/');
  // The model field lists what /v1/models serves.
  await page.locator('#model option').first().waitFor({ state: 'attached' });
  assert.deepEqual(await page.locator('#model option').allInnerTexts(), [MODEL_ID]);
  assert.equal(await page.locator('#model').inputValue(), MODEL_ID);
  await page.locator('#temperature').evaluate((e) => { (e as unknown as { value: string }).value = '0'; e.dispatchEvent(new Event('input')); });
  await takeViews();

  // Send the question (keyboard only): the thinking streams open, then collapses when the answer starts.
  await page.locator('#prompt').fill(right.problem.question);
  await page.keyboard.press('Enter');
  await page.locator('.msg.assistant .actions').waitFor();
  const thinking = page.locator('.msg.assistant details.thinking');
  assert.equal(await thinking.evaluate((d) => (d as unknown as { open: boolean }).open), false);
  assert.match(await thinking.locator('summary').innerText(), /^Thought for \d+\.\d s$/);
  assert.equal(await thinking.locator('.thinking-text').textContent(), right.reasoning);
  assert.equal((await page.locator('.msg.assistant .answer').innerText()).trim(), right.answer);
  const views = await takeViews();
  const live = views.filter((v) => v.open === true && v.summary === 'Thinking…' && v.thinking !== '' && v.answer === '');
  assert.ok(live.length > 0, `the thinking was never shown streaming before the answer: ${JSON.stringify(views.slice(0, 5))}`);
  assert.ok(right.reasoning.startsWith(live[0].thinking) && live[0].thinking.length < right.reasoning.length, 'the first live view holds part of the reasoning');
  const firstAnswer = views.findIndex((v) => v.answer !== '' && v.answer !== '…');
  assert.ok(firstAnswer > views.indexOf(live[0]), 'the answer appeared after the thinking');
  assert.ok(views.slice(firstAnswer).every((v) => v.open === false), 'the thinking collapsed when the answer started');
  await page.screenshot({ path: join(results, 'chat-answer.png') });

  // Rate it with a comment, then rewrite it: both land in the store, with the exact prompt and answer.
  await page.getByRole('button', { name: 'Good answer' }).click();
  await page.getByLabel('Comment').fill('clear and right');
  await page.getByLabel('Comment').press('Enter');
  await page.locator('#status', { hasText: 'Thanks' }).waitFor();
  await page.getByRole('button', { name: 'Rewrite answer' }).click();
  const rewrite = `${right.answer}, since ${right.problem.question.slice(8, -1)} = ${right.problem.answer}.`;
  await page.getByLabel('Your better answer').fill(rewrite);
  await page.getByRole('button', { name: 'Save rewrite' }).click();
  await page.locator('#status', { hasText: 'Rewrite saved' }).waitFor();
  const exported = await (await fetch(`${base}/v1/me/export`)).json() as { feedback: { rating: number | null; comment: string | null; rewrite: string | null; prompt: unknown; answer: string }[] };
  assert.deepEqual(exported.feedback.map((f) => [f.rating, f.comment, f.rewrite]), [[1, 'clear and right', null], [null, null, rewrite]]);
  assert.deepEqual(exported.feedback[0].prompt, [{ role: 'user', content: right.problem.question }]);
  assert.equal(exported.feedback[0].answer.trim(), right.answer);

  // Reload: the conversation is in the list and opens with its answer and rating.
  await page.goto(base + '/');
  await page.locator('button.conv', { hasText: right.problem.question }).click();
  await page.locator('.msg.assistant .answer', { hasText: right.answer }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Good answer' }).getAttribute('aria-pressed'), 'true');

  // Moderation: the output filter stops the reasoning mid-stream; the page withdraws what it showed.
  await page.getByRole('button', { name: '+ New chat' }).click();
  await takeViews();
  await page.locator('#prompt').fill(stopped.question);
  await page.locator('#prompt').press('Enter');
  const notice = page.locator('.answer.retracted');
  await notice.waitFor();
  assert.equal(await notice.innerText(), 'This answer was withdrawn by moderation. (category: arithmetic-test)');
  await page.locator('#send:not([hidden])').waitFor();
  assert.equal(await page.locator('.msg.assistant details.thinking').count(), 0, 'the withdrawn thinking is gone');
  const mviews = await takeViews();
  assert.ok(mviews.some((v) => v.thinking !== '' && !v.retracted), 'part of the thinking was shown before the retraction');
  const data = await (await fetch(`${base}/v1/me/export`)).json() as { conversations: { messages: { id: string; role: string; content: string; reasoning_content: string | null; status: string }[] }[];
    moderation_events: { category: string; direction: string; rule: string; message_id: string }[] };
  const msgs = data.conversations.find((c) => c.messages.some((m) => m.role === 'user' && m.content === stopped!.question))!.messages;
  const withdrawn = msgs.find((m) => m.role === 'assistant')!;
  assert.equal(withdrawn.status, 'filtered');
  // Stopped mid-reasoning, before any answer: what was said is kept for review, not shown.
  assert.equal(withdrawn.content, '');
  assert.ok(withdrawn.reasoning_content?.startsWith(`${firstOperand(stopped)}*`), JSON.stringify(withdrawn.reasoning_content));
  // (The API probes above, not stored, left events without a message.)
  assert.deepEqual(data.moderation_events.filter((e) => e.message_id === withdrawn.id).map((e) => [e.category, e.direction, e.rule]),
    [['arithmetic-test', 'output', `pattern:\\b(?:${[...ops].join('|')}) \\d+ \\d+\\b`]]);
  await page.screenshot({ path: join(results, 'chat-retracted.png') });

  // Search: the citation from the local index shows under the answer.
  await page.getByRole('button', { name: '+ New chat' }).click();
  await page.getByLabel('Search my documents').check();
  await page.locator('#prompt').fill(right.problem.question);
  await page.locator('#prompt').press('Enter');
  await page.locator('.citations li', { hasText: 'Long multiplication' }).waitFor();
  assert.match(await page.locator('.citations').innerText(), /products\.md/);
  assert.equal(await page.locator('.citations mark').first().innerText(), 'is'); // the query's word, as the index marked it
  await page.locator('#send:not([hidden])').waitFor();
  assert.equal(await page.locator('#status').innerText(), '');
  // Whatever the model made of the sources, the page says something: an answer or why there is none.
  assert.notEqual((await page.locator('.msg.assistant .answer').innerText()).trim(), '');
  await page.getByLabel('Search my documents').uncheck();
  await page.screenshot({ path: join(results, 'chat-search.png') });

  // Web search: the toggle beside it; the web source is cited as a link, and stored with the answer.
  await page.getByRole('button', { name: '+ New chat' }).click();
  await page.getByLabel('Search the web').check();
  await page.locator('#prompt').fill(right.problem.question);
  await page.locator('#prompt').press('Enter');
  const link = page.locator('.citations li a[href="https://math.example.org/times"]');
  await link.waitFor();
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer nofollow');
  await page.locator('#send:not([hidden])').waitFor();
  assert.equal(await page.locator('#status').innerText(), '');
  await page.screenshot({ path: join(results, 'chat-web-search.png') });
  await page.goto(base + '/');
  await page.locator('button.conv').first().click();
  await page.locator('.citations li a[href="https://math.example.org/times"]').waitFor();
  // A failing search is said, and the answer still comes.
  webFails = true;
  await page.getByRole('button', { name: '+ New chat' }).click();
  await page.locator('#prompt').fill(right.problem.question);
  await page.locator('#prompt').press('Enter');
  await page.locator('#status', { hasText: 'Web search failed' }).waitFor();
  await page.locator('#send:not([hidden])').waitFor();
  assert.match(await page.locator('#status').innerText(), /HTTP 502\. Answered without it\./);
  assert.equal(await page.locator('.msg.assistant .citations').count(), 0);
  assert.notEqual((await page.locator('.msg.assistant .answer').innerText()).trim(), '');
  await page.getByLabel('Search the web').uncheck();

  // Phone width: the sidebar is a drawer behind the menu button.
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await page.locator('#sidebar').isVisible(), false);
  await page.screenshot({ path: join(results, 'chat-phone.png') });
  await page.getByRole('button', { name: 'Conversations and settings' }).click();
  assert.equal(await page.locator('#sidebar').isVisible(), true);
  await page.screenshot({ path: join(results, 'chat-phone-menu.png') });
  await page.setViewportSize({ width: 1200, height: 800 });

  // The explorer: the model's top ten next tokens as bars. Its greedy reply opens <think> and
  // then reasons: clicking the top bar each time walks that same path.
  await page.goto(base + '/explorer.html');
  // The page first predicts for its example text; wait for the prediction of the question itself,
  // not whichever bars are on screen first.
  const predicted = page.waitForResponse((r) => r.url().endsWith('/v1/chat/completions') && (r.request().postData() ?? '').includes(right!.problem.question));
  await page.locator('#text').fill(right.problem.question);
  await predicted;
  await page.waitForFunction(`document.querySelector('#status')?.textContent === ''`);
  await page.locator('#bars li').nth(9).waitFor();
  assert.equal(await page.locator('#bars li').count(), 10);
  assert.match(await page.locator('#bars .pct').first().innerText(), /^\d+\.\d%$/);
  const top = page.locator('#bars button.bar').first();
  assert.equal(await top.getAttribute('data-token'), '<think>');
  assert.equal(await top.evaluate((b) => b.classList.contains('think-token')), true);
  await top.click();
  let written = '';
  for (let step = 0; step < 3; step++) {
    if (step > 0) {
      const old = await top.elementHandle();
      await top.click();
      await page.locator('#continuation', { hasText: written }).waitFor();
      // The bars of the new continuation: the old ones are gone and the prediction is done.
      await page.waitForFunction(([b]) => !b!.isConnected && (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('#status')?.textContent === '', [old]);
    } else {
      await page.locator('#continuation .think-token', { hasText: '<think>' }).waitFor();
      await page.waitForFunction(`document.querySelector('#bars button.bar')?.getAttribute('data-token') !== '<think>' && document.querySelector('#status')?.textContent === ''`);
    }
    const tok = (await top.getAttribute('data-token'))!;
    assert.ok(right.reasoning.startsWith(written + tok), `the top next token ${JSON.stringify(tok)} continues the greedy reasoning ${JSON.stringify(right.reasoning)} after ${JSON.stringify(written)}`);
    written += tok;
  }
  await page.screenshot({ path: join(results, 'explorer.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(results, 'explorer-phone.png') });

  assert.deepEqual(errors, []);
});
