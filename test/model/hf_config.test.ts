// config.json <-> ModelConfig: transformers' key names and defaults, both ways, and both ways of
// writing RoPE (4.x's rope_theta + rope_scaling, 5.x's rope_parameters).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hfConfigFromModel, modelConfigFromHf } from '../../src/model/hf-config.ts';
import { VARIANTS } from './variants.ts';

for (const [name, cfg] of Object.entries(VARIANTS)) {
  test(`${name}: ModelConfig -> config.json -> ModelConfig is the identity`, () => {
    assert.deepEqual(modelConfigFromHf(hfConfigFromModel(cfg), 'config.json'), cfg);
  });
}

test('transformers 5 rope_parameters read as 4.x rope_theta and rope_scaling', () => {
  const legacy = hfConfigFromModel(VARIANTS.llama3);
  const { rope_theta, rope_scaling, ...rest } = legacy;
  const v5 = { ...rest, rope_parameters: { ...(rope_scaling as object), rope_theta } };
  assert.deepEqual(modelConfigFromHf(v5, 'config.json'), VARIANTS.llama3);
  const plain = { ...hfConfigFromModel(VARIANTS.qwen2) };
  delete plain.rope_theta;
  delete plain.rope_scaling;
  assert.equal(modelConfigFromHf({ ...plain, rope_parameters: { rope_type: 'default', rope_theta: 12345 } }, 'c').rope_theta, 12345);
});

test('transformers\' defaults: untied head, kv heads = heads, head_dim from the width, eps 1e-6, theta 10000', () => {
  const c = modelConfigFromHf({
    architectures: ['LlamaForCausalLM'], vocab_size: 50, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,
    num_attention_heads: 4, max_position_embeddings: 16,
  }, 'config.json');
  assert.deepEqual(c, {
    architecture: 'LlamaForCausalLM', vocab_size: 50, d_model: 32, d_ff: 64, n_layers: 2, n_heads: 4, n_kv_heads: 4,
    max_seq_len: 16, rope_theta: 10000, norm_eps: 1e-6, tie_embeddings: false,
  });
});

test('an exported config names the architecture\'s model_type and only its own options', () => {
  const q2 = hfConfigFromModel(VARIANTS.qwen2), q3 = hfConfigFromModel(VARIANTS.qwen3), l = hfConfigFromModel(VARIANTS.llama3);
  assert.deepEqual([q2.model_type, q3.model_type, l.model_type], ['qwen2', 'qwen3', 'llama']);
  assert.equal(q2.attention_bias, undefined); // Qwen2's biases come with the architecture
  assert.equal(q3.head_dim, 12);
  assert.deepEqual(l.rope_scaling, VARIANTS.llama3.rope_scaling);
  assert.throws(() => hfConfigFromModel({ ...VARIANTS.qwen2, architecture: 'LlamaForCausalLM' }), /a Llama config cannot carry q\/k\/v biases/);
});
