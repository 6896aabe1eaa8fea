// AVX2 kernels for quant_portable.c: row dot products (quant_avx2.c) and the prompt GEMM
// (quant_gemm_avx2.c), with the block unpacking they share. Internal to the quant*.c files.
#ifndef PONDER_QUANT_AVX2_H
#define PONDER_QUANT_AVX2_H
#include <stdint.h>
#include "quant_act.h"

#if !PONDER_QUANT_AVX512 && defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define PONDER_QUANT_AVX2 1
#include <immintrin.h>
#include <string.h>

// The 32 nibbles of 16 bytes as bytes: low nibbles first (values 0-15), then high (16-31).
static inline __m256i nibbles_32(const uint8_t *x) {
  const __m128i t = _mm_loadu_si128((const __m128i *)x);
  return _mm256_and_si256(_mm256_setr_m128i(t, _mm_srli_epi16(t, 4)), _mm256_set1_epi8(0x0f));
}

// Bit i of the 32 bits at x as byte i: 0xff where set, 0 where clear.
static inline __m256i bytes_from_bits_32(const uint8_t *x) {
  uint32_t u;
  memcpy(&u, x, 4);
  const __m256i shuf = _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303);
  const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32((int)u), shuf); // byte i holds byte i/8 of u
  return _mm256_cmpeq_epi8(_mm256_or_si256(bytes, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe)), _mm256_set1_epi64x(-1));
}

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
