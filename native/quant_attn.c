// Flash-style attention over an f16 KV cache (inference): each (query, KV head) pair walks its
// keys in tiles of 32 with an online softmax, all the query heads that share the KV head together,
// so each tile of keys and values is converted from f16 once and read from L1 by every head.
// Work items are independent: the result does not depend on the thread count. Prefill takes blocks
// of query tokens per item (attend_block).
#include <string.h>
#include "common.h"
#include "quant.h"
#include "quant_act.h"

#if PONDER_QUANT_AVX512 // else quant_portable.c

#define TILE 32

// Positions j0..j0+jn of KV group g, f16 keys and values converted to f32 tiles (row: one position's stride).
static inline void load_tile(const uint16_t *kc, const uint16_t *vc, long j0, long jn, long row, long g, long D,
                             float *kt, float *vt) {
  for (long j = 0; j < jn; j++)
    for (long d = 0; d < D; d += 16) {
      __mmask16 mk = tail_mask(D - d);
      const long at = (j0 + j) * row + g * D + d;
      _mm512_mask_storeu_ps(kt + j * D + d, mk, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mk, kc + at)));
      _mm512_mask_storeu_ps(vt + j * D + d, mk, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mk, vc + at)));
    }
}

static void attend_item(const float *q, const uint16_t *kc, const uint16_t *vc, long Hq, long Hkv, long D, long n,
                        long g, float scale, float *out) {
  const long G = Hq / Hkv, row = Hkv * D;
  float kt[TILE * D], vt[TILE * D], acc[G * D], m[G], l[G], s[TILE];
  for (long h = 0; h < G; h++) { m[h] = -INFINITY; l[h] = 0.0f; }
  memset(acc, 0, sizeof acc);
  for (long j0 = 0; j0 < n; j0 += TILE) {
    const long jn = n - j0 < TILE ? n - j0 : TILE;
    load_tile(kc, vc, j0, jn, row, g, D, kt, vt);
    for (long h = 0; h < G; h++) {
      const float *qh = q + (g * G + h) * D;
      float mx = m[h];
      for (long j = 0; j < jn; j++) {
        __m512 a = _mm512_setzero_ps();
        for (long d = 0; d < D; d += 16) {
          __mmask16 mk = tail_mask(D - d);
          a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, qh + d), _mm512_maskz_loadu_ps(mk, kt + j * D + d), a);
        }
        s[j] = _mm512_reduce_add_ps(a) * scale;
        if (s[j] > mx) mx = s[j];
      }
      const float corr = expf(m[h] - mx); // 0 on the first tile (m = -inf)
      float *o = acc + h * D, sum = 0.0f;
      for (long d = 0; d < D; d++) o[d] *= corr;
      for (long j = 0; j < jn; j++) {
        const float p = expf(s[j] - mx);
        sum += p;
        for (long d = 0; d < D; d += 16) {
          __mmask16 mk = tail_mask(D - d);
          _mm512_mask_storeu_ps(o + d, mk, _mm512_fmadd_ps(_mm512_set1_ps(p), _mm512_maskz_loadu_ps(mk, vt + j * D + d),
                                                           _mm512_maskz_loadu_ps(mk, o + d)));
        }
      }
      l[h] = l[h] * corr + sum;
      m[h] = mx;
    }
  }
  for (long h = 0; h < G; h++) {
    const float inv = l[h] > 0 ? 1.0f / l[h] : 0.0f;
    for (long d = 0; d < D; d++) out[(g * G + h) * D + d] = acc[h * D + d] * inv;
  }
}

// Prefill: nq consecutive query tokens (t0..) of KV group g together, so each tile of keys and
// values is converted from f16 once for nq·G query heads (not once per token), and the scores of 16
// keys come out as one vector (16 dot products summed by one transpose-and-add tree, reduce16),
// exponentiated 16 at a time (exp16). Query t0 + i sees keys 0..qOffset + t0 + i.
#define QB_HEADS 64 // query heads per block (tokens × heads of a group)

