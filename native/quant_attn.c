// Flash-style attention over an f16 KV cache (inference): each (query, KV head) pair walks its
// keys in tiles of 32 with an online softmax, all the query heads that share the KV head together,
// so each tile of keys and values is converted from f16 once and read from L1 by every head.
// Work items are independent: the result does not depend on the thread count.
#include <string.h>
#include "common.h"
#include "quant.h"

#define TILE 32

static void attend_item(const float *q, const uint16_t *kc, const uint16_t *vc, long Hq, long Hkv, long D, long n,
                        long g, float scale, float *out) {
  const long G = Hq / Hkv, row = Hkv * D;
  float kt[TILE * D], vt[TILE * D], acc[G * D], m[G], l[G], s[TILE];
  for (long h = 0; h < G; h++) { m[h] = -INFINITY; l[h] = 0.0f; }
  memset(acc, 0, sizeof acc);
  for (long j0 = 0; j0 < n; j0 += TILE) {
    const long jn = n - j0 < TILE ? n - j0 : TILE;
    for (long j = 0; j < jn; j++)
      for (long d = 0; d < D; d += 16) {
        __mmask16 mk = tail_mask(D - d);
        const long at = (j0 + j) * row + g * D + d;
        _mm512_mask_storeu_ps(kt + j * D + d, mk, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mk, kc + at)));
        _mm512_mask_storeu_ps(vt + j * D + d, mk, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mk, vc + at)));
      }
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

void q_attention_f16(const float *q, const uint16_t *kc, const uint16_t *vc, long T, long Hq, long Hkv, long D,
                     long qOffset, float scale, float *out) {
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
