// The chat page: conversation list, streamed answers with the thinking shown live (collapsed when
// the answer starts), stop/regenerate, edit a question, rate/comment/rewrite an answer,
// moderation retractions, search citations (documents and the web), settings (the model from the
// server's list), export/delete my data.
import { api, ApiError, loadSettings, saveSettings, serverFeatures, servedModels, streamChat, type Citation, type Settings } from './api.ts';
import { renderMarkdown } from './markdown.ts';

interface Msg {
  id?: string;
  role: 'user' | 'assistant';
  content: string;
  reasoning: string;
  status: 'complete' | 'partial' | 'filtered' | 'error' | 'stopped';
  thinkMs?: number;
  citations?: Citation[];
  rating?: 1 | -1 | null;
  notice?: string;
  /** The generation stopped at the length limit (finish_reason "length"). */
  cut?: boolean;
}

interface ConvSummary { id: string; title: string; updated_at: string }
interface StoredMessage { id: string; role: string; content: string; reasoning_content: string | null; status: string;
  citations?: Citation[]; feedback?: { rating: 1 | -1 | null } | null }

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
const el = (tag: string, attrs: Record<string, string> = {}, text?: string) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

let settings: Settings = loadSettings();
let conversationId: string | null = null;
let messages: Msg[] = [];
let controller: AbortController | null = null;

const RETRACTED = 'This answer was withdrawn by moderation.';

function setStatus(text: string, isError = false): void {
  const s = $('#status');
  s.textContent = text;
  s.classList.toggle('error', isError);
}

// ---- conversations -------------------------------------------------------------------------

async function refreshList(): Promise<void> {
  const list = $('#conversations');
  try {
    const { data } = await api<{ data: ConvSummary[] }>(settings, 'GET', '/v1/conversations');
    list.replaceChildren(...data.map((c) => {
      const li = el('li');
      const b = el('button', { class: 'conv', 'data-id': c.id, ...(c.id === conversationId ? { 'aria-current': 'true' } : {}) }, c.title || 'New chat');
      b.addEventListener('click', () => void openConversation(c.id));
      li.append(b);
      return li;
    }));
  } catch (e) {
    setStatus(`Could not load conversations: ${(e as Error).message}`, true);
  }
}

async function openConversation(id: string): Promise<void> {
  if (controller) return;
  const c = await api<{ id: string; messages: StoredMessage[] }>(settings, 'GET', `/v1/conversations/${encodeURIComponent(id)}`);
  conversationId = c.id;
  location.hash = c.id;
  messages = c.messages.filter((m) => m.role === 'user' || m.role === 'assistant').map((m) => ({
    id: m.id, role: m.role as Msg['role'], content: m.content, reasoning: m.status === 'filtered' ? '' : m.reasoning_content ?? '',
    status: (m.status === 'filtered' ? 'filtered' : m.status === 'partial' ? 'stopped' : m.status === 'error' ? 'error' : 'complete') as Msg['status'],
    rating: m.feedback?.rating ?? null, ...(m.citations?.length ? { citations: m.citations } : {}),
  }));
  render();
  void refreshList();
  closeSidebar();
}

function newChat(): void {
  if (controller) return;
  conversationId = null;
  messages = [];
  history.replaceState(null, '', location.pathname);
  render();
  void refreshList();
  $<HTMLTextAreaElement>('#prompt').focus();
  closeSidebar();
}

// ---- rendering -----------------------------------------------------------------------------

function thinkingBlock(m: Msg, streaming: boolean): HTMLElement {
  const d = el('details', { class: 'thinking' }) as HTMLDetailsElement;
  const thinkingNow = streaming && m.content === '' && m.status === 'partial';
  d.open = thinkingNow;
  const secs = ((m.thinkMs ?? 0) / 1000).toFixed(1);
  d.append(el('summary', {}, thinkingNow ? 'Thinking…' : m.thinkMs !== undefined ? `Thought for ${secs} s` : 'Thoughts'));
  d.append(el('div', { class: 'thinking-text' }, m.reasoning));
  return d;
}

