// Unpacking GGML blocks into bytes, shared by the panel GEMMs (quant_gemm.c with AVX-512, 16 rows to
// a panel; quant_gemm_avx2.c with AVX2, 8) and the AVX2 row dots (quant_avx2.c). AVX2 instructions
// only, so both builds compile the same code. Internal to the quant*.c files.
//
// A panel unpacker writes one weight row's sub-blocks [g0, g0 + ng) as bytes u (32 per 32 values)
// and each sub-block's scale (and Q4_K/Q5_K's min) into lane n of the panel P, whose sub-blocks are
// gb bytes apart: the `lanes` rows' S/4 weight vectors (S·lanes bytes), then `lanes` f32 scales,
// then `lanes` f32 mins. w = scale·(u - offset) per value, or scale·u + min.
#ifndef PONDER_QUANT_UNPACK_H
#define PONDER_QUANT_UNPACK_H
#if defined(__AVX2__) && defined(__F16C__)
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "quant.h"
#include "quant_act.h"
#include "kquant_scales.h"

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

static inline void put_lane(uint8_t *P, long gb, long g, long off, int n, float x) { ((float *)(P + g * gb + off))[n] = x; }

// Q8_0: the int8 values xor flip (0x80: unsigned with an offset of 128, for vpdpbusd; 0: signed).
static inline void unpack_q8_0(const uint8_t *row, long g0, long ng, uint8_t flip, int lanes, uint8_t *u, uint8_t *P, long gb, int n) {
  for (long g = 0; g < ng; g++) {
    const uint8_t *x = row + (g0 + g) * 34;
    _mm256_store_si256((__m256i *)(u + 32 * g), _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(x + 2)), _mm256_set1_epi8((char)flip)));
    put_lane(P, gb, g, 32 * lanes, n, half_at(x));
  }
}

// Q4_0 (nibbles, offset 8) and Q5_0 (five: bit j of the 32-bit qh is value j's fifth bit, offset 16).
static inline void unpack_q4_0(const uint8_t *row, long g0, long ng, int five, int lanes, uint8_t *u, uint8_t *P, long gb, int n) {
  const long bsz = five ? 22 : 18;
  for (long g = 0; g < ng; g++) {
    const uint8_t *x = row + (g0 + g) * bsz;
    __m256i v = nibbles_32(x + (five ? 6 : 2));
    if (five) v = _mm256_or_si256(v, _mm256_and_si256(bytes_from_bits_32(x + 2), _mm256_set1_epi8(16)));
    _mm256_store_si256((__m256i *)(u + 32 * g), v);
    put_lane(P, gb, g, 32 * lanes, n, half_at(x));
  }
}

// Q4_K/Q5_K: sub-block j of a 256 block is the low (j even) or high nibbles of bytes 32·(j/2)..+31,
// plus (Q5_K) bit j of the 32 qh bytes; w = d·sc_j·u - dmin·m_j. g0 and ng are whole blocks.
static inline void unpack_k4(const uint8_t *row, long g0, long ng, int five, int lanes, uint8_t *u, uint8_t *P, long gb, int n) {
  const long bsz = five ? 176 : 144;
  const __m256i lo4 = _mm256_set1_epi8(0x0F), sixteen = _mm256_set1_epi8(16);
  for (long b = 0; b < ng / 8; b++) {
    const uint8_t *x = row + (g0 / 8 + b) * bsz, *qs = x + (five ? 48 : 16);
    const float d = half_at(x), dmin = half_at(x + 2);
    uint32_t sm32[4];
    unpack_scales_k4(x + 4, sm32);
    const uint8_t *sm = (const uint8_t *)sm32;
    const __m256i hb = _mm256_loadu_si256((const __m256i *)(x + 16));
    for (int p = 0; p < 4; p++) {
      const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * p));
      __m256i lo = _mm256_and_si256(q, lo4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), lo4);
      if (five) {
        const __m256i b0 = _mm256_set1_epi8((char)(1 << (2 * p))), b1 = _mm256_set1_epi8((char)(2 << (2 * p)));
        lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hb, b0), b0), sixteen));
        hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hb, b1), b1), sixteen));
      }
      _mm256_store_si256((__m256i *)(u + 256 * b + 64 * p), lo);
      _mm256_store_si256((__m256i *)(u + 256 * b + 64 * p + 32), hi);
    }
    for (int j = 0; j < 8; j++) {
      put_lane(P, gb, 8 * b + j, 32 * lanes, n, d * (float)sm[j]);
      put_lane(P, gb, 8 * b + j, 36 * lanes, n, -dmin * (float)sm[8 + j]);
    }
  }
}

// Q6_K: values 128h + 32k + l (l < 32) are the low (k = 0, 1) or high (k = 2, 3) nibbles of
// ql[64h + 32·(k & 1) + l] with bits 2k..2k+1 of qh[32h + l] above; sub-block j (16 values) has
// the int8 scale sc_j: w = d·sc_j·(u - 32). g0 and ng are whole blocks.
static inline void unpack_q6_k(const uint8_t *row, long g0, long ng, int lanes, uint8_t *u, uint8_t *P, long gb, int n) {
  const __m256i lo4 = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3);
  for (long b = 0; b < ng / 16; b++) {
    const uint8_t *x = row + (g0 / 16 + b) * 210;
    const float d = half_at(x + 208);
    for (int h = 0; h < 2; h++) {
      const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(x + 64 * h)), ql1 = _mm256_loadu_si256((const __m256i *)(x + 64 * h + 32));
      const __m256i qh = _mm256_loadu_si256((const __m256i *)(x + 128 + 32 * h));
      const __m256i v[4] = {
        _mm256_and_si256(ql0, lo4), _mm256_and_si256(ql1, lo4),
        _mm256_and_si256(_mm256_srli_epi16(ql0, 4), lo4), _mm256_and_si256(_mm256_srli_epi16(ql1, 4), lo4),
      };
      for (int k = 0; k < 4; k++) {
        const __m256i hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), three), 4);
        _mm256_store_si256((__m256i *)(u + 256 * b + 128 * h + 32 * k), _mm256_or_si256(v[k], hi));
      }
    }
    for (int j = 0; j < 16; j++) put_lane(P, gb, 16 * b + j, 16 * lanes, n, d * (float)(int8_t)x[192 + j]);
  }
}

// One weight row of `type` into lane n of a panel (the dispatch both panel GEMMs make); flip is
// what Q8_0's bytes are xor-ed with.
static inline void unpack_row(int type, const uint8_t *row, long g0, long ng, uint8_t flip, int lanes, uint8_t *u, uint8_t *P, long gb, int n) {
  switch (type) {
    case QT_Q8_0: unpack_q8_0(row, g0, ng, flip, lanes, u, P, gb, n); break;
    case QT_Q4_0: unpack_q4_0(row, g0, ng, 0, lanes, u, P, gb, n); break;
    case QT_Q5_0: unpack_q4_0(row, g0, ng, 1, lanes, u, P, gb, n); break;
    case QT_Q4_K: unpack_k4(row, g0, ng, 0, lanes, u, P, gb, n); break;
    case QT_Q5_K: unpack_k4(row, g0, ng, 1, lanes, u, P, gb, n); break;
    case QT_Q6_K: unpack_q6_k(row, g0, ng, lanes, u, P, gb, n); break;
    default: break;
  }
}

#endif
#endif
