import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeHalves, floatTensor, floatToHalf, halfToFloat, widenHalvesInto, intTensor, parseSafetensors, readSafetensors, writeSafetensors,
} from '../../src/io/safetensors.ts';
import { PonderError } from '../../src/errors.ts';
import { REF_DIR, runPython, torchMissingReason } from '../../bench/ref/torch_env.ts';

const dir = mkdtempSync(join(tmpdir(), 'ponder-st-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// Deterministic values (xorshift) so failures reproduce.
function randomF32(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = (s / 4294967296 - 0.5) * 8;
  }
  return out;
}

/** Builds a file by hand from a header object and a data buffer (for corrupt-file tests). */
function rawFile(header: unknown, data: Uint8Array, headerLen?: bigint): Buffer {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLen ?? BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

const bits = (a: Float32Array) => Array.from(new Int32Array(a.buffer, a.byteOffset, a.length));

test('round trip: F32 and I32 tensors, scalar, empty, metadata', () => {
  const path = join(dir, 'rt.safetensors');
  const w = randomF32(3 * 5, 7);
  const special = new Float32Array([0, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38]);
  const ids = new Int32Array([1, -2, 2147483647, -2147483648]);
  writeSafetensors(path, {
    'model.layers.0.w': { shape: [3, 5], data: w },
    special: { shape: [7], data: special },
    scalar: { shape: [], data: new Float32Array([2.5]) },
    empty: { shape: [0, 4], data: new Float32Array(0) },
    ids: { shape: [2, 2], data: ids },
    view: { shape: [2], data: w.subarray(3, 5) }, // a subarray with a byte offset
  }, { step: '12', 'ünïcode': '✓' });

  const raw = readFileSync(path);
  assert.equal((8 + Number(raw.readBigUInt64LE(0))) % 8, 0, 'data starts 8-byte aligned');
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temp file left');

  const st = readSafetensors(path);
  assert.deepEqual(st.metadata, { step: '12', 'ünïcode': '✓' });
  const t = floatTensor(st, 'model.layers.0.w');
  assert.deepEqual(t.shape, [3, 5]);
  assert.equal(t.dtype, 'F32');
  assert.deepEqual(bits(t.data), bits(w));
  assert.deepEqual(bits(floatTensor(st, 'special').data), bits(special));
  assert.deepEqual(floatTensor(st, 'scalar').shape, []);
  assert.equal(floatTensor(st, 'scalar').data[0], 2.5);
  assert.equal(floatTensor(st, 'empty').data.length, 0);
  assert.deepEqual(Array.from(intTensor(st, 'ids').data), Array.from(ids));
  assert.deepEqual(Array.from(floatTensor(st, 'view').data), Array.from(w.subarray(3, 5)));
  assert.throws(() => floatTensor(st, 'ids'), /holds integers/);
  assert.throws(() => intTensor(st, 'nope'), /no tensor "nope"/);
});

test('overwrite is atomic: the old file stays whole when the write fails', () => {
  const path = join(dir, 'atomic.safetensors');
  writeSafetensors(path, { a: { shape: [2], data: new Float32Array([1, 2]) } });
  assert.throws(
    () => writeSafetensors(path, { a: { shape: [3], data: new Float32Array([1, 2]) } }),
    (e: unknown) => e instanceof PonderError && /shape \[3\]/.test(e.message) && e.message.includes(path),
  );
  assert.deepEqual(Array.from(floatTensor(readSafetensors(path), 'a').data), [1, 2]);
  assert.throws(() => writeSafetensors(join(dir, 'no-such-dir', 'x.safetensors'), {}), /cannot write/);
});

test('halfToFloat decodes binary16 exactly', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x0400), 2 ** -14);
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  assert.ok(Object.is(halfToFloat(0x8000), -0));
});

