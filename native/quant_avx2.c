// AVX2 row dot products for quant_portable.c (CPUs without AVX-512 VNNI): one weight row against
// one activation row, the way llama.cpp's AVX2 kernels do it. Integer weights meet int8
// activations in vpmaddubsw (unsigned byte × signed byte, pairs summed to int16) and vpmaddwd
// (int16 pairs summed to int32), so a weight is never unpacked to a float; the block scales are
// applied once per block (Q8_0) or per sub-block in integers (k-quants), and the k-quants'
// offsets (Q4_K's mins, Q6_K's 32) go through the activations' 16-value sums.
#include "quant_act.h"

#if !PONDER_QUANT_AVX512 && defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include <immintrin.h>
#include "kquant_scales.h"
#include "quant_avx2.h"

static inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

static inline int hsum8i(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  return _mm_cvtsi128_si32(_mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1)));
}

// Σ x·y over 32 signed bytes each, as 8 int32 lanes: vpmaddubsw needs one unsigned side, so |x|
// and y carrying x's sign (|x| ≤ 128, |y| ≤ 127: a pair sums to at most 32,512, no saturation).
static inline __m256i dot_i8(__m256i x, __m256i y) {
  const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

float avx2_dot_q8_0(const uint8_t *w, const int8_t *qa, const float *da, long K) {
  __m256 acc = _mm256_setzero_ps();
  for (long b = 0; b < K / 32; b++) {
    const uint8_t *x = w + b * 34;
    const __m256i s = dot_i8(_mm256_loadu_si256((const __m256i *)(x + 2)), _mm256_loadu_si256((const __m256i *)(qa + b * 32)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half_at(x) * da[b]), _mm256_cvtepi32_ps(s), acc);
  }
  return hsum8(acc);
}

// Q4_0: q = nibble - 8. Q5_0: q = nibble + 16·(bit i of qh) - 16, i.e. the nibble with 0xf0 or-ed
// in where the bit is clear (a signed byte).
float avx2_dot_q4_0(const uint8_t *w, const int8_t *qa, const float *da, long K) {
  __m256 acc = _mm256_setzero_ps();
  for (long b = 0; b < K / 32; b++) {
    const uint8_t *x = w + b * 18;
    const __m256i q = _mm256_sub_epi8(nibbles_32(x + 2), _mm256_set1_epi8(8));
    const __m256i s = dot_i8(q, _mm256_loadu_si256((const __m256i *)(qa + b * 32)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half_at(x) * da[b]), _mm256_cvtepi32_ps(s), acc);
  }
  return hsum8(acc);
}

float avx2_dot_q5_0(const uint8_t *w, const int8_t *qa, const float *da, long K) {
  __m256 acc = _mm256_setzero_ps();
  for (long b = 0; b < K / 32; b++) {
    const uint8_t *x = w + b * 22;
    const __m256i hi = _mm256_andnot_si256(bytes_from_bits_32(x + 2), _mm256_set1_epi8((char)0xf0));
    const __m256i q = _mm256_or_si256(nibbles_32(x + 6), hi);
    const __m256i s = dot_i8(q, _mm256_loadu_si256((const __m256i *)(qa + b * 32)));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half_at(x) * da[b]), _mm256_cvtepi32_ps(s), acc);
  }
  return hsum8(acc);
}

// Q8_0 against ~15-bit activations (the LM head): x ≈ d·(q + q2/128), two int8 dots a block.
float avx2_dot_q8_0_fine(const uint8_t *w, const int8_t *qa, const int8_t *qa2, const float *da, long K) {
  __m256 acc = _mm256_setzero_ps();
  for (long b = 0; b < K / 32; b++) {
    const uint8_t *x = w + b * 34;
    const __m256i wq = _mm256_loadu_si256((const __m256i *)(x + 2));
    const __m256 s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_i8(wq, _mm256_loadu_si256((const __m256i *)(qa2 + b * 32)))),
                                     _mm256_set1_ps(1.0f / 128.0f),
                                     _mm256_cvtepi32_ps(dot_i8(wq, _mm256_loadu_si256((const __m256i *)(qa + b * 32)))));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half_at(x) * da[b]), s, acc);
  }
  return hsum8(acc);
}