function messageView(m: Msg, i: number): HTMLElement {
  const streaming = controller !== null && i === messages.length - 1;
  const art = el('article', { class: `msg ${m.role}`, 'data-index': String(i), ...(m.id ? { 'data-id': m.id } : {}) });
  if (m.role === 'user') {
    art.append(el('div', { class: 'bubble' }, m.content));
    const edit = el('button', { class: 'small edit', 'aria-label': 'Edit question' }, 'Edit');
    edit.addEventListener('click', () => editQuestion(i, art));
    if (!controller) { const bar = el('div', { class: 'actions' }); bar.append(edit); art.append(bar); }
    return art;
  }
  if (m.reasoning) art.append(thinkingBlock(m, streaming));
  const body = el('div', { class: 'answer' });
  if (m.status === 'filtered') {
    body.classList.add('retracted');
    body.setAttribute('role', 'alert');
    body.textContent = m.notice ?? RETRACTED;
  } else {
    body.innerHTML = renderMarkdown(m.content) + (m.status === 'stopped' ? '<p class="muted">(stopped)</p>'
      : m.cut ? `<p class="muted">(cut off at the length limit${m.content ? '' : ' before an answer'})</p>` : '');
    if (streaming && m.content === '' && !m.reasoning) body.innerHTML = '<p class="muted">…</p>';
  }
  art.append(body);
  if (m.citations?.length) {
    const ol = el('ol', { class: 'citations', 'aria-label': 'Sources' });
    for (const c of m.citations) {
      const li = el('li', { value: String(c.index) });
      li.append(el('strong', {}, c.title), document.createTextNode(' — '), sourceView(c.source), snippetView(c.snippet));
      ol.append(li);
    }
    art.append(ol);
  }
  if (!streaming && m.id && m.status !== 'filtered') art.append(answerActions(m, i));
  else if (!streaming && i === messages.length - 1) art.append(regenerateOnly());
  return art;
}

/** A web source is a link (opened apart from the page); a document is its path. */
function sourceView(source: string): Node {
  if (!/^https?:\/\//i.test(source)) return document.createTextNode(source);
  return el('a', { href: source, target: '_blank', rel: 'noopener noreferrer nofollow' }, source);
}

/** A search snippet: the index marks the query's words [like this]; markdown heading marks are dropped. */
function snippetView(snippet: string): HTMLElement {
  const div = el('div', { class: 'muted snippet' });
  snippet.replace(/^#+\s+/, '').split(/\[([^\]\n]+)\]/).forEach((part, k) => {
    if (part) div.append(k % 2 ? el('mark', {}, part) : document.createTextNode(part));
  });
  return div;
}

function regenerateOnly(): HTMLElement {
  const bar = el('div', { class: 'actions' });
  const regen = el('button', { class: 'small', 'aria-label': 'Regenerate answer' }, 'Regenerate');
  regen.addEventListener('click', () => void regenerate());
  bar.append(regen);
  return bar;
}

function answerActions(m: Msg, i: number): HTMLElement {
  const bar = el('div', { class: 'actions' });
  const up = el('button', { class: 'small rate', 'aria-label': 'Good answer', 'aria-pressed': String(m.rating === 1) }, '▲ Good');
  const down = el('button', { class: 'small rate', 'aria-label': 'Bad answer', 'aria-pressed': String(m.rating === -1) }, '▼ Bad');
  up.addEventListener('click', () => feedbackForm(m, bar, 1));
  down.addEventListener('click', () => feedbackForm(m, bar, -1));
  const rewrite = el('button', { class: 'small', 'aria-label': 'Rewrite answer' }, 'Rewrite');
  rewrite.addEventListener('click', () => rewriteForm(m, bar));
  bar.append(up, down, rewrite);
  if (i === messages.length - 1) {
    const regen = el('button', { class: 'small', 'aria-label': 'Regenerate answer' }, 'Regenerate');
    regen.addEventListener('click', () => void regenerate());
    bar.append(regen);
  }
  return bar;
}

async function sendFeedback(m: Msg, body: Record<string, unknown>): Promise<void> {
  await api(settings, 'POST', '/v1/feedback', { message_id: m.id, ...body });
}

function feedbackForm(m: Msg, bar: HTMLElement, rating: 1 | -1): void {
  bar.parentElement!.querySelector('.feedback-form')?.remove();
  const form = el('form', { class: 'feedback-form', 'aria-label': 'Feedback' });
  const input = el('input', { type: 'text', name: 'comment', placeholder: 'Add a comment (optional)', 'aria-label': 'Comment' }) as HTMLInputElement;
  form.append(input, el('button', { type: 'submit', class: 'small' }, 'Send'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await sendFeedback(m, { rating, ...(input.value.trim() ? { comment: input.value } : {}) });
      m.rating = rating;
      setStatus('Thanks for the feedback.');
      render();
    } catch (e) { setStatus((e as Error).message, true); }
  });
  bar.after(form);
  input.focus();
}

function rewriteForm(m: Msg, bar: HTMLElement): void {
  bar.parentElement!.querySelector('.feedback-form')?.remove();
  const form = el('form', { class: 'feedback-form rewrite', 'aria-label': 'Rewrite the answer' });
  const ta = el('textarea', { name: 'rewrite', rows: '5', 'aria-label': 'Your better answer' }) as HTMLTextAreaElement;
  ta.value = m.content;
  form.append(ta, el('button', { type: 'submit', class: 'small' }, 'Save rewrite'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await sendFeedback(m, { rewrite: ta.value });
      setStatus('Rewrite saved as preference data.');
      form.remove();
    } catch (e) { setStatus((e as Error).message, true); }
  });
  bar.after(form);
  ta.focus();
}

