// The web page driven in a real browser (Debian's chromium through playwright-core) against a
// small real HTTP server: canned OpenAI-style SSE (reasoning chunks, then content chunks), the
// product handlers over a real SQLite file, and the local search index. Screenshots go to
// test-results/ for a person to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize as normPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  addMessage, appendToMessage, createConversation, finishMessage, getConversation, listFeedback, listMessages,
  LOCAL_USER_ID, openDatabase, startMessage, type DB,
} from '../../src/store/index.ts';
import {
  deleteMeHandler, exportHandler, feedbackHandler, getConversationHandler, listConversationsHandler, type HttpResult,
} from '../../src/server/product.ts';
import { buildIndex, LocalIndex } from '../../src/search/local.ts';
import { formatContext } from '../../src/search/context.ts';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../..', import.meta.url));
const results = join(root, 'test-results');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let s = '';
  for await (const c of req) s += c;
  return s ? JSON.parse(s) : {};
}

function send(res: ServerResponse, r: HttpResult): void {
  res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.json));
}

/** A stand-in for `ponder serve`: the OpenAI streaming contract with canned text. */
function fakeServer(db: DB, dist: string, index: LocalIndex) {
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    try {
      if (p === '/v1/conversations' && req.method === 'GET') return send(res, listConversationsHandler(db, LOCAL_USER_ID));
      if (p.startsWith('/v1/conversations/') && req.method === 'GET') return send(res, getConversationHandler(db, LOCAL_USER_ID, decodeURIComponent(p.slice(18))));
      if (p === '/v1/feedback' && req.method === 'POST') return send(res, feedbackHandler(db, LOCAL_USER_ID, await readJson(req)));
      if (p === '/v1/me/export') return send(res, exportHandler(db, LOCAL_USER_ID));
      if (p === '/v1/me' && req.method === 'DELETE') return send(res, deleteMeHandler(db, LOCAL_USER_ID));
      if (p === '/v1/chat/completions' && req.method === 'POST') return await chat(await readJson(req), res);
      // Static files from the built page.
      const file = normPath(join(dist, p === '/' ? 'index.html' : p));
      if (!file.startsWith(dist) || !existsSync(file)) return void res.writeHead(404).end();
      const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });

  async function chat(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const msgs = body.messages as { role: string; content: string }[];
    const last = msgs[msgs.length - 1];
    if (body.max_tokens === 1 && body.logprobs) {
      // The explorer: a distribution over ten tokens, <think> among them.
      const toks = [' park', ' market', '<think>', ' school', ' beach', ' library', ' store', ' zoo', ' river', ' city'];
      const top = toks.map((token, i) => ({ token, logprob: Math.log(0.4 / (i + 1)) }));
      return send(res, { status: 200, json: { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: toks[0] },
        logprobs: { content: [{ token: toks[0], logprob: top[0].logprob, top_logprobs: top }] }, finish_reason: 'length' }] } });
    }
    let conv = typeof body.conversation_id === 'string' ? getConversation(db, body.conversation_id) : undefined;
    conv ??= createConversation(db, { userId: LOCAL_USER_ID });
    const user = body.regenerate ? null : addMessage(db, { conversationId: conv.id, role: 'user', content: last.content });
    const answer = startMessage(db, { conversationId: conv.id, model: 'fake' });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', conversation_id: conv!.id, message_id: answer.id,
        ...(user ? { user_message_id: user.id } : {}), ...extra, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    let citations: unknown[] | undefined;
    let text = 'The answer is **5**.';
    if (body.search) {
      const f = formatContext(index.search(last.content, 2).map((h) => ({ title: h.title, source: h.path, text: h.text, snippet: h.snippet })));
      citations = f.citations;
      text = 'Etna is an active volcano in Sicily [1].';
    }
    chunk({ role: 'assistant' }, null, citations ? { citations } : {});
    for (const r of ['Let me think. ', '2 plus 3 ', 'makes 5.']) {
      await sleep(250);
      appendToMessage(db, answer.id, { reasoningContent: r });
      chunk({ reasoning_content: r });
    }
    const forbidden = last.content.includes('forbidden');
    for (const c of text.match(/.{1,6}/g)!) {
      await sleep(60);
      appendToMessage(db, answer.id, { content: c });
      chunk({ content: c });
      if (forbidden) {
        finishMessage(db, answer.id, { status: 'filtered' });
        chunk({}, 'content_filter', { moderation: { category: 'self-harm', rule: 'keyword:kill myself' } });
        res.end('data: [DONE]\n\n');
        return;
      }
    }
    finishMessage(db, answer.id, { status: 'complete' });
    chunk({}, 'stop');
    res.end('data: [DONE]\n\n');
  }
}

