// Matrix products on GGML-quantised weights, used in place: Y (M, N) = X (M, K) · Wᵀ.
//
// As llama.cpp does, the activations are quantised on the fly (Q8_0 blocks of 32 for the Q8_0 and
// Q4_0 weights, Q8_K blocks of 256 with 16-value sums for the k-quants, bf16 for BF16 weights) and
// every block product is an int8 dot product on AVX-512 VNNI (vpdpbusd: unsigned bytes × signed
// bytes into int32 lanes), scaled by the two block scales in f32. Decode (M = 1) is bound by
// reading the weights once, so the work is split over output rows and each thread streams its own
// contiguous rows; prefill (M > 1) runs each weight row against 4 activation rows at a time, so
// the unpacked weights are reused from registers, over blocks of rows that stay in L1/L2.
// Scratch for the quantised activations is grown, never shrunk: no allocation per token.
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "quant.h"
#include "quant_act.h"
#include "kquant_scales.h"

// Built only on CPUs with AVX-512 VNNI, BW and BF16 (quant_act.h); quant_portable.c stands in elsewhere.
#if PONDER_QUANT_AVX512

#define AI static inline __attribute__((always_inline))

AI float fp16(const uint8_t *p) {
  uint16_t h;
  memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// ---- quantised activations (act_t: quant_act.h) ----

// One row of K floats into int8 blocks of bs values, exactly as ggml's CPU backend quantises
// activations: q = round-to-even(x · id) with id = 127 / max|x|; the scale is max|x| / 127 rounded
// to f16 for Q8_0 blocks (block_q8_0 stores it as f16), 1 / id for Q8_K blocks (f32). With perm
// (Q4_K/Q5_K), each 128 values are stored as [0..31, 64..95, 32..63, 96..127], the order in which
// those weights' nibbles unpack.
static void quantize_row(const float *x, long K, long bs, int perm, int8_t *q, float *d, int16_t *sums) {
  for (long b = 0; b < K / bs; b++) {
    const float *xb = x + b * bs;
    __m512 mx = _mm512_setzero_ps();
    for (long i = 0; i < bs; i += 16) mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_loadu_ps(xb + i)));
    float amax = _mm512_reduce_max_ps(mx);
    float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    d[b] = bs == 32 ? _cvtsh_ss(_cvtss_sh(amax / 127.0f, _MM_FROUND_TO_NEAREST_INT)) : (amax != 0.0f ? 1.0f / id : 0.0f);
    __m512 vid = _mm512_set1_ps(id);
    for (long i = 0; i < bs; i += 16) {
      __m512i qi = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xb + i), vid)); // nearest even
      __m128i q8 = _mm512_cvtsepi32_epi8(qi);
      long at = b * bs + i;
      if (perm) {
        long g = at & ~127L, o = at & 127; // 32-value quarter o/32 of a 128 group: 0,2,1,3 order
        static const int pos[4] = {0, 64, 32, 96};
        at = g + pos[o >> 5] + (o & 31);
      }
      _mm_storeu_si128((__m128i *)(q + at), q8);
      if (sums) sums[(b * bs + i) / 16] = (int16_t)_mm512_reduce_add_epi32(qi);
    }
  }
}

// The per-pair vectors of a row of 32-value blocks (see act_t), and with unsigned, q + 128.
static void pair_vectors(int8_t *q, const float *d, long K, int unsign, float *dv, int32_t *nsum) {
  for (long b = 0; b + 2 <= K / 32; b += 2)
    for (int h = 0; h < 2; h++) {
      int s = 0;
      for (int i = 0; i < 32; i++) s += q[(b + h) * 32 + i];
      for (int l = 0; l < 8; l++) { dv[b * 8 + h * 8 + l] = d[b + h]; nsum[b * 8 + h * 8 + l] = -s; }
    }
  if (unsign)
    for (long i = 0; i < K; i++) q[i] = (int8_t)((uint8_t)q[i] ^ 0x80); // + 128 (mod 256)
}

// The residual of a row quantised to 32-value blocks (q, d): q2 = round-to-even((x - d·q) · 128/d),
// stored + 128 (|q2| <= ~72: d is max|x|/127 rounded to f16, so |x - d·q| is at most ~0.56 d).
static void quantize_residual(const float *x, long K, const int8_t *q, const float *d, int8_t *q2) {
  for (long b = 0; b < K / 32; b++) {
    const __m512 vd = _mm512_set1_ps(d[b]), id = _mm512_set1_ps(d[b] != 0.0f ? 128.0f / d[b] : 0.0f);
    for (long i = 0; i < 32; i += 16) {
      const long at = b * 32 + i;
      __m512 qf = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(q + at))));
      __m512 r = _mm512_fnmadd_ps(vd, qf, _mm512_loadu_ps(x + at)); // x - d·q, rounded once
      __m128i r8 = _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(r, id)));
      _mm_storeu_si128((__m128i *)(q2 + at), _mm_xor_si128(r8, _mm_set1_epi8((char)0x80)));
    }
  }
}

