// Row kernels: RMSNorm and the softmax family, parallel over rows.
#include "common.h"
#include <string.h>

// Σ a·b over vector lanes: a scalar float sum is a chain the compiler may not reorder (4 cycles
// per element on a row of 128).
static inline float dot_(const float *a, const float *b, long n) {
#ifdef __AVX512F__
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  long i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
  }
  for (; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
#else
  float s = 0.0f;
  for (long i = 0; i < n; i++) s += a[i] * b[i];
  return s;
#endif
}

// Σ a·b·c over vector lanes.
static inline float dot3_(const float *a, const float *b, const float *c, long n) {
#ifdef __AVX512F__
  __m512 s0 = _mm512_setzero_ps();
  for (long i = 0; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    s0 = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i)),
                         _mm512_maskz_loadu_ps(m, c + i), s0);
  }
  return _mm512_reduce_add_ps(s0);
#else
  float s = 0.0f;
  for (long i = 0; i < n; i++) s += a[i] * b[i] * c[i];
  return s;
#endif
}

void k_rmsnorm(const float *x, const float *w, long rows, long C, float eps, float *out, float *rstd) {
  PAR_REGION(par_threads(rows * C, PAR_ELEMS))
#pragma omp for schedule(static)
  for (long r = 0; r < rows; r++) {
    const float *xr = x + r * C;
    float *o = out + r * C;
    float rs = 1.0f / sqrtf(dot_(xr, xr, C) / (float)C + eps);
    rstd[r] = rs;
    for (long i = 0; i < C; i++) o[i] = xr[i] * rs * w[i];
  }
  PAR_REGION_END
}

// With xhat = x·rstd and dy = dout·w: dx = rstd·(dy - xhat·mean(dy·xhat)); dw += Σ_rows dout·xhat.
void k_rmsnorm_backward(const float *dout, const float *x, const float *w, const float *rstd, long rows, long C,
                        float *dx, float *dw, int acc) {
  int nt = par_threads(rows * C, PAR_ELEMS);
  if (nt == 1) { // one pass: dw takes each row while it is in cache (same order, so the same bits)
    for (long r = 0; r < rows; r++) {
      const float *d = dout + r * C, *xr = x + r * C;
      float *o = dx + r * C;
      float rs = rstd[r], m = dot3_(d, w, xr, C);
      m *= rs * rs / (float)C;
      if (acc)
        for (long i = 0; i < C; i++) o[i] += rs * (d[i] * w[i] - xr[i] * m);
      else
        for (long i = 0; i < C; i++) o[i] = rs * (d[i] * w[i] - xr[i] * m);
      for (long i = 0; i < C; i++) dw[i] += d[i] * xr[i] * rs;
    }
    return;
  }
  PAR_REGION(nt)
  {
#pragma omp for schedule(static)
    for (long r = 0; r < rows; r++) {
      const float *d = dout + r * C, *xr = x + r * C;
      float *o = dx + r * C;
      float rs = rstd[r], m = dot3_(d, w, xr, C);
      m *= rs * rs / (float)C; // so that xhat·mean(dy·xhat) = x·m
      if (acc)
        for (long i = 0; i < C; i++) o[i] += rs * (d[i] * w[i] - xr[i] * m);
      else
        for (long i = 0; i < C; i++) o[i] = rs * (d[i] * w[i] - xr[i] * m);
    }
    // dw: threads own disjoint column ranges and sweep all rows (no reduction across threads).
    int t = omp_get_thread_num(), n = omp_get_num_threads();
    long chunk = ((C + n - 1) / n + 15) / 16 * 16;
    long c0 = t * chunk, c1 = c0 + chunk < C ? c0 + chunk : C;
    for (long r = 0; r < rows && c0 < c1; r++) {
      const float *d = dout + r * C, *xr = x + r * C;
      float rs = rstd[r];
      for (long i = c0; i < c1; i++) dw[i] += d[i] * xr[i] * rs;
    }
  }
  PAR_REGION_END
}

void k_softmax(const float *x, long rows, long C, float *out) {
  PAR_REGION(par_threads(rows * C, PAR_ELEMS))
#pragma omp for schedule(static)
  for (long r = 0; r < rows; r++) {
    const float *xr = x + r * C;
    float *o = out + r * C;
    float m = row_max(xr, C);
    if (m == -INFINITY) m = 0.0f; // an all -inf row: exp gives zeros, 0/0 = NaN as in the reference
    float inv = 1.0f / exp_shift_sum(xr, C, m, o);
    for (long i = 0; i < C; i++) o[i] *= inv;
  }
  PAR_REGION_END
}

void k_softmax_backward(const float *dy, const float *y, long rows, long C, float *dx) {
  PAR_REGION(par_threads(rows * C, PAR_ELEMS))
#pragma omp for schedule(static)
  for (long r = 0; r < rows; r++) {
    const float *d = dy + r * C, *yr = y + r * C;
    float *o = dx + r * C;
    float s = dot_(d, yr, C);
    for (long i = 0; i < C; i++) o[i] += yr[i] * (d[i] - s);
  }
  PAR_REGION_END
}

void k_log_softmax(const float *x, long rows, long C, float *out) {
  PAR_REGION(par_threads(rows * C, PAR_ELEMS))
#pragma omp for schedule(static)
  for (long r = 0; r < rows; r++) {
    const float *xr = x + r * C;
    float *o = out + r * C;
    float m = row_max(xr, C);
    if (m == -INFINITY) m = 0.0f;
    float lse = m + logf(exp_shift_sum(xr, C, m, NULL)); // NULL: sum only, so out may alias x
    for (long i = 0; i < C; i++) o[i] = xr[i] - lse;
  }
  PAR_REGION_END
}

void k_log_softmax_backward(const float *dy, const float *y, long rows, long C, float *dx) {
  PAR_REGION(par_threads(rows * C, PAR_ELEMS))
#pragma omp for schedule(static)
  for (long r = 0; r < rows; r++) {
    const float *d = dy + r * C, *yr = y + r * C;
    float *o = dx + r * C;
    float s = 0.0f, e[1024];
    for (long i = 0; i < C; i++) s += d[i];
    for (long i0 = 0; i0 < C; i0 += 1024) {
      long n = C - i0 < 1024 ? C - i0 : 1024;
      exp_shift_sum(yr + i0, n, 0.0f, e);
      for (long i = 0; i < n; i++) o[i0 + i] += d[i0 + i] - e[i] * s;
    }
  }
  PAR_REGION_END
}
