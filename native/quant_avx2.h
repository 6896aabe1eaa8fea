// AVX2 row dot products (quant_avx2.c) for quant_portable.c. Internal to the quant*.c files.
#ifndef PONDER_QUANT_AVX2_H
#define PONDER_QUANT_AVX2_H
#include <stdint.h>
#include "quant_act.h"

#if !PONDER_QUANT_AVX512 && defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define PONDER_QUANT_AVX2 1
// One weight row of K values against one activation row: qa int8, da one scale per block (32
// values for Q8_0, 256 for the k-quants), bsum16 Σqa per 16 values; a f32 (bf16-rounded for BF16).
float avx2_dot_q8_0(const uint8_t *w, const int8_t *qa, const float *da, long K);
// Q8_0 weights with fine activations: qa2 the residual's int8 in steps of d/128.
float avx2_dot_q8_0_fine(const uint8_t *w, const int8_t *qa, const int8_t *qa2, const float *da, long K);
float avx2_dot_q4_0(const uint8_t *w, const int8_t *qa, const float *da, long K);
float avx2_dot_q5_0(const uint8_t *w, const int8_t *qa, const float *da, long K);
float avx2_dot_q4_k(const uint8_t *w, const int8_t *qa, const float *da, const int16_t *bsum16, long K);
float avx2_dot_q6_k(const uint8_t *w, const int8_t *qa, const float *da, const int16_t *bsum16, long K);
float avx2_dot_bf16(const uint8_t *w, const float *a, long K);
float avx2_dot_f16(const uint8_t *w, const float *a, long K);
// Weight types of the panel GEMM (quant_gemm_avx2.c).
int avx2_gemm_supported(int type);
// Rows [n0, n1) of Y (M, N) = X · Wᵀ from the activations as the row kernels take them (int8 q,
// scales d per 32 values for Q8_0/Q4_0/Q5_0 and per 256 for the k-quants, sums Σq per 16).
void avx2_gemm_rows(int type, const uint8_t *W, long rowBytes, long N, long K, const int8_t *q, const float *d,
                    const int16_t *sums, long M, long n0, long n1, float *Y);
#else
#define PONDER_QUANT_AVX2 0
#endif

#endif