static void to_bf16_row(const float *x, long K, uint16_t *h) {
  long i = 0;
  for (; i + 32 <= K; i += 32) {
    __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i));
    _mm512_storeu_si512(h + i, (__m512i)v);
  }
  for (; i < K; i++) {
    __m128bh v = _mm_cvtneps_pbh(_mm_set_ss(x[i]));
    uint16_t u;
    memcpy(&u, &v, 2);
    h[i] = u;
  }
}

// ---- block dot products: out[r] = Σ_k W[row, k] · A[r0 + r, k] for nr <= NR_MAX rows ----

#define NR_MAX 8 // activation rows per weight row in prefill: the unpacked weights are reused from registers


// The two f16 scales of blocks at p and p + stride as [d0 ×8, d1 ×8].
AI __m512 scale_pair(const uint8_t *p, long stride) {
  uint16_t h0, h1;
  memcpy(&h0, p, 2);
  memcpy(&h1, p + stride, 2);
  __m512 two = _mm512_castps128_ps512(_mm_cvtph_ps(_mm_cvtsi32_si128((int)((uint32_t)h0 | ((uint32_t)h1 << 16)))));
  return _mm512_permutexvar_ps(_mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0), two);
}

// The last block of a row with an odd block count, in scalar code: GCC 12 turns these int8 dot
// loops into VNNI instructions with the wrong signedness (wrong results at -O3), so they are
// kept out of the vectoriser.
__attribute__((noinline, optimize("no-tree-vectorize"))) static int tail_q8_0(const int8_t *w, const uint8_t *au) {
  int s = 0;
  for (int i = 0; i < 32; i++) s += w[i] * ((int)au[i] - 128); // activations stored as q + 128
  return s;
}

__attribute__((noinline, optimize("no-tree-vectorize"))) static int tail_q4_0(const uint8_t *w, const int8_t *a) {
  int s = 0;
  for (int i = 0; i < 16; i++) s += ((w[i] & 15) - 8) * a[i] + ((w[i] >> 4) - 8) * a[i + 16];
  return s;
}

__attribute__((noinline, optimize("no-tree-vectorize"))) static int tail_q5_0(const uint8_t *x, const int8_t *a) {
  uint32_t qh;
  memcpy(&qh, x + 2, 4);
  int s = 0;
  for (int i = 0; i < 16; i++)
    s += ((int)((x[6 + i] & 15) | ((qh >> i & 1) << 4)) - 16) * a[i] + ((int)((x[6 + i] >> 4) | ((qh >> (i + 16) & 1) << 4)) - 16) * a[i + 16];
  return s;
}

// Q8_0 weights: the activations are stored as unsigned bytes q + 128 (vpdpbusd's unsigned side),
// and the 128·Σw that adds is taken off by starting each block's sum at -128·Σw (one vpdpbusd per
// weight pair, shared by all activation rows).
AI void dot_q8_0(const uint8_t *w, const act_t *a, long r0, int nr, float *out, const int fine) {
  const long K = a->K, nb = K / 32;
  const __m512i c128 = _mm512_set1_epi8((char)128);
  __m512 acc[NR_MAX];
  for (int r = 0; r < NR_MAX; r++) acc[r] = _mm512_setzero_ps();
  long b = 0;
  for (; b + 2 <= nb; b += 2) {
    const uint8_t *b0 = w + b * 34;
    __m512i wv = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(b0 + 2))),
                                    _mm256_loadu_si256((const __m256i *)(b0 + 36)), 1);
    __m512i corr = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), c128, wv));
    __m512 dw = scale_pair(b0, 34);
    for (int r = 0; r < nr; r++) {
      __m512i p = _mm512_dpbusd_epi32(corr, _mm512_loadu_si512(a->q + (r0 + r) * K + b * 32), wv);
      if (fine) // 128·Σw·q + Σw·q2, in units of d/128 (|Σ| < 2^24: exact in int32 and in the f32 convert)
        p = _mm512_add_epi32(_mm512_slli_epi32(p, 7), _mm512_dpbusd_epi32(corr, _mm512_loadu_si512(a->q2 + (r0 + r) * K + b * 32), wv));
      __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(p), _mm512_loadu_ps(a->dv + (r0 + r) * (K / 4) + b * 8));
      acc[r] = _mm512_fmadd_ps(t, dw, acc[r]);
    }
  }
  for (int r = 0; r < nr; r++) {
    float s = _mm512_reduce_add_ps(acc[r]);
    for (long t = b; t < nb; t++) { // an odd last block
      const int8_t *wq = (const int8_t *)(w + t * 34 + 2);
      int si = tail_q8_0(wq, (const uint8_t *)a->q + (r0 + r) * K + t * 32);
      if (fine) si = si * 128 + tail_q8_0(wq, (const uint8_t *)a->q2 + (r0 + r) * K + t * 32);
      s += (float)si * a->d[(r0 + r) * nb + t] * fp16(w + t * 34);
    }
    out[r] = fine ? s * (1.0f / 128) : s;
  }
}

