// Memory bandwidth of this machine, for the inference benchmark's "fraction of the limit":
// STREAM's triad a[i] = b[i] + s·c[i] (counted as 3 arrays moved, as STREAM counts it), and a
// read-only sum (what a decode step does to its weights). Arrays are first touched by the
// threads that use them and should be much larger than the L3 cache.
#include <stdlib.h>
#include <time.h>
#include "common.h"
#include "quant.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// mode 0: triad; mode 1: read-only sum. Returns GB/s (best of reps), or -1 if memory is short.
static double bandwidth(long n, int nt, int reps, int mode) {
  n = (n + 31) / 32 * 32; // whole 32-double steps for the read loop
  double *a = aligned_alloc(64, n * sizeof(double)), *b = aligned_alloc(64, n * sizeof(double)),
         *c = aligned_alloc(64, n * sizeof(double));
  if (!a || !b || !c) { free(a); free(b); free(c); return -1; }
  volatile double sink = 0;
  PAR_REGION(nt)
#pragma omp for schedule(static)
  for (long i = 0; i < n; i++) { a[i] = 0.0; b[i] = 1.0; c[i] = 2.0; }
  PAR_REGION_END
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    double t0 = now_s(), total = 0;
    PAR_REGION(nt)
    if (mode == 0) {
#pragma omp for schedule(static)
      for (long i = 0; i < n; i++) a[i] = b[i] + 3.0 * c[i];
    } else {
#ifdef __AVX512F__
      // four vector accumulators: a scalar sum would be bound by the add latency, not memory
      __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
#pragma omp for schedule(static)
      for (long i = 0; i < n; i += 32) {
        s0 = _mm512_add_pd(s0, _mm512_load_pd(b + i));
        s1 = _mm512_add_pd(s1, _mm512_load_pd(b + i + 8));
        s2 = _mm512_add_pd(s2, _mm512_load_pd(b + i + 16));
        s3 = _mm512_add_pd(s3, _mm512_load_pd(b + i + 24));
      }
      double s = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)));
#else
      // a vectorised partial sum per 32 doubles: a scalar chain would be bound by the add latency
      double s = 0;
#pragma omp for schedule(static)
      for (long i = 0; i < n; i += 32) {
        double part = 0;
#pragma omp simd reduction(+ : part)
        for (int j = 0; j < 32; j++) part += b[i + j];
        s += part;
      }
#endif
#pragma omp atomic
      total += s;
    }
    PAR_REGION_END
    double t = now_s() - t0;
    sink += total + a[n / 2];
    if (t < best) best = t;
  }
  (void)sink;
  free(a); free(b); free(c);
  double bytes = (mode == 0 ? 3.0 : 1.0) * n * sizeof(double);
  return bytes / best / 1e9;
}

double triad_gbs(long n, int nt, int reps) { return bandwidth(n, nt, reps, 0); }
double read_gbs(long n, int nt, int reps) { return bandwidth(n, nt, reps, 1); }
