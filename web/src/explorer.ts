// The next-word explorer: a language model only predicts the next token. Type a text, see the
// model's top-10 next tokens as bars (temperature applied to their log-probabilities), click one
// to append it, or let the model sample step by step. `<think>` tokens are shown distinctly.
import { api, loadSettings, servedModel } from './api.ts';

interface Top { token: string; logprob: number }
interface Completion {
  choices: { message?: { content?: string | null; reasoning_content?: string | null };
    logprobs?: { content?: { token: string; logprob: number; top_logprobs?: Top[] }[] } | null }[];
}

const $ = <T extends HTMLElement>(sel: string) => document.querySelector(sel) as T;
const settings = loadSettings();
let continuation = '';
let current: { token: string; p: number }[] = [];
let stepping = false;

/** Probabilities over the top tokens at temperature T: softmax(logprob / T), renormalised. */
export function withTemperature(top: Top[], T: number): { token: string; p: number }[] {
  if (top.length === 0) return [];
  const t = Math.max(T, 1e-3);
  const m = Math.max(...top.map((x) => x.logprob / t));
  const w = top.map((x) => Math.exp(x.logprob / t - m));
  const z = w.reduce((a, b) => a + b, 0);
  return top.map((x, i) => ({ token: x.token, p: w[i] / z }));
}

const isThink = (tok: string) => /<\/?think>/.test(tok);
const shown = (tok: string) => tok.replace(/\n/g, '⏎').replace(/ /g, '·') || '∅';

function renderText(): void {
  const out = $('#continuation');
  out.replaceChildren();
  // Think tags stand out; the rest is plain text.
  for (const part of continuation.split(/(<\/?think>)/)) {
    if (!part) continue;
    const span = document.createElement('span');
    if (isThink(part)) span.className = 'think-token';
    span.textContent = part;
    out.append(span);
  }
}

function renderBars(): void {
  const list = $('#bars');
  list.replaceChildren(...current.map(({ token, p }) => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.className = 'bar' + (isThink(token) ? ' think-token' : '');
    b.setAttribute('aria-label', `Append ${JSON.stringify(token)} (${(100 * p).toFixed(1)}%)`);
    b.dataset.token = token;
    const label = document.createElement('span');
    label.className = 'tok';
    label.textContent = shown(token);
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    const pct = document.createElement('span');
    pct.className = 'pct';
    pct.textContent = `${(100 * p).toFixed(1)}%`;
    b.append(label, fill, pct);
    b.addEventListener('click', () => void append(token));
    li.append(b);
    return li;
  }));
}

async function predict(): Promise<void> {
  const text = $<HTMLTextAreaElement>('#text').value;
  if (!text.trim()) { current = []; renderBars(); return; }
  const T = Number($<HTMLInputElement>('#temp').value);
  // The continuation so far, even empty, is an assistant prefix (DeepSeek's chat prefix
  // completion): the server then gives log-probabilities for every token, <think> included.
  const messages: Record<string, unknown>[] = [{ role: 'user', content: text }, { role: 'assistant', content: continuation, prefix: true }];
  $('#status').textContent = 'Predicting…';
  try {
    const r = await api<Completion>(settings, 'POST', '/v1/chat/completions', {
      model: settings.model, messages, max_tokens: 1, logprobs: true, top_logprobs: 10, temperature: T, stream: false, store: false,
    });
    const top = r.choices[0]?.logprobs?.content?.[0]?.top_logprobs ?? [];
    current = withTemperature(top, T).sort((a, b) => b.p - a.p);
    $('#status').textContent = top.length ? '' : 'The server returned no log-probabilities.';
  } catch (e) {
    current = [];
    $('#status').textContent = `Error: ${(e as Error).message}`;
  }
  renderBars();
}

async function append(token: string): Promise<void> {
  continuation += token;
  renderText();
  await predict();
}

function sample(): string | null {
  if (current.length === 0) return null;
  let r = Math.random();
  for (const c of current) { r -= c.p; if (r <= 0) return c.token; }
  return current[current.length - 1].token;
}

async function stepByStep(n: number): Promise<void> {
  if (stepping) { stepping = false; return; }
  stepping = true;
  $('#play').textContent = 'Stop';
  for (let i = 0; i < n && stepping; i++) {
    if (current.length === 0) await predict();
    const tok = sample();
    if (tok === null) break;
    await append(tok);
    await new Promise((r) => setTimeout(r, 250));
  }
  stepping = false;
  $('#play').textContent = 'Sample 20 steps';
}

function main(): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  $('#text').addEventListener('input', () => {
    continuation = '';
    renderText();
    clearTimeout(timer);
    timer = setTimeout(() => void predict(), 300);
  });
  $('#temp').addEventListener('input', () => { $('#temp-value').textContent = $<HTMLInputElement>('#temp').value; void predict(); });
  $('#predict').addEventListener('click', () => void predict());
  $('#step').addEventListener('click', async () => { if (current.length === 0) await predict(); const t = sample(); if (t !== null) await append(t); });
  $('#play').addEventListener('click', () => void stepByStep(20));
  $('#reset').addEventListener('click', () => { continuation = ''; renderText(); void predict(); });
  void servedModel(settings).then((m) => { settings.model = m; return predict(); });
}

main();