test('corrupt and truncated files are PonderErrors naming the file and the fault', () => {
  const f4 = new Uint8Array(16);
  const ok = { a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };
  const cases: [string, Uint8Array, RegExp][] = [
    ['short', new Uint8Array(5), /truncated/],
    ['hugelen', rawFile(ok, f4, 1n << 40n), /header length \d+ is past the end/],
    ['badjson', (() => { const b = rawFile(ok, f4); b[9] = 0x7b; b[10] = 0x7b; return b; })(), /not valid JSON/],
    ['array', rawFile([1, 2], f4), /not a JSON object/],
    ['pastend', rawFile(ok, f4.subarray(0, 12)), /run past the end .*truncated/],
    ['overlap', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f4), /"a" \[0, 8\] and "b" \[4, 12\] overlap/],
    ['dtype', rawFile({ a: { dtype: 'Q4', shape: [4], data_offsets: [0, 16] } }, f4), /unknown dtype "Q4"/],
    ['f64', rawFile({ a: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }, f4), /dtype F64, which ponder does not read/],
    ['size', rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, f4), /needs 12 bytes but data_offsets \[0, 16\] hold 16/],
    ['shape', rawFile({ a: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, f4), /bad shape/],
    ['reversed', rawFile({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, f4), /end before they begin/],
    ['offsets', rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0] } }, f4), /bad data_offsets/],
    ['meta', rawFile({ __metadata__: { n: 3 }, ...ok }, f4), /__metadata__ value for "n" is not a string/],
    ['i64range', rawFile({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(new BigInt64Array([1n << 40n]).buffer)), /outside the 32-bit range/],
  ];
  for (const [name, bytes, re] of cases) {
    const path = join(dir, `${name}.safetensors`);
    writeFileSync(path, bytes);
    assert.throws(() => readSafetensors(path), (e: unknown) => {
      assert.ok(e instanceof PonderError, `${name}: ${String(e)}`);
      assert.match(e.message, re, name);
      assert.ok(e.message.includes(path), `${name}: message names the file`);
      return true;
    });
  }
  assert.throws(() => readSafetensors(join(dir, 'missing.safetensors')), /cannot read \(ENOENT\)/);
  // Sanity: the well-formed base case parses.
  assert.deepEqual(floatTensor(parseSafetensors(rawFile(ok, f4)), 'a').shape, [2, 2]);
});

const skip = torchMissingReason();

test('cross-check: a file we write is read by the independent python reader', { skip: skip ?? false }, async () => {
  const path = join(dir, 'ts.safetensors');
  const w = randomF32(4 * 6, 99);
  const special = new Float32Array([NaN, -0, Infinity, -Infinity, 1e-45]);
  const ids = new Int32Array([3, 1, 4, 1, 5, -9]);
  writeSafetensors(path, {
    w: { shape: [4, 6], data: w },
    special: { shape: [5], data: special },
    ids: { shape: [2, 3], data: ids },
    empty: { shape: [0], data: new Float32Array(0) },
  }, { author: 'ponder', 'ü': '✓' });
  const json = join(dir, 'ts.json');
  await runPython(join(REF_DIR, 'safetensors_check.py'), ['dump', '--in', path, '--out', json]);
  const d = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(d.metadata, { author: 'ponder', 'ü': '✓' });
  assert.deepEqual(Object.keys(d.tensors).sort(), ['empty', 'ids', 'special', 'w']);
  assert.deepEqual(d.tensors.w, { dtype: 'F32', shape: [4, 6], bits: bits(w) });
  assert.deepEqual(d.tensors.special, { dtype: 'F32', shape: [5], bits: bits(special) });
  assert.deepEqual(d.tensors.ids, { dtype: 'I32', shape: [2, 3], bits: Array.from(ids) });
  assert.deepEqual(d.tensors.empty, { dtype: 'F32', shape: [0], bits: [] });
});

