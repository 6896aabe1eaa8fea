// The GGUF container: files written by the independent test writer (gguf-ref.ts) read back exactly,
// ponder's writer round-trips every metadata type and tensor type, and every kind of broken file
// is one PonderError naming the file and the fault.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGguf, kv, GGUF_TYPE, type GgufKV } from '../../src/io/gguf.ts';
import { writeGguf } from '../../src/io/gguf-write.ts';
import { GGML_TYPE, quantize, dequantize } from '../../src/quant/blocks.ts';
import { PonderError } from '../../src/errors.ts';
import { refGguf, f32Bytes, type RefValue } from './gguf-ref.ts';
import { randn } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'ponder-gguf-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (bytes: Uint8Array) => { const p = join(dir, `f${n++}.gguf`); writeFileSync(p, bytes); return p; };

test('reads every metadata type and F32 tensors from the independent writer', () => {
  const kvs: [string, RefValue][] = [
    ['a.u8', [0, 200]], ['a.i8', [1, -100]], ['a.u16', [2, 60000]], ['a.i16', [3, -30000]],
    ['a.u32', [4, 4000000000]], ['a.i32', [5, -2000000000]], ['a.f32', [6, 0.25]], ['a.bool', [7, true]],
    ['a.str', [8, 'héllo ✓']], ['a.u64', [10, 2n ** 40n]], ['a.i64', [11, -(2n ** 40n)]], ['a.f64', [12, Math.PI]],
    ['a.arr', [9, [8, ['x', '', 'zz']]]], ['a.nested', [9, [9, [[5, [1, 2]], [8, ['q']]]]]], ['a.empty', [9, [6, []]]],
    ['general.alignment', [4, 64]],
  ];
  const w = randn(6 * 4, 1), b = randn(3, 2);
  const p = file(refGguf(kvs, [
    { name: 'w', ne: [4, 6], type: 0, bytes: f32Bytes(w) },
    { name: 'b', ne: [3], type: 0, bytes: f32Bytes(b) },
  ], 64));
  const g = openGguf(p);
  try {
    const m = g.metadata;
    assert.equal(g.version, 3);
    assert.equal(g.alignment, 64);
    assert.equal(m.number('a.u8'), 200); assert.equal(m.number('a.i8'), -100);
    assert.equal(m.number('a.u16'), 60000); assert.equal(m.number('a.i16'), -30000);
    assert.equal(m.number('a.u32'), 4000000000); assert.equal(m.number('a.i32'), -2000000000);
    assert.equal(m.number('a.f32'), 0.25); assert.equal(m.bool('a.bool'), true);
    assert.equal(m.string('a.str'), 'héllo ✓'); assert.equal(m.number('a.u64'), 2 ** 40); assert.equal(m.number('a.i64'), -(2 ** 40));
    assert.equal(m.number('a.f64'), Math.PI);
    assert.deepEqual(m.array('a.arr', [GGUF_TYPE.STRING]), ['x', '', 'zz']);
    assert.deepEqual(m.entries.get('a.nested')!.value, { itemType: 9, items: [{ itemType: 5, items: [1, 2] }, { itemType: 8, items: ['q'] }] });
    assert.deepEqual(m.array('a.empty', [GGUF_TYPE.FLOAT32]), []);
    assert.throws(() => m.string('a.u8'), /a\.u8" is a u8, expected a string/);
    assert.throws(() => m.array('a.arr', [GGUF_TYPE.INT32]), /array of string, expected i32/);
    assert.deepEqual(g.tensors.map((t) => [t.name, t.shape, t.ne]), [['w', [6, 4], [4, 6]], ['b', [3], [3]]]);
    assert.equal(g.dataOffset % 64, 0);
    assert.equal(g.tensors[1].fileOffset - g.tensors[0].fileOffset, 128); // 96 bytes padded to 64
    assert.deepEqual(g.readF32(g.tensor('w')), w);
    assert.deepEqual(g.readF32(g.tensor('b')), b);
  } finally { g.close(); }
});

test('ponder\'s writer round-trips metadata and every tensor type; the file matches the independent writer byte for byte', () => {
  const metadata: [string, GgufKV][] = [
    ['general.architecture', kv.str('llama')], ['x.u32', kv.u32(7)], ['x.f32', kv.f32(1e-5)], ['x.b', kv.bool(false)],
    ['x.u64', kv.u64(12)], ['x.toks', kv.strArray(['a', 'b c'])], ['x.ids', kv.i32Array([-1, 5])],
    ['x.i8', { type: GGUF_TYPE.INT8, value: -3 }], ['x.f64', { type: GGUF_TYPE.FLOAT64, value: 0.1 }],
  ];
  const x = randn(2 * 512, 3, 0.1);
  const types = [GGML_TYPE.F32, GGML_TYPE.F16, GGML_TYPE.BF16, GGML_TYPE.Q8_0, GGML_TYPE.Q4_0, GGML_TYPE.Q4_K, GGML_TYPE.Q6_K];
  const tensors = types.map((type, i) => ({ name: `t${i}`, shape: [2, 512], type, data: quantize(type, x) }));
  const p = join(dir, 'mine.gguf');
  writeGguf(p, { metadata, tensors });
  const g = openGguf(p);
  try {
    for (const [k, v] of metadata) {
      const got = g.metadata.entries.get(k)!;
      assert.equal(got.type, v.type, k);
      if (v.type === GGUF_TYPE.FLOAT32) assert.equal(got.value, v.value); // read back as the shortest decimal of the f32
      else assert.deepEqual(got.value, v.value, k);
    }
    types.forEach((type, i) => {
      const t = g.tensor(`t${i}`);
      assert.equal(t.type, type);
      assert.deepEqual(t.shape, [2, 512]);
      assert.deepEqual(g.readBytes(t), Buffer.from(tensors[i].data));
      assert.deepEqual(g.readF32(t), dequantize(type, tensors[i].data, 1024));
    });
  } finally { g.close(); }
  const ref = refGguf([
    ['general.architecture', [8, 'llama']], ['x.u32', [4, 7]], ['x.f32', [6, 1e-5]], ['x.b', [7, false]], ['x.u64', [10, 12n]],
    ['x.toks', [9, [8, ['a', 'b c']]]], ['x.ids', [9, [5, [-1, 5]]]], ['x.i8', [1, -3]], ['x.f64', [12, 0.1]],
  ], tensors.map((t) => ({ name: t.name, ne: [512, 2], type: t.type, bytes: t.data })));
  assert.deepEqual(readFileSync(p), Buffer.from(ref));
});

test('tensor bytes are read by range: a file larger than any buffer opens and reads', () => {
  // A sparse file with a 3 GiB hole before its one small tensor: reading it whole would fail.
  const big = 3 * 2 ** 30;
  const tail = f32Bytes([1, 2, 3, 4, 5, 6, 7, 8]);
  const bytes = refGguf([], [{ name: 'far', ne: [8], type: 0, bytes: tail }]);
  // Move the tensor 3 GiB into the data section (its offset field follows name, n_dims, ne and type).
  const offAt = Buffer.from(bytes).indexOf(Buffer.from('far')) + 3 + 4 + 8 + 4;
  new DataView(bytes.buffer).setBigUint64(offAt, BigInt(big), true);
  const p = join(dir, 'sparse.gguf');
  writeFileSync(p, bytes.subarray(0, bytes.length - 32));
  const fd = openSync(p, 'r+');
  const dataStart = bytes.length - 32;
  ftruncateSync(fd, dataStart + big + 32);
  writeSync(fd, tail, 0, 32, dataStart + big);
  closeSync(fd);
  assert.ok(statSync(p).size > 2 ** 31);
  const g = openGguf(p);
  try { assert.deepEqual([...g.readF32(g.tensor('far'))], [1, 2, 3, 4, 5, 6, 7, 8]); } finally { g.close(); }
});

function expectError(bytes: Uint8Array, re: RegExp): void {
  const p = file(bytes);
  assert.throws(() => openGguf(p), (e: unknown) => {
    assert.ok(e instanceof PonderError, String(e));
    assert.ok(e.message.includes(p), `names the file: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

test('broken files: one clear error naming the file and the fault', () => {
  const good = refGguf([['general.architecture', [8, 'llama']], ['t.arr', [9, [5, [1, 2, 3]]]]], [
    { name: 'a', ne: [32, 2], type: 0, bytes: f32Bytes(new Float32Array(64)) },
    { name: 'b', ne: [32], type: 8, bytes: new Uint8Array(34) },
  ]);
  const patch = (at: number, f: (d: DataView) => void) => { const b = good.slice(); f(new DataView(b.buffer, at)); return b; };
  const find = (s: string) => Buffer.from(good).indexOf(Buffer.from(s));
  expectError(new TextEncoder().encode('GGML...........................'), /not a GGUF file \(magic/);
  expectError(patch(4, (d) => d.setUint32(0, 1, true)), /GGUF version 1 is not supported/);
  expectError(patch(4, (d) => d.setUint32(0, 3, false)), /a big-endian GGUF file/);
  expectError(good.subarray(0, 2), /truncated: 2 bytes/);
  expectError(good.subarray(0, 30), /file's 30 bytes can hold \(truncated/);
  expectError(good.subarray(0, good.length - 40), /tensor "b" needs bytes \[256, 290\) of the data section, which holds 280 \(truncated/);
  expectError(patch(8, (d) => d.setBigUint64(0, 10n ** 9n, true)), /claims 1000000000 tensors/);
  expectError(patch(16, (d) => d.setBigUint64(0, 10n ** 9n, true)), /claims 1000000000 metadata entries/);
  expectError(patch(find('t.arr') + 5 + 4 + 4, (d) => d.setBigUint64(0, 10n ** 6n, true)), /metadata "t\.arr" claims 1000000 items/);
  expectError(patch(find('general.architecture') + 20 + 4, (d) => d.setBigUint64(0, 10n ** 6n, true)), /metadata "general\.architecture" claims 1000000 bytes .* past the end/);
  expectError(patch(find('t.arr') + 5, (d) => d.setUint32(0, 13, true)), /metadata "t\.arr" has unknown value type 13/);
  // Tensor "a": name, n_dims, ne[0], ne[1], type, offset follow its name.
  const a = find('a\x02\x00\x00\x00') + 1;
  expectError(patch(a, (d) => d.setUint32(0, 5, true)), /tensor "a" has 5 dimensions/);
  expectError(patch(a + 4 + 8, (d) => d.setBigUint64(0, 4n, true)), /overlap|tensor "a" needs bytes/); // a shape that does not fit
  expectError(patch(a + 4, (d) => d.setBigUint64(0, 33n, true)), /tensor "a" needs bytes|overlap/);
  expectError(patch(a + 20, (d) => d.setUint32(0, 99, true)), /tensor "a".*unknown tensor type id 99/);
  expectError(patch(a + 20, (d) => d.setUint32(0, 10, true)), /tensor "a".*Q2_K \(10\) is not supported/);
  expectError(patch(a + 24, (d) => d.setBigUint64(0, 16n, true)), /tensor "a" offset 16 is not a multiple of the alignment 32/);
  expectError(patch(a + 24, (d) => d.setBigUint64(0, 256n, true)), /tensors "a" and "b" overlap|tensor "a" needs bytes/);
  const b0 = find('b\x01\x00\x00\x00') + 1;
  expectError(good.subarray(0, b0 + 8), new RegExp(`truncated: dimension 0 of tensor "b" at byte ${b0 + 4} needs 8 bytes, but the file ends at ${b0 + 8}`));
  expectError(patch(b0 + 4, (d) => d.setBigUint64(0, 31n, true)), /tensor "b" rows of 31 values do not fill whole Q8_0 blocks of 32/);
  expectError(refGguf([['k', [4, 1]], ['k', [4, 2]]], []), /metadata key "k" appears twice/);
  expectError(refGguf([['b', [7, 2]]], []), /metadata "b" is a bool holding 2/);
  expectError(refGguf([['general.alignment', [4, 24]]], []), /general\.alignment 24 is not a power of two/);
  expectError(refGguf([], [{ name: 'x', ne: [1], type: 0, bytes: f32Bytes([1]) }, { name: 'x', ne: [1], type: 0, bytes: f32Bytes([1]) }]), /tensor "x" appears twice/);
  assert.throws(() => openGguf(join(dir, 'missing.gguf')), /missing\.gguf: cannot open \(ENOENT\)/);
});

test('the writer refuses inconsistent input and leaves no file behind', () => {
  const p = join(dir, 'bad.gguf');
  assert.throws(() => writeGguf(p, { metadata: [], tensors: [{ name: 'w', shape: [2, 32], type: GGML_TYPE.Q8_0, data: new Uint8Array(10) }] }),
    /bad\.gguf: tensor "w" \(Q8_0, shape \[2,32\]\) needs 68 bytes, got 10/);
  assert.throws(() => writeGguf(p, { metadata: [], tensors: [{ name: 'w', shape: [2, 33], type: GGML_TYPE.Q8_0, data: new Uint8Array(10) }] }),
    /33 values do not fill whole Q8_0 blocks/);
  assert.throws(() => writeGguf(p, { metadata: [['general.alignment', kv.u32(3)]], tensors: [] }), /power of two/);
  assert.throws(() => writeGguf(p, { metadata: [['k', kv.u32(1)], ['k', kv.u32(2)]], tensors: [] }), /"k" given twice/);
  assert.throws(() => statSync(p), /ENOENT/);
  // A write that fails part-way (here: a tensor's bytes are the wrong size) leaves the old file whole.
  const good = join(dir, 'keep.gguf');
  writeGguf(good, { metadata: [['a', kv.u32(1)]], tensors: [{ name: 'w', shape: [32], type: GGML_TYPE.F32, data: new Uint8Array(128) }] });
  const before = readFileSync(good);
  assert.throws(() => writeGguf(good, { metadata: [['a', kv.u32(2)]], tensors: [
    { name: 'w', shape: [32], type: GGML_TYPE.F32, data: new Uint8Array(128) },
    { name: 'v', shape: [32], type: GGML_TYPE.F32, data: () => new Uint8Array(4) },
  ] }), /tensor "v" \(F32, shape \[32\]\) needs 128 bytes, got 4/);
  assert.deepEqual(readFileSync(good), before);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), []);
});