AI void dot_q4_0(const uint8_t *w, const act_t *a, long r0, int nr, float *out) {
  const long K = a->K, nb = K / 32;
  // 128-bit lanes 1 and 3 hold the high nibbles (values 16..31 of each block)
  const __m512i shift = _mm512_set_epi64(0x0004000400040004, 0x0004000400040004, 0, 0,
                                         0x0004000400040004, 0x0004000400040004, 0, 0);
  const __m512i lo4 = _mm512_set1_epi8(0x0F);
  __m512 acc[NR_MAX];
  for (int r = 0; r < NR_MAX; r++) acc[r] = _mm512_setzero_ps();
  long b = 0;
  for (; b + 2 <= nb; b += 2) {
    const uint8_t *b0 = w + b * 18;
    __m128i q0 = _mm_loadu_si128((const __m128i *)(b0 + 2)), q1 = _mm_loadu_si128((const __m128i *)(b0 + 20));
    __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(q0, q0)), _mm256_set_m128i(q1, q1), 1);
    v = _mm512_and_si512(_mm512_srlv_epi16(v, shift), lo4);
    __m512 dw = scale_pair(b0, 18);
    for (int r = 0; r < nr; r++) {
      const long pr = (r0 + r) * (K / 4) + b * 8;
      // Σ (q - 8)·a: the sum starts at -8·Σa, spread as -Σa over each block's 8 lanes
      __m512i p = _mm512_dpbusd_epi32(_mm512_loadu_si512(a->nsum + pr), v, _mm512_loadu_si512(a->q + (r0 + r) * K + b * 32));
      __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(p), _mm512_loadu_ps(a->dv + pr));
      acc[r] = _mm512_fmadd_ps(t, dw, acc[r]);
    }
  }
  for (int r = 0; r < nr; r++) {
    float s = _mm512_reduce_add_ps(acc[r]);
    for (long t = b; t < nb; t++) {
      const uint8_t *wq = w + t * 18 + 2;
      const int si = tail_q4_0(wq, a->q + (r0 + r) * K + t * 32);
      s += (float)si * a->d[(r0 + r) * nb + t] * fp16(w + t * 18);
    }
    out[r] = s;
  }
}

// Q5_0: Q4_0's nibbles plus a fifth bit per value from a 32-bit mask (bit j is value j's, as the
// bytes of a block pair lie: the two masks side by side are the byte mask), offset 16.
AI void dot_q5_0(const uint8_t *w, const act_t *a, long r0, int nr, float *out) {
  const long K = a->K, nb = K / 32;
  const __m512i shift = _mm512_set_epi64(0x0004000400040004, 0x0004000400040004, 0, 0,
                                         0x0004000400040004, 0x0004000400040004, 0, 0);
  const __m512i lo4 = _mm512_set1_epi8(0x0F), b16 = _mm512_set1_epi8(16);
  __m512 acc[NR_MAX];
  for (int r = 0; r < NR_MAX; r++) acc[r] = _mm512_setzero_ps();
  long b = 0;
  for (; b + 2 <= nb; b += 2) {
    const uint8_t *b0 = w + b * 22;
    uint32_t h0, h1;
    memcpy(&h0, b0 + 2, 4);
    memcpy(&h1, b0 + 24, 4);
    __m128i q0 = _mm_loadu_si128((const __m128i *)(b0 + 6)), q1 = _mm_loadu_si128((const __m128i *)(b0 + 28));
    __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(q0, q0)), _mm256_set_m128i(q1, q1), 1);
    v = _mm512_and_si512(_mm512_srlv_epi16(v, shift), lo4);
    v = _mm512_mask_add_epi8(v, (__mmask64)((uint64_t)h0 | ((uint64_t)h1 << 32)), v, b16);
    __m512 dw = scale_pair(b0, 22);
    for (int r = 0; r < nr; r++) {
      const long pr = (r0 + r) * (K / 4) + b * 8;
      __m512i ns = _mm512_loadu_si512(a->nsum + pr);
      __m512i p = _mm512_dpbusd_epi32(_mm512_add_epi32(ns, ns), v, _mm512_loadu_si512(a->q + (r0 + r) * K + b * 32)); // Σ (q - 16)·a
      __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(p), _mm512_loadu_ps(a->dv + pr));
      acc[r] = _mm512_fmadd_ps(t, dw, acc[r]);
    }
  }
  for (int r = 0; r < nr; r++) {
    float s = _mm512_reduce_add_ps(acc[r]);
    for (long t = b; t < nb; t++)
      s += (float)tail_q5_0(w + t * 22, a->q + (r0 + r) * K + t * 32) * a->d[(r0 + r) * nb + t] * fp16(w + t * 22);
    out[r] = s;
  }
}

