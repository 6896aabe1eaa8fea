import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transformer } from '../../src/model/transformer.ts';
import { validateConfig, type ModelConfig } from '../../src/model/config.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { trainStep, paramGroups } from '../../src/train/step.ts';
import { noGrad, withScope } from '../../src/tensor/index.ts';
import { assertClose } from '../helpers.ts';

const tiny: ModelConfig = validateConfig({
  vocab_size: 32, d_model: 32, n_layers: 2, n_heads: 4, n_kv_heads: 2, d_ff: 64, max_seq_len: 32,
});

function ids(n: number, seed: number, V = 32): Int32Array {
  let s = seed;
  return Int32Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) % 2147483648) % V);
}

test('KV-cache decoding gives the logits of a full recomputation', () => {
  const m = new Transformer(tiny, 1);
  const T = 10, seq = ids(T, 7);
  noGrad(() => withScope(() => {
    const full = m.forward(seq, 1, T).data;
    const cache = m.newCache(1, 16);
    // Prefill 4 tokens, then one token at a time.
    const pre = m.forward(seq.subarray(0, 4), 1, 4, { cache });
    assertClose(pre.data, full.subarray(0, 4 * 32), 1e-5, 1e-4, 'prefill');
    for (let t = 4; t < T; t++) {
      const step = m.forward(seq.subarray(t, t + 1), 1, 1, { cache });
      assertClose(step.data, full.subarray(t * 32, (t + 1) * 32), 1e-5, 1e-4, `position ${t}`);
    }
  }));
});

test('a left-padded batch gives each row the logits it gets alone', () => {
  const m = new Transformer(tiny, 2);
  const a = ids(6, 3), b = ids(3, 4);
  noGrad(() => withScope(() => {
    const la = m.forward(a, 1, 6).data, lb = m.forward(b, 1, 3).data;
    const batch = new Int32Array(12);
    batch.set(a, 0);
    batch.set(b, 6 + 3); // three pad positions (id 0) before b
    const out = m.forward(batch, 2, 6, { keyStart: Int32Array.from([0, 3]) }).data;
    assertClose(out.subarray(0, 6 * 32), la, 1e-5, 1e-4, 'row 0');
    assertClose(out.subarray((6 + 3) * 32, 12 * 32), lb, 1e-5, 1e-4, 'row 1');
  }));
});

function trainRun(steps: number, seed: number): number[] {
  const m = new Transformer(tiny, seed);
  const opt = new AdamW(paramGroups(m, 0.1));
  // A periodic sequence: learnable, so the loss must fall well below log(32) = 3.47.
  const B = 4, T = 16;
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
    inputs[b * T + t] = (b + t * 3) % 7;
    targets[b * T + t] = (b + (t + 1) * 3) % 7;
  }
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(trainStep(m, opt, [{ inputs, targets, B, T }], 3e-3).loss);
  return losses;
}

test('training lowers the loss, and the same seed gives the same losses bit for bit', () => {
  const a = trainRun(60, 5), b = trainRun(60, 5);
  assert.deepEqual(a, b);
  assert.ok(a[0] > 3, `initial loss ${a[0]} should be near log(32)`);
  assert.ok(a[59] < 0.5, `loss after 60 steps ${a[59]} should be below 0.5`);
});

test('bad configs are refused with a message naming the key', () => {
  assert.throws(() => validateConfig({ ...tiny, n_heads: 5 }), /d_model 32 is not divisible by n_heads 5/);
  assert.throws(() => validateConfig({ ...tiny, vocab_size: -1 }), /"vocab_size" must be a positive integer/);
  assert.throws(() => validateConfig({ ...tiny, n_kv_heads: 3 }), /not a multiple of n_kv_heads/);
  assert.throws(() => validateConfig({ ...tiny, d_model: 1 << 20, n_heads: 1, n_kv_heads: 1 }), /will not fit/);
  assert.throws(() => new Transformer(tiny).forward(ids(40, 1), 1, 40), /longer than the context of 32/);
});

test('continuous-batching decodeStep gives each sequence the logits of its own full recomputation', () => {
  const m = new Transformer(tiny, 8);
  const seqs = [ids(7, 21), ids(3, 22), ids(5, 23)];
  noGrad(() => withScope(() => {
    const caches = seqs.map((s) => {
      const c = m.newCache(1, 16);
      m.forward(s.subarray(0, s.length - 1), 1, s.length - 1, { cache: c });
      return c;
    });
    // All three decode their last token together, though they sit at different positions.
    const out = m.decodeStep(Int32Array.from(seqs.map((s) => s[s.length - 1])), caches).data;
    seqs.forEach((s, r) => {
      const full = m.forward(s, 1, s.length).data;
      assertClose(out.subarray(r * 32, (r + 1) * 32), full.subarray((s.length - 1) * 32), 1e-5, 1e-4, `sequence ${r}`);
    });
  }));
});

test('gradient accumulation over two half batches equals one step on the whole batch', () => {
  const B = 4, T = 8;
  const inputs = ids(B * T, 31), targets = ids(B * T, 32);
  const half = (i: number) => ({ inputs: inputs.subarray(i * 2 * T, (i + 1) * 2 * T), targets: targets.subarray(i * 2 * T, (i + 1) * 2 * T), B: 2, T });
  const whole = new Transformer(tiny, 9), accum = new Transformer(tiny, 9);
  const r1 = trainStep(whole, new AdamW(paramGroups(whole, 0.1)), [{ inputs, targets, B, T }], 1e-2);
  const r2 = trainStep(accum, new AdamW(paramGroups(accum, 0.1)), [half(0), half(1)], 1e-2);
  assert.ok(Math.abs(r1.loss - r2.loss) < 1e-5 && Math.abs(r1.gradNorm - r2.gradNorm) < 1e-4 * r1.gradNorm);
  // The (clipped) gradients the update used are still in .grad.
  whole.parameters().forEach((p, i) => assertClose(accum.parameters()[i].grad!.data, p.grad!.data, 1e-7, 1e-4, `gradient ${i}`));
});
