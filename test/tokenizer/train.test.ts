import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { wtf8Encode } from '../../src/tokenizer/bytes.ts';
import { preTokenize } from '../../src/tokenizer/pretokenize.ts';
import { BYTE_BASE } from '../../src/tokenizer/special.ts';
import { MIN_VOCAB, trainBpe } from '../../src/tokenizer/train.ts';
import { CORPUS, randomText, rng } from './helpers.ts';

// Reference trainer: recount every pair over every word before each merge. Same tie rule as
// ours: highest count, then smallest (a, b).
function naiveTrain(texts: string[], vocabSize: number, minFrequency: number): [number, number][] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const p of preTokenize(t)) counts.set(p, (counts.get(p) ?? 0) + 1);
  const words = [...counts].map(([p, c]) => ({ sym: [...wtf8Encode(p)].map((b) => BYTE_BASE + b), c }));
  const spell: string[] = [];
  for (let i = 0; i < BYTE_BASE; i++) spell.push(`special${i}`);
  for (let b = 0; b < 256; b++) spell.push(String.fromCharCode(b));
  const merges: [number, number][] = [];
  while (spell.length < vocabSize) {
    const pc = new Map<number, number>();
    for (const w of words) for (let i = 0; i + 1 < w.sym.length; i++) {
      const k = w.sym[i] * vocabSize + w.sym[i + 1];
      pc.set(k, (pc.get(k) ?? 0) + w.c);
    }
    let bestK = -1, bestC = 0;
    for (const [k, c] of pc) if (c > bestC || (c === bestC && k < bestK)) { bestC = c; bestK = k; }
    if (bestK < 0 || bestC < minFrequency) break;
    const a = Math.floor(bestK / vocabSize), b = bestK % vocabSize;
    let m = spell.indexOf(spell[a] + spell[b]);
    if (m < 0) { m = spell.length; spell.push(spell[a] + spell[b]); }
    merges.push([a, b]);
    for (const w of words) {
      const out: number[] = [];
      for (let i = 0; i < w.sym.length; i++) {
        if (i + 1 < w.sym.length && w.sym[i] === a && w.sym[i + 1] === b) { out.push(m); i++; } else out.push(w.sym[i]);
      }
      w.sym = out;
    }
  }
  return merges;
}

test('incremental training learns the same merges as full recounting', () => {
  const fast = trainBpe([CORPUS], 520);
  assert.deepEqual(fast.merges, naiveTrain([CORPUS], 520, 2));
  // Random text repeats few pairs: exercises ties, reused ids and the early stop.
  const r = rng(5);
  const texts = Array.from({ length: 20 }, () => randomText(r, 60));
  assert.deepEqual(trainBpe(texts, 400, { minFrequency: 1 }).merges, naiveTrain(texts, 400, 1));
});

test('digits are never merged with anything', () => {
  const tok = trainBpe([CORPUS + ' 1234567890 2024 2025 999 '.repeat(50)], 700);
  for (let id = MIN_VOCAB; id < tok.vocabSize; id++) {
    assert.ok(!/[0-9]/.test(String.fromCharCode(...tok.tokens[id])), `token ${tok.piece(id)} holds a digit`);
  }
  const ids = tok.encode('12345678901234567890');
  assert.equal(ids.length, 20);
  assert.deepEqual(ids.map((id) => tok.decode([id])), [...'12345678901234567890']);
  // Other decimal digits (Arabic-Indic, Devanagari) also come one character per piece.
  assert.deepEqual(preTokenize('x١٢३45'), ['x', '١', '٢', '३', '4', '5']);
});

test('training stops when pairs run out and is deterministic', () => {
  const tok = trainBpe(['aaab aaab abab'], 10000);
  assert.ok(tok.vocabSize < 10000 && tok.vocabSize > MIN_VOCAB);
  assert.deepEqual(trainBpe([CORPUS], 600).merges, trainBpe([CORPUS], 600).merges);
  assert.equal(trainBpe([CORPUS], 500).vocabSize, 500);
});

test('training from files, ill-formed UTF-8 included', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-tok-'));
  try {
    const bad = new Uint8Array([...new TextEncoder().encode('caf\u00e9 caf'), 0xe9, 0xff, 0x20, 0xc3, ...new TextEncoder().encode(' end end end')]);
    writeFileSync(join(dir, 'a.txt'), CORPUS);
    writeFileSync(join(dir, 'b.bin'), bad);
    const tok = trainBpe({ files: [join(dir, 'a.txt'), join(dir, 'b.bin')] }, 600);
    assert.deepEqual(tok.decodeBytes(tok.encode(bad)), bad);
    assert.equal(tok.decode(tok.encode(CORPUS)), CORPUS);
    assert.throws(() => trainBpe({ files: [join(dir, 'missing.txt')] }, 600), { name: 'PonderError', message: /missing\.txt/ });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad training arguments are PonderErrors', () => {
  assert.throws(() => trainBpe([CORPUS], 100), { name: 'PonderError', message: /vocab size 100/ });
  assert.throws(() => trainBpe([CORPUS], 512.5), { name: 'PonderError' });
  assert.throws(() => trainBpe([CORPUS], 600, { minFrequency: 0 }), { name: 'PonderError' });
  assert.throws(() => trainBpe([42 as unknown as string], 600), { name: 'PonderError' });
});