// Lane indices into the 8 sub-block scales: lanes 0..7 take sub-block i, lanes 8..15 take j.
#define IDX2(i, j) _mm512_set_epi32(j, j, j, j, j, j, j, j, i, i, i, i, i, i, i, i)

// Q4_K and Q5_K share all but the fifth bit (hbits: the 32 qh bytes, or NULL).
AI void dot_k4(const uint8_t *w, long bsz, int five, const act_t *a, long r0, int nr, float *out) {
  const long K = a->K, nb = K / 256;
  const __m512i lo4 = _mm512_set1_epi8(0x0F), sixteen = _mm512_set1_epi8(16);
  const __m512i ilo[2] = {IDX2(0, 2), IDX2(4, 6)}, ihi[2] = {IDX2(1, 3), IDX2(5, 7)};
  __m512 acc[NR_MAX];
  for (int r = 0; r < NR_MAX; r++) acc[r] = _mm512_setzero_ps();
  float mins[NR_MAX] = {0};
  for (long b = 0; b < nb; b++) {
    const uint8_t *x = w + b * bsz;
    const float d = fp16(x), dmin = fp16(x + 2);
    uint32_t u[4];
    unpack_scales_k4(x + 4, u);
    const uint8_t *mn = (const uint8_t *)u + 8;
    __m512 scf = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)u))),
                               _mm512_set1_ps(d)); // lanes 0..7: d·scale (8..15: mins, unused here)
    const uint8_t *qs = x + (five ? 48 : 16);
    __m512i hb = five ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(x + 16))) : _mm512_setzero_si512();
    __m512 blk[NR_MAX];
    for (int r = 0; r < NR_MAX; r++) blk[r] = _mm512_setzero_ps();
    for (int c = 0; c < 2; c++) {
      __m512i qv = _mm512_loadu_si512(qs + 64 * c);
      __m512i lo = _mm512_and_si512(qv, lo4), hi = _mm512_and_si512(_mm512_srli_epi16(qv, 4), lo4);
      if (five) { // bit 2j of qh[l] is the fifth bit of value 64j + l, bit 2j + 1 of value 64j + 32 + l
        __m512i bl = _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << (4 * c))), _mm256_set1_epi8((char)(1 << (4 * c + 2))), 1);
        __m512i bh = _mm512_inserti64x4(_mm512_set1_epi8((char)(2 << (4 * c))), _mm256_set1_epi8((char)(2 << (4 * c + 2))), 1);
        lo = _mm512_mask_add_epi8(lo, _mm512_test_epi8_mask(hb, bl), lo, sixteen);
        hi = _mm512_mask_add_epi8(hi, _mm512_test_epi8_mask(hb, bh), hi, sixteen);
      }
      __m512 slo = _mm512_permutexvar_ps(ilo[c], scf), shi = _mm512_permutexvar_ps(ihi[c], scf);
      for (int r = 0; r < nr; r++) {
        const int8_t *aq = a->q + (r0 + r) * K + b * 256 + 128 * c; // permuted: [lo quarters, hi quarters]
        __m512i pl = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, _mm512_loadu_si512(aq));
        __m512i ph = _mm512_dpbusd_epi32(_mm512_setzero_si512(), hi, _mm512_loadu_si512(aq + 64));
        blk[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(pl), slo, blk[r]);
        blk[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ph), shi, blk[r]);
      }
    }
    for (int r = 0; r < nr; r++) {
      const float da = a->d[(r0 + r) * nb + b];
      const int16_t *bs = a->sums + (r0 + r) * (K / 16) + b * 16;
      int m = 0;
      for (int j = 0; j < 8; j++) m += mn[j] * (bs[2 * j] + bs[2 * j + 1]);
      acc[r] = _mm512_fmadd_ps(blk[r], _mm512_set1_ps(da), acc[r]);
      mins[r] += dmin * da * (float)m;
    }
  }
  for (int r = 0; r < nr; r++) out[r] = _mm512_reduce_add_ps(acc[r]) - mins[r];
}

