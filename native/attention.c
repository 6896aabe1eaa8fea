// Fused causal attention with grouped-query heads and online softmax (FlashAttention's
// recurrence on a CPU). Layout: q, out, dout (B, Tq, Hq, D); k, v (B, Tk, Hkv, D); lse (B, Hq, Tq).
// With AVX-512 the tiled kernels of attention_tiled.c run; this file's per-query version (SIMD
// over D for dots, over keys for exp; AVX2 where there is no AVX-512) is the portable fallback.
#include "common.h"
#include <stdlib.h>
#include <string.h>
#if !defined(__AVX512F__) && defined(__AVX2__)
#include <immintrin.h>
#endif

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
#elif defined(__AVX2__) && defined(__FMA__)
  // 8 lanes: a running scalar sum is bound by the add latency (4 cycles a term)
  __m256 s = _mm256_setzero_ps();
  long d = 0;
  for (; d + 8 <= D; d += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(a + d), _mm256_loadu_ps(b + d), s);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  float r = _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
  for (; d < D; d++) r += a[d] * b[d];
  return r;
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

// ---- many queries (training, prefill): blocks of queries as matrix products on the GEMM ----
// S = Q·Kᵀ for a block of QBLK queries and the keys they can see, the softmax per row (causal
// and keyStart limits as lanes set to zero), then P·V; the backward recomputes P from the saved
// log-sum-exp: dP = dO·Vᵀ, dS = P∘(dP − Σ dO∘O)·scale, dQ = dS·K, dK += dSᵀ·Q, dV += Pᵀ·dO.
// One (batch, head) item per thread, each product on that thread (k_gemm_serial).

#define QBLK 64         // queries per block: S is QBLK × the visible keys
#define GEMM_MIN_TQ 16  // fewer queries (decode) take the per-query loop above

typedef struct { float *p; size_t cap; } fscratch_t;
static _Thread_local fscratch_t att_buf;

static float *att_scratch(size_t n) {
  if (att_buf.cap < n) {
    free(att_buf.p);
    att_buf.p = aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63);
    att_buf.cap = att_buf.p ? n : 0;
    if (!att_buf.p) abort();
  }
  return att_buf.p;
}

// rows [r0, r0 + n) of a (.., ld) strided matrix, D columns from col, into dst (n × D)
static void gather(const float *src, long ld, long r0, long n, long col, long D, float *dst) {
  for (long r = 0; r < n; r++) memcpy(dst + r * D, src + (r0 + r) * ld + col, sizeof(float) * (size_t)D);
}

// Row r of S (n keys from lo) becomes probabilities: visible keys are [lo, min(pos, Tk - 1)],
// scores scaled; L the log-sum-exp to use (NAN: compute it and return it).
static float softmax_row(float *s, long n, long visible, float scale, float L) {
  if (visible <= 0) { memset(s, 0, sizeof(float) * (size_t)n); return -INFINITY; }
  for (long j = 0; j < visible; j++) s[j] *= scale;
  if (L != L) {
    float m = row_max(s, visible);
    float l = exp_shift_sum(s, visible, m, s), inv = 1.0f / l;
    for (long j = 0; j < visible; j++) s[j] *= inv;
    L = m + logf(l);
  } else {
    exp_shift_sum(s, visible, L, s);
  }
  memset(s + visible, 0, sizeof(float) * (size_t)(n - visible));
  return L;
}

// Keys of batch row b that any of the Tq queries sees: [lo, lo + n).
static inline void key_span(const int32_t *keyStart, long b, long qOffset, long Tq, long Tk, long *lo, long *n) {
  const long last = qOffset + Tq - 1 < Tk - 1 ? qOffset + Tq - 1 : Tk - 1;
  *lo = keyStart && keyStart[b] > 0 ? keyStart[b] : 0;
  *n = last >= *lo ? last - *lo + 1 : 0;
}

