// Quantised activations as the weight kernels read them (quant.c quantises, quant.c's row
// kernels and quant_gemm.c's panel kernels read). Internal to the quant*.c files.
#ifndef PONDER_QUANT_ACT_H
#define PONDER_QUANT_ACT_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __F16C__
#include <immintrin.h>
#endif

// The AVX-512 kernels (quant.c, quant_gemm.c, quant_attn.c) need VNNI, BW, BF16 and F16C; on any
// other CPU quant_portable.c provides the same functions, computing the same products.
#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512BF16__) && defined(__F16C__)
#define PONDER_QUANT_AVX512 1
#else
#define PONDER_QUANT_AVX512 0
#endif

// Scratch of the quantised kernels: grown, never shrunk, so no allocation per token once the
// largest product has run.
typedef struct { void *p; size_t cap; } scratch_t;

static inline void *grow(scratch_t *s, size_t bytes) {
  if (s->cap < bytes) {
    free(s->p);
    s->p = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    s->cap = s->p ? bytes : 0;
  }
  return s->p;
}

// IEEE half <-> f32, rounding to nearest even (F16C where the CPU has it).
static inline float half_to_float(uint16_t h) {
#ifdef __F16C__
  return _cvtsh_ss(h);
#else
  const uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 31, mant = h & 1023;
  uint32_t u;
  if (exp == 31) u = sign | 0x7f800000 | (mant << 13);
  else if (exp) u = sign | ((exp + 112) << 23) | (mant << 13);
  else if (!mant) u = sign;
  else { // subnormal: normalise
    int e = -1;
    uint32_t m = mant;
    do { m <<= 1; e++; } while (!(m & 1024));
    u = sign | ((uint32_t)(112 - e) << 23) | ((m & 1023) << 13);
  }
  float f;
  memcpy(&f, &u, 4);
  return f;
#endif
}
static inline uint16_t float_to_half(float x) {
#ifdef __F16C__
  return _cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT);
#else
  uint32_t u;
  memcpy(&u, &x, 4);
  const uint32_t sign = (u >> 16) & 0x8000, exp = (u >> 23) & 0xff, mant = u & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 | (mant >> 13) : 0));
  const int e = (int)exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    const uint32_t m = mant | 0x800000, shift = (uint32_t)(14 - e), rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    uint32_t h = m >> shift;
    if (rem > half || (rem == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
  }
  uint32_t h = ((uint32_t)e << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
  return (uint16_t)(sign | h);
#endif
}
static inline float half_at(const uint8_t *p) {
  uint16_t h;
  memcpy(&h, p, 2);
  return half_to_float(h);
}

// One row of K values of `type`, dequantised to f32, bit-exact with ggml (quant_blocks.c).
void q_dequant_row(int type, const uint8_t *w, long K, float *y);

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

// Weight types with a panel GEMM (quant_gemm.c with AVX-512, quant_gemm_avx2.c with AVX2).
int q_gemm_supported(int type);
// Rows [n0, n1) of Y (M, N) = X · Wᵀ from activations quantised in the panel format of `type`.
// AVX-512: signed Q8_0 blocks with gsum for Q8_0/Q4_0/Q5_0, natural-order Q8_K with gsum and fsum32
// for the k-quants; n0 a multiple of 16. AVX2: q, d (per 32 or per 256 values) and sums (Σq per 16)
// as the row dots take them; n0 a multiple of 8.
void q_gemm_rows(int type, const uint8_t *W, long rowBytes, long N, const act_t *a, long M, long n0, long n1, float *Y);

#endif