AI void dot_q6_k(const uint8_t *w, const act_t *a, long r0, int nr, float *out) {
  const long K = a->K, nb = K / 256;
  const __m512i lo4 = _mm512_set1_epi8(0x0F), three = _mm512_set1_epi8(3);
  // 16-bit shifts of the broadcast qh: bytes 0..31 by s0, bytes 32..63 by s1
  const __m512i sh_lo = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
  const __m512i sh_hi = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
  const __m512i lane4 = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
  __m512 acc[NR_MAX];
  for (int r = 0; r < NR_MAX; r++) acc[r] = _mm512_setzero_ps();
  for (long b = 0; b < nb; b++) {
    const uint8_t *x = w + b * 210;
    const float d = fp16(x + 208);
    __m512i sci = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(x + 192)));
    __m512 scf = _mm512_cvtepi32_ps(sci);
    __m512 blk[NR_MAX];
    for (int r = 0; r < NR_MAX; r++) blk[r] = _mm512_setzero_ps();
    for (int n = 0; n < 2; n++) {
      __m512i ql = _mm512_loadu_si512(x + 64 * n);
      __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(x + 128 + 32 * n)));
      __m512i q[2];
      q[0] = _mm512_or_si512(_mm512_and_si512(ql, lo4),
                             _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, sh_lo), three), 4));
      q[1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), lo4),
                             _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, sh_hi), three), 4));
      for (int h = 0; h < 2; h++) {
        const int k = 2 * n + h; // values 64k..64k+63: sub-blocks 4k..4k+3
        __m512 s = _mm512_permutexvar_ps(_mm512_add_epi32(lane4, _mm512_set1_epi32(4 * k)), scf);
        for (int r = 0; r < nr; r++) {
          __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q[h],
                                          _mm512_loadu_si512(a->q + (r0 + r) * K + b * 256 + 64 * k));
          blk[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), s, blk[r]);
        }
      }
    }
    for (int r = 0; r < nr; r++) {
      const float da = a->d[(r0 + r) * nb + b];
      __m512i bs = _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(a->sums + (r0 + r) * (K / 16) + b * 16)));
      int off = _mm512_reduce_add_epi32(_mm512_mullo_epi32(bs, sci)); // values are stored + 32
      acc[r] = _mm512_fmadd_ps(blk[r], _mm512_set1_ps(d * da), acc[r]);
      acc[r] = _mm512_mask_add_ps(acc[r], 1, acc[r], _mm512_set1_ps(-32.0f * d * da * (float)off));
    }
  }
  for (int r = 0; r < nr; r++) out[r] = _mm512_reduce_add_ps(acc[r]);
}

AI void dot_bf16(const uint8_t *w, const act_t *a, long r0, int nr, float *out) {
  const long K = a->K;
  const uint16_t *wh = (const uint16_t *)w;
  __m512 acc[NR_MAX];
  for (int r = 0; r < NR_MAX; r++) acc[r] = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps();
  long k = 0;
  if (nr == 1) { // one row: two chains to hide the latency
    for (; k + 64 <= K; k += 64) {
      acc[0] = _mm512_dpbf16_ps(acc[0], (__m512bh)_mm512_loadu_si512(a->h + r0 * K + k), (__m512bh)_mm512_loadu_si512(wh + k));
      acc2 = _mm512_dpbf16_ps(acc2, (__m512bh)_mm512_loadu_si512(a->h + r0 * K + k + 32), (__m512bh)_mm512_loadu_si512(wh + k + 32));
    }
  }
  for (; k + 32 <= K; k += 32) {
    __m512bh wv = (__m512bh)_mm512_loadu_si512(wh + k);
    for (int r = 0; r < nr; r++) acc[r] = _mm512_dpbf16_ps(acc[r], (__m512bh)_mm512_loadu_si512(a->h + (r0 + r) * K + k), wv);
  }
  if (k < K) {
    __mmask32 m = (__mmask32)((1ull << (K - k)) - 1);
    __m512bh wv = (__m512bh)_mm512_maskz_loadu_epi16(m, wh + k);
    for (int r = 0; r < nr; r++)
      acc[r] = _mm512_dpbf16_ps(acc[r], (__m512bh)_mm512_maskz_loadu_epi16(m, a->h + (r0 + r) * K + k), wv);
  }
  acc[0] = _mm512_add_ps(acc[0], acc2);
  for (int r = 0; r < nr; r++) out[r] = _mm512_reduce_add_ps(acc[r]);
}

AI void dot_f16(const uint8_t *w, const act_t *a, long r0, int nr, float *out) {
  const long K = a->K;
  const uint16_t *wh = (const uint16_t *)w;
  __m512 acc[NR_MAX];
  for (int r = 0; r < NR_MAX; r++) acc[r] = _mm512_setzero_ps();
  for (long k = 0; k < K; k += 16) {
    __mmask16 m = tail_mask(K - k);
    __m512 wv = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, wh + k));
    for (int r = 0; r < nr; r++) acc[r] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a->f + (r0 + r) * K + k), wv, acc[r]);
  }
  for (int r = 0; r < nr; r++) out[r] = _mm512_reduce_add_ps(acc[r]);
}