function editQuestion(i: number, art: HTMLElement): void {
  const form = el('form', { class: 'edit-form', 'aria-label': 'Edit question' });
  const ta = el('textarea', { rows: '3', 'aria-label': 'Edited question' }) as HTMLTextAreaElement;
  ta.value = messages[i].content;
  const cancel = el('button', { type: 'button', class: 'small' }, 'Cancel');
  cancel.addEventListener('click', () => render());
  form.append(ta, el('button', { type: 'submit', class: 'small' }, 'Save and ask'), cancel);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!ta.value.trim()) return;
    // The edited question replaces it and everything after; the stored thread keeps its history.
    messages = messages.slice(0, i);
    void ask(ta.value, false);
  });
  art.replaceChildren(form);
  ta.focus();
}

function render(): void {
  const box = $('#messages');
  box.replaceChildren(...messages.map(messageView));
  if (messages.length === 0) box.append(el('p', { class: 'empty muted' }, 'Ask something. The model thinks first; you can watch.'));
  $<HTMLButtonElement>('#send').hidden = controller !== null;
  $<HTMLButtonElement>('#stop').hidden = controller === null;
  box.scrollTop = box.scrollHeight;
}

/** Updates only the streaming message's view (cheaper than render, keeps focus). */
function renderLast(): void {
  const box = $('#messages');
  const last = box.lastElementChild;
  const view = messageView(messages[messages.length - 1], messages.length - 1);
  if (last && last.classList.contains('assistant')) {
    // Keep the user's choice to open or close the thinking block while it streams.
    const wasOpen = (last.querySelector('details') as HTMLDetailsElement | null)?.open;
    const nowDetails = view.querySelector('details') as HTMLDetailsElement | null;
    if (nowDetails && wasOpen !== undefined && messages[messages.length - 1].content === '') nowDetails.open = wasOpen;
    last.replaceWith(view);
  } else box.append(view);
  box.scrollTop = box.scrollHeight;
}

// ---- asking --------------------------------------------------------------------------------

async function ask(text: string, regenerate: boolean): Promise<void> {
  if (controller) return;
  if (!regenerate) messages.push({ role: 'user', content: text, reasoning: '', status: 'complete' });
  const answer: Msg = { role: 'assistant', content: '', reasoning: '', status: 'partial' };
  messages.push(answer);
  controller = new AbortController();
  render();
  setStatus('');
  const started = performance.now();
  let thinkEnd: number | null = null;
  const history = messages.slice(0, -1).filter((m) => m.status !== 'filtered' && m.status !== 'error')
    .map((m) => ({ role: m.role, content: m.content }));
  try {
    await streamChat(settings, {
      model: settings.model, messages: history, temperature: settings.temperature,
      thinking_budget: settings.thinkingBudget, search: settings.search, web_search: settings.webSearch,
      ...(conversationId ? { conversation_id: conversationId } : {}), ...(regenerate ? { regenerate: true } : {}),
    }, (c) => {
      if (c.conversation_id && c.conversation_id !== conversationId) { conversationId = c.conversation_id; history_replace(); }
      if (c.message_id) answer.id = c.message_id;
      if (c.user_message_id) messages[messages.length - 2].id = c.user_message_id;
      if (c.citations) answer.citations = c.citations;
      // A search that failed does not cost the answer: it comes without those sources, and says so.
      if (c.search_errors?.length) setStatus(c.search_errors.map((e) => `Web search failed: ${e.message}. Answered without it.`).join(' '), true);
      const ch = c.choices?.[0];
      if (ch?.delta?.reasoning_content) answer.reasoning += ch.delta.reasoning_content;
      if (ch?.delta?.content) {
        if (thinkEnd === null) { thinkEnd = performance.now(); answer.thinkMs = thinkEnd - started; }
        answer.content += ch.delta.content;
      }
      if (ch?.finish_reason === 'length') answer.cut = true;
      if (ch?.finish_reason === 'content_filter') {
        // Withdrawn whole, as DeepSeek's app does: the thinking shown so far goes too.
        answer.status = 'filtered';
        answer.content = '';
        answer.reasoning = '';
        const cat = c.moderation?.category;
        answer.notice = cat ? `${RETRACTED} (category: ${cat})` : RETRACTED;
      }
      renderLast();
    }, controller.signal);
    if (answer.status === 'partial') answer.status = 'complete';
  } catch (e) {
    if ((e as Error).name === 'AbortError') answer.status = 'stopped';
    else { answer.status = 'error'; setStatus(`Error: ${(e as Error).message}`, true); if (!answer.content) answer.content = `_${(e as ApiError).message}_`; }
  }
  if (answer.thinkMs === undefined && answer.reasoning) answer.thinkMs = performance.now() - started;
  controller = null;
  render();
  void refreshList();
}

