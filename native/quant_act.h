// Quantised activations as the weight kernels read them (quant.c quantises, quant.c's row
// kernels and quant_gemm.c's panel kernels read). Internal to the quant*.c files.
#ifndef PONDER_QUANT_ACT_H
#define PONDER_QUANT_ACT_H
#include <stdint.h>

// Row r of the activations: q + r·K (int8), d + r·(K/bs) (one scale per block of bs), sums
// + r·(K/16) (Σq over each 16 values; k-quants subtract their offsets with them), h + r·K (bf16).
typedef struct {
  const int8_t *q;
  // Q8_0 weights with fine activations (QT_Q8_0_FINE): the residual x - d·q in steps of d/128,
  // stored as q + 128 like q (row stride K)
  const int8_t *q2;
  const float *d;
  const int16_t *sums;
  const uint16_t *h;
  const float *f;
  // 32-value blocks, per pair of blocks (row stride K/4): dv holds [d_b ×8, d_b+1 ×8] and nsum
  // [-Σq_b ×8, -Σq_b+1 ×8] (Q4_0's offset of 8, spread over the lanes that sum each block).
  const float *dv;
  const int32_t *nsum;
  // Panel (GEMM) formats: -Σq per group of gq values (gq = 32 for Q8_0 blocks, 16 for Q8_K;
  // row stride K/gq), the integer offsets of Q8_0/Q4_0/Q5_0/Q6_K weights; and Σq per 32 as f32
  // (Q8_K only, row stride K/32), which Q4_K/Q5_K's mins multiply.
  const int32_t *gsum;
  const float *fsum32;
  long K;
} act_t;

// Internal weight type: Q8_0 blocks multiplied by activations quantised to ~15 bits (two int8 parts,
// q and q2: x ≈ d·(q + q2/128)) instead of ggml's 8; used for the LM head, whose input's rounding
// would otherwise reach the logits undiluted.
#define QT_Q8_0_FINE 1008

// Weight types with a panel GEMM (quant_gemm.c).
int q_gemm_supported(int type);
// Rows [n0, n1) of Y (M, N) = X · Wᵀ from activations quantised in the panel format of `type`
// (signed Q8_0 blocks with gsum for Q8_0/Q4_0/Q5_0; natural-order Q8_K with gsum and fsum32 for
// the k-quants). n0 is a multiple of 16.
void q_gemm_rows(int type, const uint8_t *W, long rowBytes, long N, const act_t *a, long M, long n0, long n1, float *Y);

#endif