AI void dot_f32(const uint8_t *w, const act_t *a, long r0, int nr, float *out) {
  const long K = a->K;
  const float *wf = (const float *)w;
  __m512 acc[NR_MAX];
  for (int r = 0; r < NR_MAX; r++) acc[r] = _mm512_setzero_ps();
  for (long k = 0; k < K; k += 16) {
    __mmask16 m = tail_mask(K - k);
    __m512 wv = _mm512_maskz_loadu_ps(m, wf + k);
    for (int r = 0; r < nr; r++) acc[r] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a->f + (r0 + r) * K + k), wv, acc[r]);
  }
  for (int r = 0; r < nr; r++) out[r] = _mm512_reduce_add_ps(acc[r]);
}

// The dot of one weight row against nr activation rows, nr a constant after inlining.
AI void dot_rows(int type, const uint8_t *w, const act_t *a, long r0, int nr, float *out) {
  switch (type) {
    case QT_Q8_0: dot_q8_0(w, a, r0, nr, out, 0); break;
    case QT_Q8_0_FINE: dot_q8_0(w, a, r0, nr, out, 1); break;
    case QT_Q4_0: dot_q4_0(w, a, r0, nr, out); break;
    case QT_Q5_0: dot_q5_0(w, a, r0, nr, out); break;
    case QT_Q4_K: dot_k4(w, 144, 0, a, r0, nr, out); break;
    case QT_Q5_K: dot_k4(w, 176, 1, a, r0, nr, out); break;
    case QT_Q6_K: dot_q6_k(w, a, r0, nr, out); break;
    case QT_BF16: dot_bf16(w, a, r0, nr, out); break;
    case QT_F16: dot_f16(w, a, r0, nr, out); break;
    default: dot_f32(w, a, r0, nr, out); break;
  }
}

#define ROWS_PER_TILE 16 // weight rows kept hot while every activation row passes over them (and quant_gemm.c's panel)
// From this many tokens the panel GEMM (quant_gemm.c) beats the row kernels (settable to compare them).
static long gemm_min_m = 8;
long q_set_gemm_min_tokens(long n) { long old = gemm_min_m; gemm_min_m = n; return old; }

// Rows [n0, n1) of Y for every activation row.
static void matmul_rows(int type, const uint8_t *W, long rowBytes, long N, const act_t *a, long M, long n0, long n1,
                        float *Y) {
  float o[NR_MAX];
  if (M >= gemm_min_m && q_gemm_supported(type)) {
    q_gemm_rows(type, W, rowBytes, N, a, M, n0, n1, Y);
    return;
  }
  if (M == 1) {
    switch (type) { // one specialised loop per type: the switch stays out of the row loop
#define ONE(T)                                                                     \
  case T:                                                                          \
    for (long n = n0; n < n1; n++) { dot_rows(T, W + n * rowBytes, a, 0, 1, o); Y[n] = o[0]; } \
    return;
      ONE(QT_Q8_0) ONE(QT_Q8_0_FINE) ONE(QT_Q4_0) ONE(QT_Q5_0) ONE(QT_Q4_K) ONE(QT_Q5_K) ONE(QT_Q6_K) ONE(QT_BF16) ONE(QT_F16) ONE(QT_F32)
#undef ONE
    }
    return;
  }
  for (long t0 = n0; t0 < n1; t0 += ROWS_PER_TILE) {
    long t1 = t0 + ROWS_PER_TILE < n1 ? t0 + ROWS_PER_TILE : n1;
    long m = 0;
    for (; m + NR_MAX <= M; m += NR_MAX)
      for (long n = t0; n < t1; n++) {
        dot_rows(type, W + n * rowBytes, a, m, NR_MAX, o);
        for (int r = 0; r < NR_MAX; r++) Y[(m + r) * N + n] = o[r];
      }
    for (; m + 4 <= M; m += 4)
      for (long n = t0; n < t1; n++) {
        dot_rows(type, W + n * rowBytes, a, m, 4, o);
        for (int r = 0; r < 4; r++) Y[(m + r) * N + n] = o[r];
      }
    for (; m < M; m++)
      for (long n = t0; n < t1; n++) {
        dot_rows(type, W + n * rowBytes, a, m, 1, o);
        Y[m * N + n] = o[0];
      }
  }
}