function history_replace(): void {
  if (conversationId) history.replaceState(null, '', `#${conversationId}`);
}

async function regenerate(): Promise<void> {
  if (controller || messages.length === 0) return;
  if (messages[messages.length - 1].role === 'assistant') messages.pop();
  await ask('', true);
}

// ---- settings, data, layout ----------------------------------------------------------------

/** The model list: what /v1/models serves, the saved choice kept when it is served. */
async function fillModels(): Promise<void> {
  const select = $<HTMLSelectElement>('#model');
  const ids = await servedModels(settings);
  const list = ids.length ? ids : [settings.model];
  select.replaceChildren(...list.map((id) => el('option', { value: id }, id)));
  if (!list.includes(settings.model)) { settings = { ...settings, model: list[0] }; saveSettings(settings); }
  select.value = settings.model;
}

/** Search toggles the server cannot honour are shown off and disabled, with the reason. */
async function fillFeatures(): Promise<void> {
  const f = await serverFeatures();
  const toggle = (sel: string, on: boolean, why: string) => {
    const box = $<HTMLInputElement>(sel);
    box.disabled = !on;
    if (!on) { box.checked = false; box.parentElement!.title = why; }
  };
  toggle('#web-search', f.web_search, 'This server has no web search (start it with ponder serve --web-search URL).');
  toggle('#search', f.search, 'This server has no document index (build one with ponder index <folder>).');
  settings = { ...settings, search: settings.search && f.search, webSearch: settings.webSearch && f.web_search };
}

function bindSettings(): void {
  const model = $<HTMLSelectElement>('#model'), temp = $<HTMLInputElement>('#temperature'), tempOut = $('#temperature-value');
  const budget = $<HTMLInputElement>('#budget'), search = $<HTMLInputElement>('#search'), key = $<HTMLInputElement>('#apikey');
  const web = $<HTMLInputElement>('#web-search');
  web.checked = settings.webSearch;
  temp.value = String(settings.temperature); tempOut.textContent = String(settings.temperature);
  budget.value = String(settings.thinkingBudget); search.checked = settings.search; key.value = settings.apiKey;
  const update = () => {
    settings = { model: model.value || settings.model, temperature: Number(temp.value), thinkingBudget: Math.max(0, Math.floor(Number(budget.value) || 0)),
      search: search.checked, webSearch: web.checked, apiKey: key.value.trim() };
    tempOut.textContent = temp.value;
    saveSettings(settings);
  };
  for (const i of [temp, budget, key]) i.addEventListener('input', update);
  for (const i of [model, search, web]) i.addEventListener('change', update);
}

async function exportData(): Promise<void> {
  try {
    const data = await api<unknown>(settings, 'GET', '/v1/me/export');
    const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
    const a = el('a', { href: url, download: 'ponder-my-data.json' });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    setStatus('Your data was exported.');
  } catch (e) { setStatus((e as Error).message, true); }
}

async function deleteData(): Promise<void> {
  if (!confirm('Delete all your conversations, feedback and data? This cannot be undone.')) return;
  try {
    await api(settings, 'DELETE', '/v1/me');
    newChat();
    setStatus('All your data was deleted.');
  } catch (e) { setStatus((e as Error).message, true); }
}

function closeSidebar(): void {
  document.body.classList.remove('sidebar-open');
  $('#menu').setAttribute('aria-expanded', 'false');
}

function main(): void {
  bindSettings();
  void fillModels();
  void fillFeatures();
  const prompt = $<HTMLTextAreaElement>('#prompt');
  $('#composer').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = prompt.value.trim();
    if (!text) return;
    prompt.value = '';
    void ask(text, false);
  });
  prompt.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); $<HTMLFormElement>('#composer').requestSubmit(); }
  });
  $('#stop').addEventListener('click', () => controller?.abort());
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && controller) controller.abort(); });
  $('#new-chat').addEventListener('click', newChat);
  $('#export').addEventListener('click', () => void exportData());
  $('#delete').addEventListener('click', () => void deleteData());
  $('#menu').addEventListener('click', () => {
    const open = document.body.classList.toggle('sidebar-open');
    $('#menu').setAttribute('aria-expanded', String(open));
  });
  render();
  void refreshList();
  const id = location.hash.slice(1);
  if (id) void openConversation(id).catch(() => newChat());
  prompt.focus();
}

main();
