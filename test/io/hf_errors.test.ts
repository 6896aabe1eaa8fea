// Bad Hugging Face folders: each gives one PonderError that names the file and the problem, before
// a model is built; nothing crashes and nothing loads silently wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnyModel } from '../../src/model/load.ts';
import { hfConfigFromModel } from '../../src/model/hf-config.ts';
import { writeHfFolder } from '../../src/io/hf.ts';
import { PonderError } from '../../src/errors.ts';
import { VARIANTS, trainedLooking } from '../model/variants.ts';

const dir = mkdtempSync(join(tmpdir(), 'ponder-hf-bad-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const cfg = VARIANTS.qwen2;
const good = join(dir, 'good');
const m = trainedLooking(cfg, 1);
writeHfFolder(good, { hfConfig: hfConfigFromModel(cfg), tensors: m.namedParameters().map(([n, t]) => [n, { shape: [...t.shape], data: t.data }]) });

let n = 0;
/** A copy of the good folder, changed by `spoil`. */
function spoiled(spoil: (folder: string) => void): string {
  const f = join(dir, `bad-${n++}`);
  cpSync(good, f, { recursive: true });
  spoil(f);
  return f;
}

function editConfig(folder: string, edit: (c: Record<string, unknown>) => void): void {
  const p = join(folder, 'config.json'), c = JSON.parse(readFileSync(p, 'utf8'));
  edit(c);
  writeFileSync(p, JSON.stringify(c));
}

/** Rewrites a safetensors file's header JSON, keeping its data bytes. */
function editHeader(file: string, edit: (h: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void): void {
  const buf = readFileSync(file), len = Number(buf.readBigUInt64LE(0));
  const h = JSON.parse(buf.subarray(8, 8 + len).toString('utf8'));
  edit(h);
  const hb = Buffer.from(JSON.stringify(h)), lb = Buffer.alloc(8);
  lb.writeBigUInt64LE(BigInt(hb.length));
  writeFileSync(file, Buffer.concat([lb, hb, buf.subarray(8 + len)]));
}

function fails(folder: string, ...patterns: RegExp[]): void {
  assert.throws(() => loadAnyModel(folder), (e: unknown) => {
    assert.ok(e instanceof PonderError, `not a PonderError: ${e}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

const q = 'model.layers.0.self_attn.q_proj.bias';

test('the unspoiled folder loads', () => {
  assert.equal(loadAnyModel(good).info.architecture, 'Qwen2ForCausalLM');
});

test('a truncated model.safetensors names the file and says it is truncated', () => {
  const f = spoiled((d) => { const p = join(d, 'model.safetensors'); truncateSync(p, statSync(p).size - 100); });
  fails(f, /model\.safetensors/, /truncated/);
});

test('a file cut inside its header', () => {
  fails(spoiled((d) => truncateSync(join(d, 'model.safetensors'), 50)), /model\.safetensors/, /header length \d+ is past the end/);
});

test('a header whose offsets disagree with the shape', () => {
  const f = spoiled((d) => editHeader(join(d, 'model.safetensors'), (h) => { h[q].data_offsets[1] -= 4; }));
  fails(f, /model\.safetensors/, new RegExp(`"${q.replace(/\./g, '\\.')}".*needs 160 bytes`));
});

test('a header whose offsets point past the data', () => {
  const f = spoiled((d) => editHeader(join(d, 'model.safetensors'), (h) => { h[q].data_offsets = [10 ** 9, 10 ** 9 + 160]; }));
  fails(f, /model\.safetensors/, /run past the end of the data/);
});

test('a header that lies about a shape (consistent bytes, wrong for the config)', () => {
  const f = spoiled((d) => editHeader(join(d, 'model.safetensors'), (h) => { h[q].shape = [5, 8]; }));
  fails(f, new RegExp(`"${q.replace(/\./g, '\\.')}" has shape \\[5, 8\\], but the config implies \\[40\\]`));
});

test('overlapping tensors', () => {
  const f = spoiled((d) => editHeader(join(d, 'model.safetensors'), (h) => {
    const k = 'model.layers.0.self_attn.k_proj.bias';
    h[k].data_offsets = [h[q].data_offsets[0], h[q].data_offsets[0] + 32];
  }));
  fails(f, /model\.safetensors/, /overlap/);
});

test('an unknown architecture is named', () => {
  fails(spoiled((d) => editConfig(d, (c) => { c.architectures = ['GPT2LMHeadModel']; })), /config\.json/, /"GPT2LMHeadModel" is not supported/);
});

test('a config that disagrees with the weights: more layers than the file has', () => {
  fails(spoiled((d) => editConfig(d, (c) => { c.num_hidden_layers = 3; })), /tensor "model\.layers\.2\.[a-z_.]+" is missing/);
});

test('a config that disagrees with the weights: another width', () => {
  fails(spoiled((d) => editConfig(d, (c) => { c.intermediate_size = 64; })), /mlp\.gate_proj\.weight" has shape \[56, 40\], but the config implies \[64, 40\]/);
});

test('an untied config without lm_head.weight says so', () => {
  fails(spoiled((d) => editConfig(d, (c) => { c.tie_word_embeddings = false; })), /"lm_head\.weight" is missing \(the config says tie_word_embeddings is false\)/);
});

test('a tensor the architecture does not have', () => {
  fails(spoiled((d) => editConfig(d, (c) => { c.architectures = ['LlamaForCausalLM']; })), /tensor "model\.layers\.0\.self_attn\.[qkv]_proj\.bias" is not a weight of the LlamaForCausalLM/);
});

test('options ponder does not implement are refused, not ignored', () => {
  fails(spoiled((d) => editConfig(d, (c) => { c.use_sliding_window = true; })), /config\.json/, /use_sliding_window/);
  fails(spoiled((d) => editConfig(d, (c) => { c.rope_scaling = { rope_type: 'yarn', factor: 4 }; })), /config\.json/, /rope_scaling type "yarn" is not supported/);
  fails(spoiled((d) => editConfig(d, (c) => { c.hidden_act = 'gelu'; })), /hidden_act "gelu"/);
  fails(spoiled((d) => editConfig(d, (c) => { c.layer_types = ['full_attention', 'sliding_attention']; })), /layer_types has "sliding_attention" layers/);
});

test('a sharded folder whose index names a tensor its shard lacks', () => {
  const f = spoiled((d) => writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({
    weight_map: Object.fromEntries([...m.namedParameters().map(([k]) => [k, 'model.safetensors']), ['model.extra.weight', 'model.safetensors']]),
  })));
  fails(f, /model\.safetensors\.index\.json/, /"model\.extra\.weight" is listed in model\.safetensors, but that file has no such tensor/);
});

test('a missing shard, a config that is not JSON, a folder that is not a model', () => {
  fails(spoiled((d) => writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.norm.weight': 'model-00002-of-00002.safetensors' } }))), /model-00002-of-00002\.safetensors: missing/);
  fails(spoiled((d) => writeFileSync(join(d, 'config.json'), '{"architectures": [')), /config\.json: not valid JSON/);
  fails(spoiled((d) => rmSync(join(d, 'model.safetensors'))), /no model\.safetensors and no model\.safetensors\.index\.json/);
  fails(join(good, 'model.safetensors'), /not a model/);
  fails(join(dir, 'nowhere'), /no such file or folder/);
});

test('a model too large for memory is refused before anything is allocated', () => {
  // About 17B parameters (70 GB as float32).
  fails(spoiled((d) => editConfig(d, (c) => { Object.assign(c, { hidden_size: 8192, intermediate_size: 28672, num_hidden_layers: 80, num_attention_heads: 64, num_key_value_heads: 8, vocab_size: 128256 }); })),
    /config\.json|hf-bad/, /will not fit in this machine's memory|more than this machine's/);
});
