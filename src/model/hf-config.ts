// Hugging Face config.json <-> ponder's ModelConfig, both ways. The three architectures ponder runs
// are one transformer with options:
//   LlamaForCausalLM   plain; Llama 3.1+ adds rope_scaling {rope_type: "llama3"}
//   Qwen2ForCausalLM   biases on q, k and v (implicit in the architecture, no config key)
//   Qwen3ForCausalLM   RMSNorm over each q and k head before RoPE; head_dim usually explicit
// Keys are transformers' names (LlamaConfig, Qwen2Config, Qwen3Config).
import { PonderError } from '../errors.ts';
import { ARCHITECTURES, validateConfig, validateRopeScaling, type Architecture, type ModelConfig, type RopeScaling } from './config.ts';

type Json = Record<string, unknown>;

/** Reads config.json's object into a ModelConfig; `where` (the file) is named in every error. */
export function modelConfigFromHf(hf: Json, where: string): ModelConfig {
  const arch = architectureOf(hf, where);
  const int = (key: string, fallback?: number): number => {
    const v = hf[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new PonderError(`${where}: "${key}" must be a positive integer, got ${JSON.stringify(hf[key])}`);
    return v;
  };
  const act = hf.hidden_act ?? 'silu';
  if (act !== 'silu') throw new PonderError(`${where}: hidden_act ${JSON.stringify(act)} is not supported (ponder's MLP is SwiGLU: "silu")`);
  refuseUnsupported(hf, arch, where);
  const rope = ropeOf(hf, where);
  const n_heads = int('num_attention_heads');
  const raw: Json = {
    vocab_size: int('vocab_size'),
    d_model: int('hidden_size'),
    n_layers: int('num_hidden_layers'),
    n_heads,
    n_kv_heads: int('num_key_value_heads', n_heads),
    d_ff: int('intermediate_size'),
    max_seq_len: int('max_position_embeddings'),
    rope_theta: rope.theta,
    norm_eps: hf.rms_norm_eps ?? 1e-6,
    // transformers' LlamaConfig, Qwen2Config and Qwen3Config all default to an untied head.
    tie_embeddings: hf.tie_word_embeddings ?? false,
    architecture: arch,
  };
  if (hf.head_dim !== undefined && hf.head_dim !== null) raw.head_dim = hf.head_dim;
  if (arch === 'Qwen2ForCausalLM') raw.qkv_bias = true;
  if (arch === 'Qwen3ForCausalLM') raw.qk_norm = true;
  if (rope.scaling) raw.rope_scaling = rope.scaling;
  // Running needs the weights only (4 bytes each); training checks its own budget.
  const c = validateConfig(raw, where, { bytesPerParam: 4 });
  // A head_dim equal to the default adds nothing: keep configs minimal so equal models compare equal.
  if (c.head_dim === c.d_model / c.n_heads) delete c.head_dim;
  return c;
}

/**
 * RoPE's base and scaling: transformers 4.x writes rope_theta and rope_scaling; 5.x writes them as
 * one rope_parameters object ({rope_type: "default" | "llama3" | ..., rope_theta, ...}).
 */
function ropeOf(hf: Json, where: string): { theta: unknown; scaling: RopeScaling | null } {
  const rp = hf.rope_parameters;
  if (rp !== undefined && rp !== null) {
    if (typeof rp !== 'object' || Array.isArray(rp)) throw new PonderError(`${where}: "rope_parameters" must be an object`);
    const r = rp as Json, type = r.rope_type ?? r.type ?? 'default';
    return { theta: r.rope_theta ?? hf.rope_theta ?? 10000, scaling: type === 'default' ? null : validateRopeScaling(r, where) };
  }
  const rs = hf.rope_scaling;
  const none = rs === undefined || rs === null || (typeof rs === 'object' && ((rs as Json).rope_type ?? (rs as Json).type) === 'default');
  return { theta: hf.rope_theta ?? 10000, scaling: none ? null : validateRopeScaling(rs, where) };
}

function architectureOf(hf: Json, where: string): Architecture {
  const list = hf.architectures;
  if (!Array.isArray(list) || list.length === 0 || typeof list[0] !== 'string') {
    throw new PonderError(`${where}: "architectures" is missing; expected one of ${ARCHITECTURES.join(', ')}`);
  }
  const a = list[0];
  if (!ARCHITECTURES.includes(a as Architecture)) {
    throw new PonderError(`${where}: architecture ${JSON.stringify(a)} is not supported (ponder runs ${ARCHITECTURES.join(', ')})`);
  }
  return a as Architecture;
}

/** Options that change the computation and that ponder does not implement: refused, never ignored. */
function refuseUnsupported(hf: Json, arch: Architecture, where: string): void {
  if (arch === 'LlamaForCausalLM' && hf.attention_bias === true) throw new PonderError(`${where}: attention_bias true (a bias on o_proj too) is not supported for Llama`);
  if (arch === 'Qwen3ForCausalLM' && hf.attention_bias === true) throw new PonderError(`${where}: attention_bias true is not supported for Qwen3`);
  if (hf.mlp_bias === true) throw new PonderError(`${where}: mlp_bias true is not supported`);
  if (hf.use_sliding_window === true) throw new PonderError(`${where}: use_sliding_window true is not supported (ponder attends to the whole context)`);
  if (Array.isArray(hf.layer_types) && hf.layer_types.some((t) => t !== 'full_attention')) {
    throw new PonderError(`${where}: layer_types has ${JSON.stringify(hf.layer_types.find((t) => t !== 'full_attention'))} layers; ponder runs full attention only`);
  }
  if (hf.pretraining_tp !== undefined && hf.pretraining_tp !== null && hf.pretraining_tp !== 1) throw new PonderError(`${where}: pretraining_tp ${JSON.stringify(hf.pretraining_tp)} is not supported (only 1)`);
}

export interface HfConfigExtras {
  bos_token_id?: number;
  eos_token_id?: number | number[];
  pad_token_id?: number;
  /** The dtype the weights are stored in ("float32", "float16", "bfloat16"). */
  torch_dtype?: string;
}

/**
 * A config.json object for a ModelConfig, with the keys transformers' config class reads for the
 * architecture (a ponder model without options exports as LlamaForCausalLM).
 */
export function hfConfigFromModel(c: ModelConfig, extras: HfConfigExtras = {}): Json {
  const arch = c.architecture ?? 'LlamaForCausalLM';
  if (arch === 'LlamaForCausalLM' && (c.qkv_bias || c.qk_norm)) throw new PonderError('a Llama config cannot carry q/k/v biases or q/k norms (set architecture to Qwen2ForCausalLM or Qwen3ForCausalLM)');
  if (arch === 'Qwen2ForCausalLM' && (!c.qkv_bias || c.qk_norm)) throw new PonderError('a Qwen2 config needs q/k/v biases and no q/k norms');
  if (arch === 'Qwen3ForCausalLM' && (c.qkv_bias || !c.qk_norm)) throw new PonderError('a Qwen3 config needs q/k norms and no q/k/v biases');
  const modelType = { LlamaForCausalLM: 'llama', Qwen2ForCausalLM: 'qwen2', Qwen3ForCausalLM: 'qwen3' }[arch];
  const out: Json = {
    architectures: [arch],
    model_type: modelType,
    vocab_size: c.vocab_size,
    hidden_size: c.d_model,
    intermediate_size: c.d_ff,
    num_hidden_layers: c.n_layers,
    num_attention_heads: c.n_heads,
    num_key_value_heads: c.n_kv_heads,
    head_dim: c.head_dim ?? c.d_model / c.n_heads,
    hidden_act: 'silu',
    max_position_embeddings: c.max_seq_len,
    initializer_range: 0.02,
    rms_norm_eps: c.norm_eps,
    use_cache: true,
    rope_theta: c.rope_theta,
    rope_scaling: c.rope_scaling ?? null,
    attention_dropout: 0.0,
    tie_word_embeddings: c.tie_embeddings,
  };
  if (arch !== 'Qwen2ForCausalLM') out.attention_bias = false;
  if (arch === 'LlamaForCausalLM') { out.mlp_bias = false; out.pretraining_tp = 1; }
  if (arch !== 'LlamaForCausalLM') out.use_sliding_window = false;
  for (const [k, v] of Object.entries(extras)) if (v !== undefined) out[k] = v;
  out.transformers_version = '4.46.0';
  return out;
}

/** Every weight the config implies, with its Hugging Face name and shape (out, in). */
export function expectedTensors(c: ModelConfig): Map<string, number[]> {
  const hd = c.head_dim ?? c.d_model / c.n_heads, C = c.d_model, dq = c.n_heads * hd, dkv = c.n_kv_heads * hd;
  const m = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocab_size, C]]]);
  for (let i = 0; i < c.n_layers; i++) {
    const p = `model.layers.${i}.`;
    m.set(`${p}input_layernorm.weight`, [C]);
    m.set(`${p}self_attn.q_proj.weight`, [dq, C]);
    m.set(`${p}self_attn.k_proj.weight`, [dkv, C]);
    m.set(`${p}self_attn.v_proj.weight`, [dkv, C]);
    if (c.qkv_bias) {
      m.set(`${p}self_attn.q_proj.bias`, [dq]);
      m.set(`${p}self_attn.k_proj.bias`, [dkv]);
      m.set(`${p}self_attn.v_proj.bias`, [dkv]);
    }
    if (c.qk_norm) {
      m.set(`${p}self_attn.q_norm.weight`, [hd]);
      m.set(`${p}self_attn.k_norm.weight`, [hd]);
    }
    m.set(`${p}self_attn.o_proj.weight`, [C, dq]);
    m.set(`${p}post_attention_layernorm.weight`, [C]);
    m.set(`${p}mlp.gate_proj.weight`, [c.d_ff, C]);
    m.set(`${p}mlp.up_proj.weight`, [c.d_ff, C]);
    m.set(`${p}mlp.down_proj.weight`, [C, c.d_ff]);
  }
  m.set('model.norm.weight', [C]);
  if (!c.tie_embeddings) m.set('lm_head.weight', [c.vocab_size, C]);
  return m;
}
