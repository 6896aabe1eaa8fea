// Tensor names between Hugging Face and GGUF (llama.cpp's gguf-py tensor_mapping), and the Q/K row
// permutation of llama.cpp's `llama` architecture.
//
// Hugging Face's Llama applies RoPE "rotate-half": within a head, dimension i pairs with i + D/2.
// llama.cpp's `llama` architecture rotates adjacent pairs (2i, 2i+1), so convert_hf_to_gguf.py
// permutes the rows of q_proj and k_proj (LlamaModel.permute) to make the two agree: GGUF row
// 2i + j of a head is HF row j·D/2 + i. Qwen2 and Qwen3 use llama.cpp's NEOX rope (rotate-half)
// and are stored unpermuted.
import { PonderError } from '../errors.ts';

const LAYER_MAP: [string, string][] = [
  ['input_layernorm.weight', 'attn_norm.weight'],
  ['self_attn.q_proj.weight', 'attn_q.weight'],
  ['self_attn.q_proj.bias', 'attn_q.bias'],
  ['self_attn.k_proj.weight', 'attn_k.weight'],
  ['self_attn.k_proj.bias', 'attn_k.bias'],
  ['self_attn.v_proj.weight', 'attn_v.weight'],
  ['self_attn.v_proj.bias', 'attn_v.bias'],
  ['self_attn.o_proj.weight', 'attn_output.weight'],
  ['self_attn.q_norm.weight', 'attn_q_norm.weight'],
  ['self_attn.k_norm.weight', 'attn_k_norm.weight'],
  ['post_attention_layernorm.weight', 'ffn_norm.weight'],
  ['mlp.gate_proj.weight', 'ffn_gate.weight'],
  ['mlp.up_proj.weight', 'ffn_up.weight'],
  ['mlp.down_proj.weight', 'ffn_down.weight'],
];
const GLOBAL_MAP: [string, string][] = [
  ['model.embed_tokens.weight', 'token_embd.weight'],
  ['model.norm.weight', 'output_norm.weight'],
  ['lm_head.weight', 'output.weight'],
];
const HF_TO_GGUF_LAYER = new Map(LAYER_MAP);
const GGUF_TO_HF_LAYER = new Map(LAYER_MAP.map(([a, b]) => [b, a]));
const HF_TO_GGUF_GLOBAL = new Map(GLOBAL_MAP);
const GGUF_TO_HF_GLOBAL = new Map(GLOBAL_MAP.map(([a, b]) => [b, a]));

/** The GGUF name of a Hugging Face weight name, or null when GGUF has none for it. */
export function ggufName(hf: string): string | null {
  const g = HF_TO_GGUF_GLOBAL.get(hf);
  if (g) return g;
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hf);
  const rest = m && HF_TO_GGUF_LAYER.get(m[2]);
  return m && rest ? `blk.${m[1]}.${rest}` : null;
}

/** The Hugging Face name of a GGUF tensor name, or null when it is not a weight ponder knows. */
export function hfName(gguf: string): string | null {
  const g = GGUF_TO_HF_GLOBAL.get(gguf);
  if (g) return g;
  const m = /^blk\.(\d+)\.(.+)$/.exec(gguf);
  const rest = m && GGUF_TO_HF_LAYER.get(m[2]);
  return m && rest ? `model.layers.${m[1]}.${rest}` : null;
}

/** Which heads count a q or k weight's rows is split into, or 0 when the name is not q/k. */
export function ropeHeads(hf: string, nHeads: number, nKvHeads: number): number {
  if (/\.self_attn\.q_proj\.(weight|bias)$/.test(hf)) return nHeads;
  if (/\.self_attn\.k_proj\.(weight|bias)$/.test(hf)) return nKvHeads;
  return 0;
}

/**
 * Reorders the rows of a (rows, cols) matrix, rows = heads·D: to llama.cpp's interleaved pairs
 * (`toGguf`) or back to Hugging Face's halves.
 */
export function permuteRows(x: Float32Array, rows: number, cols: number, heads: number, toGguf: boolean): Float32Array {
  if (rows % heads !== 0 || (rows / heads) % 2 !== 0) throw new PonderError(`cannot permute ${rows} rows into ${heads} heads of even width`);
  const D = rows / heads, half = D / 2, out = new Float32Array(x.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const g = h * D + 2 * i + j, f = h * D + j * half + i;
        const [from, to] = toGguf ? [f, g] : [g, f];
        out.set(x.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return out;
}
