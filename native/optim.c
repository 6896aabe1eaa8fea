// AdamW, the squared norm for clipping, and a register-only FMA loop that measures the peak.
#include "common.h"
#include <time.h>

void k_adamw(float *p, const float *g, float *m, float *v, long n, double lr, double b1, double b2, double eps,
             double wd, double step) {
  // Bias corrections in double (as the reference computes them), the update in float.
  float c1 = (float)(1.0 / (1.0 - pow(b1, step))), c2 = (float)(1.0 / (1.0 - pow(b2, step)));
  float fb1 = (float)b1, fb2 = (float)b2, flr = (float)lr, feps = (float)eps, fwd = (float)wd;
  PAR_REGION(par_threads(n, PAR_ELEMS))
#pragma omp for schedule(static)
  for (long i = 0; i < n; i++) {
    float gi = g[i];
    float mi = fb1 * m[i] + (1.0f - fb1) * gi;
    float vi = fb2 * v[i] + (1.0f - fb2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= flr * (mi * c1 / (sqrtf(vi * c2) + feps) + fwd * p[i]);
  }
  PAR_REGION_END
}

// Σ x² in double: float lanes per 1024-block, added into a double total.
double k_sum_squares(const float *x, long n) {
  double total = 0.0;
  PAR_REGION(par_threads(n, PAR_ELEMS))
#pragma omp for schedule(static) reduction(+ : total)
  for (long i0 = 0; i0 < n; i0 += 1024) {
    long e = i0 + 1024 < n ? i0 + 1024 : n;
#ifdef __AVX512F__
    __m512 v = _mm512_setzero_ps(); // lanes, not a scalar chain (the compiler may not reorder one)
    for (long i = i0; i < e; i += 16) {
      __m512 a = _mm512_maskz_loadu_ps(tail_mask(e - i), x + i);
      v = _mm512_fmadd_ps(a, a, v);
    }
    total += _mm512_reduce_add_ps(v);
#else
    float s = 0.0f;
    for (long i = i0; i < e; i++) s += x[i] * x[i];
    total += s;
#endif
  }
  PAR_REGION_END
  return total;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// Peak FMA throughput: every thread runs independent FMA chains on registers for `seconds`.
double k_peak_gflops(double seconds) {
  double flops[64] = {0}, total = 0.0, t0 = now_s();
  int nt = omp_get_max_threads() < 64 ? omp_get_max_threads() : 64;
  PAR_REGION(nt) // placed one thread per core, as the kernels are
    double total = 0.0;
#ifdef __AVX512F__
    __m512 a[12];
    for (int j = 0; j < 12; j++) a[j] = _mm512_set1_ps(1.0f + j * 1e-3f);
    const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    long it = 0;
    double t = now_s();
    while (now_s() - t < seconds) {
      for (int r = 0; r < 1000; r++) {
#pragma GCC unroll 12
        for (int j = 0; j < 12; j++) a[j] = _mm512_fmadd_ps(a[j], x, y);
      }
      it += 1000;
    }
    __m512 s = a[0];
    for (int j = 1; j < 12; j++) s = _mm512_add_ps(s, a[j]);
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    total += (double)it * 12 * 16 * 2;
#else
    // 12 independent chains of PONDER_SIMD lanes (8 on AVX2): enough to cover the FMA latency
    typedef float vf __attribute__((vector_size(PONDER_SIMD * 4)));
    vf a[12];
    for (int j = 0; j < 12; j++) for (int l = 0; l < PONDER_SIMD; l++) a[j][l] = 1.0f + j * 1e-3f;
    const vf x = (vf){0} + 0.999999f, y = (vf){0} + 1e-7f;
    long it = 0;
    double t = now_s();
    while (now_s() - t < seconds) {
      for (int r = 0; r < 1000; r++) {
#pragma GCC unroll 12
        for (int j = 0; j < 12; j++) a[j] = a[j] * x + y;
      }
      it += 1000;
    }
    volatile float sink = a[0][0] + a[11][PONDER_SIMD - 1];
    (void)sink;
    total += (double)it * 12 * PONDER_SIMD * 2;
#endif
    flops[omp_get_thread_num()] = total;
  PAR_REGION_END
  for (int t = 0; t < nt; t++) total += flops[t];
  return total / (now_s() - t0) * 1e-9;
}