test('the chat page and the explorer in a real browser', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} is missing (apt-get install chromium)` , timeout: 120_000 }, async (t) => {
  const { chromium } = await import('playwright-core');
  const { build } = await import('vite');
  const tmp = mkdtempSync(join(tmpdir(), 'ponder-web-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const dist = join(tmp, 'dist');
  await build({ configFile: join(root, 'web/vite.config.ts'), logLevel: 'silent', build: { outDir: dist, emptyOutDir: true } });
  mkdirSync(results, { recursive: true });
  writeFileSync(join(results, '.gitignore'), '*\n');

  const db = openDatabase({ dataDir: join(tmp, 'data') });
  t.after(() => db.close());
  mkdirSync(join(tmp, 'docs'));
  writeFileSync(join(tmp, 'docs', 'volcano.md'), '# Volcanoes\n\nMount Etna is an active volcano in Sicily.\n');
  buildIndex(join(tmp, 'docs'), join(tmp, 'search.db'));
  const index = new LocalIndex(join(tmp, 'search.db'));
  t.after(() => index.close());
  const server = fakeServer(db, dist, index);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { server.closeAllConnections(); server.close(); });
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  // A fresh profile folder (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(join(tmp, 'profile'), { executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'], viewport: { width: 1200, height: 800 } });
  t.after(() => browser.close());
  const page = browser.pages()[0] ?? await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  // Send a message (keyboard only): the thinking streams open, then collapses when the answer starts.
  await page.goto(base + '/');
  await page.locator('#prompt').fill('What is 2+3?');
  await page.keyboard.press('Enter');
  const thinking = page.locator('.msg.assistant details.thinking');
  await thinking.locator('summary', { hasText: 'Thinking…' }).waitFor();
  assert.equal(await thinking.evaluate((d) => (d as unknown as { open: boolean }).open), true);
  await page.locator('.thinking-text', { hasText: '2 plus 3' }).waitFor();
  await page.screenshot({ path: join(results, 'chat-thinking.png') });
  await page.locator('.answer strong', { hasText: '5' }).waitFor();
  await page.locator('.msg.assistant .actions').waitFor();
  assert.equal(await thinking.evaluate((d) => (d as unknown as { open: boolean }).open), false);
  assert.match(await thinking.locator('summary').innerText(), /^Thought for \d+\.\d s$/);
  // The markdown was rendered as markup, not shown raw.
  assert.equal(await page.locator('.answer').innerText(), 'The answer is 5.');

  // Rate it with a comment, then rewrite it: both land in the store.
  await page.getByRole('button', { name: 'Good answer' }).click();
  await page.getByLabel('Comment').fill('clear and right');
  await page.getByLabel('Comment').press('Enter');
  await page.locator('#status', { hasText: 'Thanks' }).waitFor();
  await page.getByRole('button', { name: 'Rewrite answer' }).click();
  await page.getByLabel('Your better answer').fill('2 + 3 = 5, so the answer is 5.');
  await page.getByRole('button', { name: 'Save rewrite' }).click();
  await page.locator('#status', { hasText: 'Rewrite saved' }).waitFor();
  const fb = listFeedback(db, { userId: LOCAL_USER_ID });
  assert.deepEqual(fb.map((f) => [f.rating, f.comment, f.rewrite]), [[1, 'clear and right', null], [null, null, '2 + 3 = 5, so the answer is 5.']]);
  assert.deepEqual(fb[0].prompt, [{ role: 'user', content: 'What is 2+3?' }]);
  assert.equal(fb[0].answer, 'The answer is **5**.');
  await page.screenshot({ path: join(results, 'chat-answer.png') });

  // Reload: the conversation is in the list and opens with its answer and rating.
  await page.goto(base + '/');
  await page.locator('button.conv', { hasText: 'What is 2+3?' }).click();
  await page.locator('.answer strong', { hasText: '5' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Good answer' }).getAttribute('aria-pressed'), 'true');

  // Moderation retracts an answer mid-stream: the partial text is replaced by a notice.
  await page.getByRole('button', { name: '+ New chat' }).click();
  await page.locator('#prompt').fill('tell me something forbidden');
  await page.locator('#prompt').press('Enter');
  const notice = page.locator('.answer.retracted');
  await notice.waitFor();
  assert.match(await notice.innerText(), /withdrawn by moderation\. \(category: self-harm\)/);
  await page.locator('#send:not([hidden])').waitFor();
  const convs = (listConversationsHandler(db, LOCAL_USER_ID).json as { data: { id: string }[] }).data;
  const filtered = listMessages(db, convs[0].id).find((m) => m.role === 'assistant')!;
  assert.equal(filtered.status, 'filtered');
  await page.screenshot({ path: join(results, 'chat-retracted.png') });

  // Search: the citation from the local index shows under the answer.
  await page.getByRole('button', { name: '+ New chat' }).click();
  await page.getByLabel('Search my documents').check();
  await page.locator('#prompt').fill('Where is Etna?');
  await page.locator('#prompt').press('Enter');
  await page.locator('.citations li', { hasText: 'Volcanoes' }).waitFor();
  assert.match(await page.locator('.citations').innerText(), /volcano\.md/);
  assert.equal(await page.locator('.answer sup.cite').innerText(), '[1]');
  await page.screenshot({ path: join(results, 'chat-search.png') });

  // Phone width: the sidebar is a drawer behind the menu button.
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await page.locator('#sidebar').isVisible(), false);
  await page.screenshot({ path: join(results, 'chat-phone.png') });
  await page.getByRole('button', { name: 'Conversations and settings' }).click();
  assert.equal(await page.locator('#sidebar').isVisible(), true);
  await page.screenshot({ path: join(results, 'chat-phone-menu.png') });
  await page.setViewportSize({ width: 1200, height: 800 });

  // The explorer: ten bars; clicking one appends its token; <think> is marked.
  await page.goto(base + '/explorer.html');
  await page.locator('#bars li').nth(9).waitFor();
  assert.equal(await page.locator('#bars li').count(), 10);
  assert.equal(await page.locator('#bars button.think-token').count(), 1);
  const firstPct = await page.locator('#bars .pct').first().innerText();
  assert.match(firstPct, /^\d+\.\d%$/);
  await page.locator('#bars button.bar').first().click();
  await page.locator('#continuation', { hasText: 'park' }).waitFor();
  await page.locator('#bars button.think-token').click();
  await page.locator('#continuation .think-token', { hasText: '<think>' }).waitFor();
  await page.screenshot({ path: join(results, 'explorer.png') });

  assert.deepEqual(errors, []);
});