// How a weight type wants its activations: f32 as they are, int8 blocks of 32 (Q4_0; Q8_0 as
// unsigned q + 128),
// int8 blocks of 256 with 16-value sums in the order Q4_K/Q5_K nibbles unpack or in natural
// order (Q6_K), or bf16.
// The panel GEMM's formats: signed Q8_0 blocks with -Σq per block (Q8_0/Q4_0/Q5_0 weights), and
// natural-order Q8_K with -Σq per 16 and Σq per 32 in f32 (k-quants).
// AF_Q8_0U2: AF_Q8_0U plus the residual's int8 (fine Q8_0).
enum { AF_F32, AF_Q8_0, AF_Q8_0U, AF_Q8K_PERM, AF_Q8K, AF_BF16, AF_Q8_0P, AF_Q8KP, AF_Q8_0U2, AF_COUNT };

static int act_format(int type, long M) {
  if (M >= gemm_min_m && q_gemm_supported(type))
    return type == QT_Q8_0 || type == QT_Q4_0 || type == QT_Q5_0 ? AF_Q8_0P : AF_Q8KP;
  switch (type) {
    case QT_Q8_0: return AF_Q8_0U;
    case QT_Q8_0_FINE: return AF_Q8_0U2;
    case QT_Q4_0: case QT_Q5_0: return AF_Q8_0;
    case QT_Q4_K: case QT_Q5_K: return AF_Q8K_PERM;
    case QT_Q6_K: return AF_Q8K;
    case QT_BF16: return AF_BF16;
    default: return AF_F32;
  }
}

// Scratch per activation format, grown to the largest product seen.
static scratch_t s_q[AF_COUNT], s_d[AF_COUNT], s_sums[AF_COUNT], s_dv[AF_COUNT], s_nsum[AF_COUNT], s_h, s_gsum[AF_COUNT], s_fsum, s_q2;

static int act_alloc(int fmt, const float *X, long K, long M, act_t *a) {
  *a = (act_t){.K = K, .f = X};
  if (fmt == AF_Q8_0P || fmt == AF_Q8KP) {
    const long gq = fmt == AF_Q8_0P ? 32 : 16;
    a->q = grow(&s_q[fmt], (size_t)(M * K));
    a->d = grow(&s_d[fmt], (size_t)(M * (K / (fmt == AF_Q8_0P ? 32 : 256))) * sizeof(float));
    a->sums = grow(&s_sums[fmt], (size_t)(M * (K / 16) + 1) * sizeof(int16_t));
    a->gsum = grow(&s_gsum[fmt], (size_t)(M * (K / gq) + 1) * sizeof(int32_t));
    if (fmt == AF_Q8KP && !(a->fsum32 = grow(&s_fsum, (size_t)(M * (K / 32) + 1) * sizeof(float)))) return 0;
    return a->q && a->d && a->sums && a->gsum;
  }
  if (fmt == AF_Q8_0U2 && !(a->q2 = grow(&s_q2, (size_t)(M * K)))) return 0;
  if (fmt == AF_Q8_0 || fmt == AF_Q8_0U || fmt == AF_Q8_0U2 || fmt == AF_Q8K_PERM || fmt == AF_Q8K) {
    long bs = fmt == AF_Q8_0 || fmt == AF_Q8_0U || fmt == AF_Q8_0U2 ? 32 : 256;
    a->q = grow(&s_q[fmt], (size_t)(M * K));
    a->d = grow(&s_d[fmt], (size_t)(M * (K / bs)) * sizeof(float));
    a->sums = grow(&s_sums[fmt], (size_t)(M * (K / 16) + 1) * sizeof(int16_t));
    if (bs == 32) {
      a->dv = grow(&s_dv[fmt], (size_t)(M * (K / 4) + 16) * sizeof(float));
      a->nsum = grow(&s_nsum[fmt], (size_t)(M * (K / 4) + 16) * sizeof(int32_t));
      if (!a->dv || !a->nsum) return 0;
    }
    return a->q && a->d && a->sums;
  }
  if (fmt == AF_BF16) {
    a->h = grow(&s_h, (size_t)(M * K) * sizeof(uint16_t));
    return a->h != NULL;
  }
  return 1;
}

