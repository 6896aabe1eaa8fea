// Fused causal attention with grouped-query heads and online softmax (FlashAttention's
// recurrence on a CPU). Layout: q, out, dout (B, Tq, Hq, D); k, v (B, Tk, Hkv, D); lse (B, Hq, Tq).
// With AVX-512 the tiled kernels of attention_tiled.c run; this file's per-query version (SIMD
// over D for dots, over keys for exp) is the portable fallback.
#include "common.h"
#include <string.h>

#ifndef __AVX512F__

#define KB 256 // keys per block: scores live on the stack

static inline float dotD(const float *a, const float *b, long D) {
#ifdef __AVX512F__
  __m512 s = _mm512_setzero_ps();
  for (long d = 0; d < D; d += 16) {
    __mmask16 m = tail_mask(D - d);
    s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + d), _mm512_maskz_loadu_ps(m, b + d), s);
  }
  return _mm512_reduce_add_ps(s);
#else
  float s = 0.0f;
  for (long d = 0; d < D; d++) s += a[d] * b[d];
  return s;
#endif
}

// y += a·x over D
static inline void axpyD(float a, const float *x, float *y, long D) {
#ifdef __AVX512F__
  __m512 av = _mm512_set1_ps(a);
  for (long d = 0; d < D; d += 16) {
    __mmask16 m = tail_mask(D - d);
    _mm512_mask_storeu_ps(y + d, m, _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m, x + d), _mm512_maskz_loadu_ps(m, y + d)));
  }
#else
  for (long d = 0; d < D; d++) y[d] += a * x[d];
#endif
}

// The keys query i may see: [lo, hi] (empty when lo > hi).
static inline void key_range(long i, long qOffset, long Tk, const int32_t *keyStart, long b, long *lo, long *hi) {
  long h = qOffset + i;
  if (h > Tk - 1) h = Tk - 1;
  long l = keyStart ? keyStart[b] : 0;
  if (l < 0) l = 0;
  *lo = l;
  *hi = h;
}

void k_attention(const float *q, const float *k, const float *v, long B, long Tq, long Tk, long Hq, long Hkv,
                 long D, long qOffset, const int32_t *keyStart, float scale, float *out, float *lse) {
  long G = Hq / Hkv, ldq = Hq * D, ldk = Hkv * D;
  long work = B * Hq * Tq * (Tk < qOffset + Tq ? Tk : qOffset + Tq) * D;
  int nt = par_threads(work, PAR_FLOPS);
  PAR_REGION(nt)
#pragma omp for collapse(3)  schedule(dynamic, 4)
  for (long b = 0; b < B; b++)
    for (long h = 0; h < Hq; h++)
      for (long i = 0; i < Tq; i++) {
        const float *qi = q + (b * Tq + i) * ldq + h * D;
        const float *kb = k + b * Tk * ldk + (h / G) * D, *vb = v + b * Tk * ldk + (h / G) * D;
        float *oi = out + (b * Tq + i) * ldq + h * D;
        float *li = lse + (b * Hq + h) * Tq + i;
        long lo, hi;
        key_range(i, qOffset, Tk, keyStart, b, &lo, &hi);
        memset(oi, 0, sizeof(float) * (size_t)D);
        if (lo > hi) { *li = -INFINITY; continue; }
        float s[KB], m = -INFINITY, l = 0.0f;
        for (long j0 = lo; j0 <= hi; j0 += KB) {
          long n = hi + 1 - j0 < KB ? hi + 1 - j0 : KB;
          for (long j = 0; j < n; j++) s[j] = scale * dotD(qi, kb + (j0 + j) * ldk, D);
          float mb = row_max(s, n), mn = mb > m ? mb : m;
          if (m != -INFINITY && mn != m) { // rescale what was accumulated under the old max
            float c = expf(m - mn);
            l *= c;
            for (long d = 0; d < D; d++) oi[d] *= c;
          }
          m = mn;
          l += exp_shift_sum(s, n, m, s);
          for (long j = 0; j < n; j++) axpyD(s[j], vb + (j0 + j) * ldk, oi, D);
        }
        float inv = 1.0f / l;
        for (long d = 0; d < D; d++) oi[d] *= inv;
        *li = m + logf(l);
      }
  PAR_REGION_END
}

// One work item is a (batch, kv head) pair: it owns dk, dv of that head and dq of its G query
// heads, so items never write the same float.
//   p = exp(scale·q·k - lse), dv += p·dout, dp = dout·v, ds = p·(dp - Σ dout·out),
//   dq += scale·ds·k, dk += scale·ds·q.
void k_attention_backward(const float *dout, const float *q, const float *k, const float *v, const float *out,
                          const float *lse, long B, long Tq, long Tk, long Hq, long Hkv, long D, long qOffset,
                          const int32_t *keyStart, float scale, float *dq, float *dk, float *dv) {
  long G = Hq / Hkv, ldq = Hq * D, ldk = Hkv * D;
  long work = B * Hq * Tq * (Tk < qOffset + Tq ? Tk : qOffset + Tq) * D;
  int nt = par_threads(work, PAR_FLOPS);
  PAR_REGION(nt)
#pragma omp for collapse(2)  schedule(dynamic, 1)
  for (long b = 0; b < B; b++)
    for (long hk = 0; hk < Hkv; hk++) {
      const float *kb = k + b * Tk * ldk + hk * D, *vb = v + b * Tk * ldk + hk * D;
      float *dkb = dk + b * Tk * ldk + hk * D, *dvb = dv + b * Tk * ldk + hk * D;
      for (long h = hk * G; h < (hk + 1) * G; h++)
        for (long i = 0; i < Tq; i++) {
          long lo, hi;
          key_range(i, qOffset, Tk, keyStart, b, &lo, &hi);
          float L = lse[(b * Hq + h) * Tq + i];
          if (lo > hi || L == -INFINITY) continue;
          long off = (b * Tq + i) * ldq + h * D;
          const float *qi = q + off, *doi = dout + off;
          float *dqi = dq + off;
          float Di = dotD(doi, out + off, D), p[KB];
          for (long j0 = lo; j0 <= hi; j0 += KB) {
            long n = hi + 1 - j0 < KB ? hi + 1 - j0 : KB;
            for (long j = 0; j < n; j++) p[j] = scale * dotD(qi, kb + (j0 + j) * ldk, D);
            exp_shift_sum(p, n, L, p);
            for (long j = 0; j < n; j++) {
              long kj = (j0 + j) * ldk;
              float ds = p[j] * (dotD(doi, vb + kj, D) - Di) * scale;
              axpyD(p[j], doi, dvb + kj, D);
              axpyD(ds, qi, dkb + kj, D);
              axpyD(ds, kb + kj, dqi, D);
            }
          }
        }
    }
  PAR_REGION_END
}
#endif