static inline __attribute__((always_inline)) void attend_block(const float *q, const uint16_t *kc, const uint16_t *vc, long Hq,
                                                               long Hkv, const long D, long t0, long nq, long qOffset, long g,
                                                               float scale, float *out) {
  const long G = Hq / Hkv, row = Hkv * D, H = nq * G, nmax = qOffset + t0 + nq;
  float kt[TILE * D], vt[TILE * D], acc[H * D], m[H], l[H];
  _Alignas(64) float p[TILE];
  for (long h = 0; h < H; h++) { m[h] = -INFINITY; l[h] = 0.0f; }
  memset(acc, 0, sizeof acc);
  for (long j0 = 0; j0 < nmax; j0 += TILE) {
    const long jn = nmax - j0 < TILE ? nmax - j0 : TILE;
    load_tile(kc, vc, j0, jn, row, g, D, kt, vt);
    for (long hh = 0; hh < H; hh++) {
      const long i = hh / G, n = qOffset + t0 + i + 1; // keys this query sees
      if (j0 >= n) continue;
      const long jv = n - j0 < jn ? n - j0 : jn;
      const float *qh = q + (t0 + i) * Hq * D + (g * G + hh % G) * D;
      float mx = m[hh];
      __m512 sv[TILE / 16];
      for (long c = 0; c < TILE / 16; c++) {
        __m512 a[16];
        for (int j = 0; j < 16; j++) {
          a[j] = _mm512_setzero_ps();
          if (c * 16 + j >= jv) continue;
          for (long d = 0; d < D; d += 16) {
            __mmask16 mk = tail_mask(D - d);
            a[j] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, qh + d), _mm512_maskz_loadu_ps(mk, kt + (c * 16 + j) * D + d), a[j]);
          }
        }
        __mmask16 valid = tail_mask(jv - c * 16 > 0 ? jv - c * 16 : 0);
        sv[c] = _mm512_mask_blend_ps(valid, _mm512_set1_ps(-INFINITY), _mm512_mul_ps(reduce16(a), _mm512_set1_ps(scale)));
        mx = fmaxf(mx, _mm512_reduce_max_ps(sv[c]));
      }
      const float corr = expf(m[hh] - mx); // 0 on the first tile (m = -inf)
      float sum = 0.0f;
      for (long c = 0; c < TILE / 16; c++) {
        __m512 e = exp16(_mm512_sub_ps(sv[c], _mm512_set1_ps(mx))); // masked keys: exp(-inf) = 0
        _mm512_store_ps(p + 16 * c, e);
        sum += _mm512_reduce_add_ps(e);
      }
      float *o = acc + hh * D;
      for (long d = 0; d < D; d += 16) {
        __mmask16 mk = tail_mask(D - d);
        __m512 od = _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, o + d), _mm512_set1_ps(corr));
        for (long j = 0; j < jv; j++) od = _mm512_fmadd_ps(_mm512_set1_ps(p[j]), _mm512_maskz_loadu_ps(mk, vt + j * D + d), od);
        _mm512_mask_storeu_ps(o + d, mk, od);
      }
      l[hh] = l[hh] * corr + sum;
      m[hh] = mx;
    }
  }
  for (long hh = 0; hh < H; hh++) {
    const float inv = l[hh] > 0 ? 1.0f / l[hh] : 0.0f;
    const long i = hh / G;
    float *dst = out + (t0 + i) * Hq * D + (g * G + hh % G) * D;
    for (long d = 0; d < D; d++) dst[d] = acc[hh * D + d] * inv;
  }
}

void q_attention_f16(const float *q, const uint16_t *kc, const uint16_t *vc, long T, long Hq, long Hkv, long D,
                     long qOffset, float scale, float *out) {
  const long G = Hq / Hkv;
  if (T > 1 && G <= QB_HEADS) { // prefill: blocks of query tokens
    const long qb = QB_HEADS / G < 8 ? QB_HEADS / G : 8, blocks = (T + qb - 1) / qb, items = blocks * Hkv;
    int nt = par_threads((qOffset + T) * T * Hq * D, PAR_FLOPS);
    if (nt > items) nt = (int)items;
    PAR_REGION(nt)
#pragma omp for schedule(dynamic, 1)
    for (long it = items - 1; it >= 0; it--) { // the longest blocks (last queries) first
      const long b = it / Hkv, g = it % Hkv, t0 = b * qb;
      const long nq = T - t0 < qb ? T - t0 : qb;
      // the usual head sizes as constants: the dot products unroll with no masks
      if (D == 128) attend_block(q, kc, vc, Hq, Hkv, 128, t0, nq, qOffset, g, scale, out);
      else if (D == 64) attend_block(q, kc, vc, Hq, Hkv, 64, t0, nq, qOffset, g, scale, out);
      else attend_block(q, kc, vc, Hq, Hkv, D, t0, nq, qOffset, g, scale, out);
    }
    PAR_REGION_END
    return;
  }
  const long items = T * Hkv;
  long work = (qOffset + T) * T * Hq * D;
  int nt = par_threads(work, PAR_FLOPS);
  if (nt > items) nt = (int)items;
  if (nt > 1 && T == 1) nt = team_small(nt);
  if (nt <= 1) {
    for (long i = 0; i < items; i++) {
      long t = i / Hkv, g = i % Hkv;
      attend_item(q + t * Hq * D, kc, vc, Hq, Hkv, D, qOffset + t + 1, g, scale, out + t * Hq * D);
    }
    return;
  }
  PAR_REGION(nt)
#pragma omp for schedule(dynamic, 1)
  for (long i = items - 1; i >= 0; i--) { // the longest rows (last queries) first
    long t = i / Hkv, g = i % Hkv;
    attend_item(q + t * Hq * D, kc, vc, Hq, Hkv, D, qOffset + t + 1, g, scale, out + t * Hq * D);
  }
  PAR_REGION_END
}

void q_cache_write_f16(const float *k, const float *v, long T, long rowLen, long pos, uint16_t *kc, uint16_t *vc) {
  const long n = T * rowLen;
  uint16_t *kd = kc + pos * rowLen, *vd = vc + pos * rowLen;
  for (long i = 0; i < n; i += 16) {
    __mmask16 mk = tail_mask(n - i);
    _mm256_mask_storeu_epi16(kd + i, mk, _mm512_cvtps_ph(_mm512_maskz_loadu_ps(mk, k + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    _mm256_mask_storeu_epi16(vd + i, mk, _mm512_cvtps_ph(_mm512_maskz_loadu_ps(mk, v + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
}

#endif // PONDER_QUANT_AVX512
