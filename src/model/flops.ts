// FLOP counts for ponder's Llama-style model, shared by every benchmark (and mirrored exactly in
// bench/ref/llama.py, flops_per_token) so tok/s and GFLOP/s compare between ponder and PyTorch.
//
// Counted: matrix multiplies only, 2 FLOPs per multiply-add. Norms, RoPE, softmax, SwiGLU's
// elementwise product and the embedding lookup are ignored (a few percent at these sizes).
//
//   N      = L·(d·d_q + 2·d·d_kv + d_q·d + 3·d·d_ff) + V·d      weights used in matmuls per token;
//            d_q = H·hd, d_kv = H_kv·hd; V·d is the LM head (tied or not, it is one matmul)
//   forward(ctx) = 2·N + 4·L·d_q·ctx                             per token that attends to ctx
//            positions: QKᵀ and A·V each cost 2·ctx·d_q per layer (d_q = d unless head_dim says otherwise)
//   train  = 3 · forward(T/2) = 6·N + 6·L·d·T                    per token of a (B, T) batch:
//            causal attention sees T/2 keys on average; backward costs twice the forward.
//            Per sequence the attention term is 12·L·T²·d/2.

import { headDim, type ModelConfig } from './config.ts';

/** The model fields the count needs (configs/*.json may also carry a train preset). */
export type FlopsConfig = Pick<ModelConfig, 'vocab_size' | 'd_model' | 'n_layers' | 'n_heads' | 'n_kv_heads' | 'd_ff' | 'max_seq_len' | 'head_dim'> & {
  train?: { seq_len?: number };
};

/** Weights that take part in a matrix multiply for each token (N above). */
export function matmulParams(c: FlopsConfig): number {
  const hd = headDim(c);
  const dq = c.n_heads * hd, dkv = c.n_kv_heads * hd;
  const perLayer = c.d_model * dq + 2 * c.d_model * dkv + dq * c.d_model + 3 * c.d_model * c.d_ff;
  return c.n_layers * perLayer + c.vocab_size * c.d_model;
}

/** FLOPs to run one token forward when it attends to ctx positions (itself included). */
export function forwardFlopsPerToken(c: FlopsConfig, ctx: number): number {
  return 2 * matmulParams(c) + 4 * c.n_layers * c.n_heads * headDim(c) * ctx;
}

/** FLOPs of one training token (forward + backward) at the config's training length T. */
export function trainFlopsPerToken(c: FlopsConfig, seqLen = c.train?.seq_len ?? c.max_seq_len): number {
  return 3 * forwardFlopsPerToken(c, seqLen / 2);
}