// Activation row m in format fmt.
static void prepare_row(int fmt, const float *X, long K, long m, act_t *a) {
  const float *x = X + m * K;
  switch (fmt) {
    case AF_Q8_0: case AF_Q8_0U: case AF_Q8_0U2:
      quantize_row(x, K, 32, 0, (int8_t *)a->q + m * K, (float *)a->d + m * (K / 32), NULL);
      if (fmt == AF_Q8_0U2) quantize_residual(x, K, a->q + m * K, a->d + m * (K / 32), (int8_t *)a->q2 + m * K);
      pair_vectors((int8_t *)a->q + m * K, a->d + m * (K / 32), K, fmt != AF_Q8_0, (float *)a->dv + m * (K / 4),
                   (int32_t *)a->nsum + m * (K / 4));
      break;
    case AF_Q8K_PERM: case AF_Q8K:
      quantize_row(x, K, 256, fmt == AF_Q8K_PERM, (int8_t *)a->q + m * K, (float *)a->d + m * (K / 256),
                   (int16_t *)a->sums + m * (K / 16));
      break;
    case AF_Q8_0P: case AF_Q8KP: {
      const int k8 = fmt == AF_Q8KP;
      int16_t *s16 = (int16_t *)a->sums + m * (K / 16);
      quantize_row(x, K, k8 ? 256 : 32, 0, (int8_t *)a->q + m * K, (float *)a->d + m * (K / (k8 ? 256 : 32)), s16);
      int32_t *gs = (int32_t *)a->gsum + m * (K / (k8 ? 16 : 32));
      if (k8) {
        float *fs = (float *)a->fsum32 + m * (K / 32);
        for (long j = 0; j < K / 16; j++) gs[j] = -s16[j];
        for (long j = 0; j < K / 32; j++) fs[j] = (float)(s16[2 * j] + s16[2 * j + 1]);
      } else {
        for (long j = 0; j < K / 32; j++) gs[j] = -(s16[2 * j] + s16[2 * j + 1]);
      }
      break;
    }
    case AF_BF16: to_bf16_row(x, K, (uint16_t *)a->h + m * K); break;
    default: break;
  }
}

#define MAX_CHUNKS 4096

int q_matmul_multi(int n, const qmat_t *mats, long K, const float *X, long M) {
  act_t acts[AF_COUNT];
  int need[AF_COUNT] = {0}, fmts[AF_COUNT], nf = 0;
  long work = 0, rowBytes[16];
  if (n < 1 || n > 16) return -2;
  for (int i = 0; i < n; i++) {
    int f = act_format(mats[i].type, M);
    if (!need[f]) {
      if (!act_alloc(f, X, K, M, &acts[f])) return -1;
      need[f] = 1;
      if (f != AF_F32) fmts[nf++] = f;
    }
    rowBytes[i] = qt_row_bytes(mats[i].type == QT_Q8_0_FINE ? QT_Q8_0 : mats[i].type, K);
    work += mats[i].N * rowBytes[i] * (M < 4 ? M : 4);
  }
  int nt = work >= 65536 ? omp_get_max_threads() : 1;
  if (nt > 1 && M == 1) nt = team_small(nt); // per-row results: the same bits on any thread count
  if (nt == 1) {
    for (int f = 0; f < nf; f++)
      for (long m = 0; m < M; m++) prepare_row(fmts[f], X, K, m, &acts[fmts[f]]);
    for (int i = 0; i < n; i++)
      matmul_rows(mats[i].type, mats[i].W, rowBytes[i], mats[i].N, &acts[act_format(mats[i].type, M)], M, 0, mats[i].N, mats[i].Y);
    return 0;
  }
  // Chunks of rows (a multiple of the tile) over all the matrices, ~8 per thread so that a thread
  // slowed by another process is covered by the others; claimed dynamically.
  long total = 0;
  for (int i = 0; i < n; i++) total += mats[i].N;
  long chunk = (total + 8 * nt - 1) / (8 * nt);
  chunk = (chunk + ROWS_PER_TILE - 1) / ROWS_PER_TILE * ROWS_PER_TILE;
  int cm[MAX_CHUNKS];
  long c0[MAX_CHUNKS], c1[MAX_CHUNKS], nchunks = 0;
  for (int i = 0; i < n; i++)
    for (long r = 0; r < mats[i].N; r += chunk) {
      if (nchunks == MAX_CHUNKS) return -2;
      cm[nchunks] = i; c0[nchunks] = r; c1[nchunks] = r + chunk < mats[i].N ? r + chunk : mats[i].N;
      nchunks++;
    }
  PAR_REGION(nt)
  if (M * nf < 8) {
#pragma omp single
    for (int f = 0; f < nf; f++)
      for (long m = 0; m < M; m++) prepare_row(fmts[f], X, K, m, &acts[fmts[f]]);
  } else {
#pragma omp for schedule(static)
    for (long j = 0; j < M * nf; j++) prepare_row(fmts[j / M], X, K, j % M, &acts[fmts[j / M]]);
  }
#pragma omp for schedule(dynamic, 1)
  for (long c = 0; c < nchunks; c++) {
    const qmat_t *q = &mats[cm[c]];
    matmul_rows(q->type, q->W, rowBytes[cm[c]], q->N, &acts[act_format(q->type, M)], M, c0[c], c1[c], q->Y);
  }
  PAR_REGION_END
  return 0;
}

#endif // PONDER_QUANT_AVX512