// Of those, the keys the block of queries [i0, i0 + qn) sees: the first n.
static inline long block_keys(long i0, long qn, long qOffset, long lo, long nAll) {
  const long n = qOffset + i0 + qn - lo;
  return n < 0 ? 0 : n < nAll ? n : nAll;
}

// Keys query i0 + r sees, counted from lo, capped at n.
static inline long row_keys(long i0, long r, long qOffset, long lo, long n) {
  const long v = qOffset + i0 + r - lo + 1;
  return v < n ? v : n;
}

static int attention_threads(long B, long Tq, long Tk, long Hq, long D, long qOffset) {
  return par_threads(B * Hq * Tq * (Tk < qOffset + Tq ? Tk : qOffset + Tq) * D, PAR_FLOPS);
}

static void attention_gemm(const float *q, const float *k, const float *v, long B, long Tq, long Tk, long Hq, long Hkv,
                           long D, long qOffset, const int32_t *keyStart, float scale, float *out, float *lse) {
  const long G = Hq / Hkv, ldq = Hq * D, ldk = Hkv * D;
  PAR_REGION(attention_threads(B, Tq, Tk, Hq, D, qOffset))
#pragma omp for collapse(2) schedule(dynamic, 1)
  for (long b = 0; b < B; b++)
    for (long h = 0; h < Hq; h++) {
      long lo, nkAll;
      key_span(keyStart, b, qOffset, Tq, Tk, &lo, &nkAll);
      float *Kc = att_scratch((size_t)(2 * nkAll * D + 2 * QBLK * D + QBLK * (nkAll + 1))), *Vc = Kc + nkAll * D;
      float *Qc = Vc + nkAll * D, *Oc = Qc + QBLK * D, *S = Oc + QBLK * D;
      gather(k + b * Tk * ldk, ldk, lo, nkAll, (h / G) * D, D, Kc);
      gather(v + b * Tk * ldk, ldk, lo, nkAll, (h / G) * D, D, Vc);
      for (long i0 = 0; i0 < Tq; i0 += QBLK) {
        const long qn = Tq - i0 < QBLK ? Tq - i0 : QBLK, nk = block_keys(i0, qn, qOffset, lo, nkAll);
        if (nk > 0) {
          gather(q + b * Tq * ldq, ldq, i0, qn, h * D, D, Qc);
          k_gemm_serial(qn, nk, D, Qc, 0, Kc, 1, S, 0);
        }
        for (long r = 0; r < qn; r++)
          lse[(b * Hq + h) * Tq + i0 + r] = softmax_row(S + r * nk, nk, row_keys(i0, r, qOffset, lo, nk), scale, NAN);
        if (nk > 0) k_gemm_serial(qn, D, nk, S, 0, Vc, 0, Oc, 0);
        for (long r = 0; r < qn; r++) {
          float *o = out + (b * Tq + i0 + r) * ldq + h * D;
          if (nk > 0) memcpy(o, Oc + r * D, sizeof(float) * (size_t)D);
          else memset(o, 0, sizeof(float) * (size_t)D);
        }
      }
    }
  PAR_REGION_END
}