// Q4_K: 8 sub-blocks of 32 with 6-bit scales and mins; w = d·sc·q - dmin·m, q a nibble. Value
// 64j + l is the low nibble of byte 32j + l, value 64j + 32 + l its high nibble.
float avx2_dot_q4_k(const uint8_t *w, const int8_t *qa, const float *da, const int16_t *bsum16, long K) {
  const __m256i low = _mm256_set1_epi8(0x0f);
  float sum = 0;
  for (long b = 0; b < K / 256; b++) {
    const uint8_t *x = w + b * 144, *qs = x + 16;
    const int8_t *a = qa + b * 256;
    const int16_t *bs = bsum16 + b * 16;
    uint32_t u[4];
    unpack_scales_k4(x + 4, u);
    const uint8_t *sc = (const uint8_t *)u, *mn = sc + 8;
    __m256i isum = _mm256_setzero_si256();
    int mins = 0;
    for (int j = 0; j < 4; j++) {
      const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * j));
      const __m256i lo = _mm256_and_si256(q, low), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low);
      const __m256i plo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(a + 64 * j)));
      const __m256i phi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(a + 64 * j + 32)));
      isum = _mm256_add_epi32(isum, _mm256_madd_epi16(plo, _mm256_set1_epi16(sc[2 * j])));
      isum = _mm256_add_epi32(isum, _mm256_madd_epi16(phi, _mm256_set1_epi16(sc[2 * j + 1])));
      mins += mn[2 * j] * (bs[4 * j] + bs[4 * j + 1]) + mn[2 * j + 1] * (bs[4 * j + 2] + bs[4 * j + 3]);
    }
    sum += da[b] * (half_at(x) * (float)hsum8i(isum) - half_at(x + 2) * (float)mins);
  }
  return sum;
}

// Q6_K: 16 groups of 16 with int8 scales; q = 4 low bits (ql) | 2 high bits (qh), minus 32. In each
// half n of 128 values, value 128n + 32k + l (k = 0..3) takes ql's nibble and qh's bits 2k of byte l.
float avx2_dot_q6_k(const uint8_t *w, const int8_t *qa, const float *da, const int16_t *bsum16, long K) {
  const __m256i low = _mm256_set1_epi8(0x0f), two = _mm256_set1_epi8(0x30);
  float sum = 0;
  for (long b = 0; b < K / 256; b++) {
    const uint8_t *x = w + b * 210;
    const int8_t *sc = (const int8_t *)(x + 192), *a = qa + b * 256;
    const int16_t *bs = bsum16 + b * 16;
    __m256i isum = _mm256_setzero_si256();
    int offset = 0;
    for (int n = 0; n < 2; n++) {
      const __m256i l0 = _mm256_loadu_si256((const __m256i *)(x + 64 * n)), l1 = _mm256_loadu_si256((const __m256i *)(x + 64 * n + 32));
      const __m256i h = _mm256_loadu_si256((const __m256i *)(x + 128 + 32 * n));
      const __m256i q[4] = {
        _mm256_or_si256(_mm256_and_si256(l0, low), _mm256_and_si256(_mm256_slli_epi16(h, 4), two)),
        _mm256_or_si256(_mm256_and_si256(l1, low), _mm256_and_si256(_mm256_slli_epi16(h, 2), two)),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low), _mm256_and_si256(h, two)),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low), _mm256_and_si256(_mm256_srli_epi16(h, 2), two)),
      };
      for (int k = 0; k < 4; k++) {
        const int s0 = sc[8 * n + 2 * k], s1 = sc[8 * n + 2 * k + 1]; // values l < 16, then l >= 16
        const __m256i p = _mm256_maddubs_epi16(q[k], _mm256_loadu_si256((const __m256i *)(a + 128 * n + 32 * k)));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, _mm256_setr_m128i(_mm_set1_epi16((short)s0), _mm_set1_epi16((short)s1))));
        offset += s0 * bs[8 * n + 2 * k] + s1 * bs[8 * n + 2 * k + 1];
      }
    }
    sum += da[b] * half_at(x + 208) * (float)(hsum8i(isum) - 32 * offset);
  }
  return sum;
}

// BF16 weights: a bf16 is the top half of an f32, so widening is a shift; a holds the activations
// already rounded to bf16.
// Four accumulators: with two, the FMA latency held one core to ~30 GB/s of bf16 weights, below
// what two cores' memory bandwidth delivers.
static inline __m256 bf16_8(const uint16_t *h) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)h)), 16));
}

float avx2_dot_bf16(const uint8_t *w, const float *a, long K) {
  const uint16_t *h = (const uint16_t *)w;
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  long k = 0;
  for (; k + 32 <= K; k += 32)
    for (int i = 0; i < 4; i++) acc[i] = _mm256_fmadd_ps(bf16_8(h + k + 8 * i), _mm256_loadu_ps(a + k + 8 * i), acc[i]);
  for (; k + 8 <= K; k += 8) acc[0] = _mm256_fmadd_ps(bf16_8(h + k), _mm256_loadu_ps(a + k), acc[0]);
  float s = hsum8(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; k < K; k++) {
    const uint32_t u = (uint32_t)h[k] << 16;
    float f;
    memcpy(&f, &u, 4);
    s += f * a[k];
  }
  return s;
}

float avx2_dot_f16(const uint8_t *w, const float *a, long K) {
  const uint16_t *h = (const uint16_t *)w;
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  long k = 0;
  for (; k + 32 <= K; k += 32)
    for (int i = 0; i < 4; i++)
      acc[i] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + k + 8 * i))), _mm256_loadu_ps(a + k + 8 * i), acc[i]);
  for (; k + 8 <= K; k += 8) acc[0] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + k))), _mm256_loadu_ps(a + k), acc[0]);
  float s = hsum8(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; k < K; k++) s += half_to_float(h[k]) * a[k];
  return s;
}

#endif
