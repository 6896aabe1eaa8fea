// AVX2 kernels for quant_portable.c: row dot products (quant_avx2.c) and the prompt GEMM
// (quant_gemm_avx2.c). Internal to the quant*.c files.
#ifndef PONDER_QUANT_AVX2_H
#define PONDER_QUANT_AVX2_H
#include <stdint.h>
#include "quant_act.h"

#if !PONDER_QUANT_AVX512 && defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define PONDER_QUANT_AVX2 1
#include "quant_unpack.h"

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
#else
#define PONDER_QUANT_AVX2 0
#endif

#endif