// One item per (batch, KV head): it owns dk, dv of that head and dq of its G query heads.
static void attention_gemm_backward(const float *dout, const float *q, const float *k, const float *v, const float *out,
                                    const float *lse, long B, long Tq, long Tk, long Hq, long Hkv, long D, long qOffset,
                                    const int32_t *keyStart, float scale, float *dq, float *dk, float *dv) {
  const long G = Hq / Hkv, ldq = Hq * D, ldk = Hkv * D;
  PAR_REGION(attention_threads(B, Tq, Tk, Hq, D, qOffset))
#pragma omp for collapse(2) schedule(dynamic, 1)
  for (long b = 0; b < B; b++)
    for (long hk = 0; hk < Hkv; hk++) {
      long lo, nkAll;
      key_span(keyStart, b, qOffset, Tq, Tk, &lo, &nkAll);
      if (nkAll == 0) continue;
      float *Kc = att_scratch((size_t)(4 * nkAll * D + 4 * QBLK * D + 2 * QBLK * nkAll + QBLK));
      float *Vc = Kc + nkAll * D, *dKc = Vc + nkAll * D, *dVc = dKc + nkAll * D;
      float *Qc = dVc + nkAll * D, *dOc = Qc + QBLK * D, *Oc = dOc + QBLK * D, *dQc = Oc + QBLK * D;
      float *P = dQc + QBLK * D, *dS = P + QBLK * nkAll, *Di = dS + QBLK * nkAll;
      gather(k + b * Tk * ldk, ldk, lo, nkAll, hk * D, D, Kc);
      gather(v + b * Tk * ldk, ldk, lo, nkAll, hk * D, D, Vc);
      memset(dKc, 0, sizeof(float) * (size_t)(2 * nkAll * D));
      for (long h = hk * G; h < (hk + 1) * G; h++)
        for (long i0 = 0; i0 < Tq; i0 += QBLK) {
          const long qn = Tq - i0 < QBLK ? Tq - i0 : QBLK, nk = block_keys(i0, qn, qOffset, lo, nkAll);
          if (nk == 0) continue;
          gather(q + b * Tq * ldq, ldq, i0, qn, h * D, D, Qc);
          gather(dout + b * Tq * ldq, ldq, i0, qn, h * D, D, dOc);
          gather(out + b * Tq * ldq, ldq, i0, qn, h * D, D, Oc);
          for (long r = 0; r < qn; r++) Di[r] = dotD(dOc + r * D, Oc + r * D, D);
          k_gemm_serial(qn, nk, D, Qc, 0, Kc, 1, P, 0);
          k_gemm_serial(qn, nk, D, dOc, 0, Vc, 1, dS, 0);
          for (long r = 0; r < qn; r++) {
            const float L = lse[(b * Hq + h) * Tq + i0 + r];
            const long vis = L == -INFINITY ? 0 : row_keys(i0, r, qOffset, lo, nk);
            float *p = P + r * nk, *ds = dS + r * nk;
            softmax_row(p, nk, vis, scale, L);
            for (long j = 0; j < nk; j++) ds[j] = p[j] * (ds[j] - Di[r]) * scale;
          }
          k_gemm_serial(qn, D, nk, dS, 0, Kc, 0, dQc, 0);
          k_gemm_serial(nk, D, qn, dS, 1, Qc, 0, dKc, 1);
          k_gemm_serial(nk, D, qn, P, 1, dOc, 0, dVc, 1);
          for (long r = 0; r < qn; r++) {
            float *o = dq + (b * Tq + i0 + r) * ldq + h * D;
            for (long d = 0; d < D; d++) o[d] += dQc[r * D + d];
          }
        }
      for (long j = 0; j < nkAll; j++) {
        float *a = dk + (b * Tk + lo + j) * ldk + hk * D, *c = dv + (b * Tk + lo + j) * ldk + hk * D;
        for (long d = 0; d < D; d++) { a[d] += dKc[j * D + d]; c[d] += dVc[j * D + d]; }
      }
    }
  PAR_REGION_END
}

void k_attention(const float *q, const float *k, const float *v, long B, long Tq, long Tk, long Hq, long Hkv,
                 long D, long qOffset, const int32_t *keyStart, float scale, float *out, float *lse) {
  if (Tq >= GEMM_MIN_TQ) { attention_gemm(q, k, v, B, Tq, Tk, Hq, Hkv, D, qOffset, keyStart, scale, out, lse); return; }
  long G = Hq / Hkv, ldq = Hq * D, ldk = Hkv * D;
  int nt = attention_threads(B, Tq, Tk, Hq, D, qOffset);
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
  if (Tq >= GEMM_MIN_TQ) {
    attention_gemm_backward(dout, q, k, v, out, lse, B, Tq, Tk, Hq, Hkv, D, qOffset, keyStart, scale, dq, dk, dv);
    return;
  }
  long G = Hq / Hkv, ldq = Hq * D, ldk = Hkv * D;
  int nt = attention_threads(B, Tq, Tk, Hq, D, qOffset);
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