test('cross-check: a file python writes (F32, F16, BF16, I32, I64) is read by us', { skip: skip ?? false }, async () => {
  const path = join(dir, 'py.safetensors');
  await runPython(join(REF_DIR, 'safetensors_check.py'), ['fixture', '--out', path]);
  const st = readSafetensors(path);
  assert.deepEqual(st.metadata, { format: 'pt', note: 'written by safetensors_check.py ✓' });
  const f32 = floatTensor(st, 'f32');
  assert.deepEqual(Array.from(f32.data.subarray(0, 4)), [0, -0, 1, -2.5]);
  assert.ok(Object.is(f32.data[1], -0));
  assert.deepEqual(Array.from(f32.data.subarray(4, 9)), [3.4028234663852886e38, 1.401298464324817e-45, 1.1754943508222875e-38, Infinity, -Infinity]);
  assert.ok(Number.isNaN(f32.data[9]));
  assert.deepEqual(floatTensor(st, 'f32_matrix').shape, [3, 4, 5]);
  assert.deepEqual(floatTensor(st, 'scalar').shape, []);
  assert.equal(floatTensor(st, 'scalar').data[0], 7.25);
  assert.deepEqual(floatTensor(st, 'empty').shape, [0, 3]);
  // Our F16/BF16 widening must agree bit for bit with torch's .float().
  for (const [h, ref] of [['f16', 'f16_as_f32'], ['bf16', 'bf16_as_f32']]) {
    const a = floatTensor(st, h), b = floatTensor(st, ref);
    assert.equal(a.dtype, h.toUpperCase());
    assert.deepEqual(a.shape, b.shape);
    assert.deepEqual(bits(a.data), bits(b.data), h);
  }
  const i32 = intTensor(st, 'i32');
  assert.deepEqual(i32.shape, [2, 3]);
  assert.deepEqual(Array.from(i32.data), [0, 1, -1, 2147483647, -2147483648, 42]);
  const i64 = intTensor(st, 'i64');
  assert.equal(i64.dtype, 'I64');
  assert.deepEqual(Array.from(i64.data), [5, -7, 2147483647, -2147483648, 0]);
});

test('f16: every half widens and narrows back to itself; ties round to even; bf16 likewise', () => {
  const f = new Float32Array(1), bits = new Uint32Array(f.buffer);
  for (let h = 0; h < 65536; h++) {
    const v = halfToFloat(h);
    if (Number.isNaN(v)) continue;
    f[0] = v;
    assert.equal(floatToHalf(bits[0]), h, `half 0x${h.toString(16)}`);
  }
  // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa (1).
  f[0] = 1 + 2 ** -11;
  assert.equal(floatToHalf(bits[0]), 0x3c00);
  f[0] = 1 + 3 * 2 ** -11;
  assert.equal(floatToHalf(bits[0]), 0x3c02);
  f[0] = 70000; // beyond f16's range
  assert.equal(floatToHalf(bits[0]), 0x7c00);
  // bf16 through the writer's encoder and the reader's widening: exact halfway cases go to even.
  // Reference: 8 significant bits by arithmetic, halfway cases to the even multiple of the ulp.
  const bf16 = (v: number) => {
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(v))) - 7), q = v / ulp, r = Math.round(q);
    return (Math.abs(q - Math.trunc(q)) === 0.5 ? 2 * Math.round(q / 2) : r) * ulp;
  };
  const x = Float32Array.from([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5, 3.0e38, 0.1, -1234.567]);
  const out = new Float32Array(x.length);
  widenHalvesInto(encodeHalves(x, 'BF16'), 'BF16', out, 0);
  assert.deepEqual(Array.from(out), Array.from(x, bf16));
  assert.deepEqual(Array.from(out.subarray(0, 3)), [1, 1, 1 + 2 ** -6]);
  const h = new Float32Array(3);
  widenHalvesInto(encodeHalves(Float32Array.from([0.5, -65504, 6e-8]), 'F16'), 'F16', h, 0);
  assert.deepEqual(Array.from(h), [0.5, -65504, 2 ** -24]);
});
