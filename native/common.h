// Shared helpers for the native kernels: thread thresholds, a vectorised exp, kernel prototypes.
// Every kernel takes flat row-major float buffers whose lengths addon.c has already checked.
#ifndef PONDER_COMMON_H
#define PONDER_COMMON_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <omp.h>
#ifdef __AVX512F__
#include <immintrin.h>
#define PONDER_SIMD 16
#elif defined(__AVX2__)
#define PONDER_SIMD 8
#else
#define PONDER_SIMD 1
#endif

// Below these sizes a parallel region costs more than it saves (waking a thread is microseconds).
#define PAR_ELEMS 32768L   // elementwise with math per element (exp, sqrt, rows): floats touched
#define PAR_MEM 262144L    // plain copies and adds: bound by memory, a second thread rarely pays
#define PAR_FLOPS 200000L  // row kernels: rough work units

static inline int par_threads(long work, long threshold) {
  return work >= threshold ? omp_get_max_threads() : 1;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static inline float sigmoidf_(float x) { return 1.0f / (1.0f + expf(-x)); }

#ifdef __AVX512F__
// exp on 16 lanes, Cephes-style: x = n·ln2 + r with |r| <= ln2/2, a degree-6 polynomial for e^r,
// then 2^n through scalef (which saturates to 0 / inf without integer overflow tricks).
// Relative error about 1e-7 over the float range; NaN propagates, -inf gives 0, x > 88.73 gives inf.
static inline __m512 exp16(__m512 x) {
  const __m512 hi = _mm512_set1_ps(89.0f), lo = _mm512_set1_ps(-103.972076f);
  x = _mm512_min_ps(hi, _mm512_max_ps(lo, x)); // operands ordered so a NaN x passes through
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}
// In-register 16×16 transpose: on return r[c] holds column c (unpack pairs, quads, then lanes).
static inline void transpose16_regs(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
  }
  for (int h = 0; h < 16; h += 8)
    for (int i = 0; i < 4; i++) {
      t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
      t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
    }
  for (int i = 0; i < 8; i++) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
  }
}

// r[j] = Σ lanes of v[j] for 16 vectors: a transpose-and-add tree (45 shuffles and adds for 16
// sums instead of 8 per horizontal reduction).
static inline __m512 reduce16(__m512 v[16]) {
  __m512 w[8], x[4], y[2];
  for (int i = 0; i < 8; i++) // per 128-bit lane: [v2i, v2i+1, v2i, v2i+1] partials
    w[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
  for (int i = 0; i < 4; i++) { // per 128-bit lane: [v4i .. v4i+3] partials
    __m512d a = _mm512_castps_pd(w[2 * i]), b = _mm512_castps_pd(w[2 * i + 1]);
    x[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
  }
  for (int i = 0; i < 2; i++) // lanes: [v8i..+3 (lanes 0+1), (lanes 2+3), v8i+4..+7 (0+1), (2+3)]
    y[i] = _mm512_add_ps(_mm512_shuffle_f32x4(x[2 * i], x[2 * i + 1], 0x88), _mm512_shuffle_f32x4(x[2 * i], x[2 * i + 1], 0xdd));
  return _mm512_add_ps(_mm512_shuffle_f32x4(y[0], y[1], 0x88), _mm512_shuffle_f32x4(y[0], y[1], 0xdd));
}

static inline __mmask16 tail_mask(long left) {
  return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
// exp on 8 lanes, exp16's polynomial; 2^n as two factors (AVX2 has no scalef), so n may reach 128.
// x below the float range's exp gives 0 (-inf too), above it inf; NaN propagates.
static inline __m256 exp8(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.7228394f), lo = _mm256_set1_ps(-87.3365478f);
  const __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ), over = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
  x = _mm256_min_ps(hi, _mm256_max_ps(lo, x)); // operands ordered so a NaN x passes through
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i ni = _mm256_cvtps_epi32(n), n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  p = _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23)));
  p = _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23)));
  p = _mm256_blendv_ps(p, _mm256_setzero_ps(), under);
  return _mm256_blendv_ps(p, _mm256_set1_ps(INFINITY), over);
}
#endif

// out[i] = exp(x[i] - shift) (out may be NULL: sum only), returns Σ out[i] (float lanes; rows here are at most ~1e5 long).
float exp_shift_sum(const float *x, long n, float shift, float *out);
// max of x[0..n)
float row_max(const float *x, long n);

// Per-region thread placement (threads.c): pin_caller before a parallel region of nt threads
// returns the caller's CPU (or -1: placement off); each thread calls pin_worker(cpu) first thing
// inside the region; release_caller(cpu) after it.
int team_pin_caller(int nt);
// The same for a long region (a big GEMM): the caller is pinned even when no worker clashes.
int team_pin_caller_long(int nt);
void team_pin_worker(int caller_cpu);
void team_release_caller(int caller_cpu);
// Threads for a small latency-bound region (decode): nt, or 1 for a while after a worker came late.
int team_small(int nt);
// Called by each thread at the end of its share of a PAR_REGION (feeds team_small).
void team_thread_done(void);
// One region's timing as team_small judges it (ns: the caller's own share, then its wait for the
// workers); team_policy_reset forgets every judgement. Exposed to test the policy.
void team_observe(long own_ns, long wait_ns);
void team_policy_reset(void);

// A parallel region of n threads with that placement. Use as
//   PAR_REGION(n)
//   #pragma omp for ...
//   for (...) ...
//   PAR_REGION_END
#define PAR_REGION(n)                                                              \
  {                                                                                \
    const int par_nt_ = (n), par_cpu_ = team_pin_caller(par_nt_);                  \
    _Pragma("omp parallel num_threads(par_nt_)") {                                 \
      team_pin_worker(par_cpu_);
#define PAR_REGION_END          \
      team_thread_done();       \
    }                           \
    team_release_caller(par_cpu_); \
  }

// ---- kernels (one family per file) ----
void k_gemm(long batch, long M, long N, long K, const float *A, long sA, int tA, const float *B, long sB, int tB,
            float *C, long sC, int acc);
void gemm_init(void);
// The same (batch 1, contiguous) on the calling thread only: for use inside a parallel region.
void k_gemm_serial(long M, long N, long K, const float *A, int tA, const float *B, int tB, float *C, int acc);

void k_binary(int op, const float *a, long na, const float *b, long nb, float *out);
void k_unary(int op, const float *a, long n, float *out);
void k_affine(const float *a, long n, float s, float t, float *out);
void k_clamp(const float *a, long n, float lo, float hi, float *out);
void k_where(const float *cond, const float *a, const float *b, long n, float *out);
void k_sum_axis(const float *a, long outer, long axis, long inner, float *out, int acc);
void k_reduce_broadcast(const float *a, long na, float *out, long n);
void k_embedding(const float *table, long C, const int32_t *ids, long n, float *out);
void k_embedding_backward(const float *dout, long C, const int32_t *ids, long n, float *dtable);
void k_rope(const float *x, long B, long T, long H, long D, long posOffset, const float *cos, const float *sin,
            int inverse, float *out);
void k_swiglu(const float *g, const float *u, long n, float *out);
void k_swiglu_backward(const float *dout, const float *g, const float *u, long n, float *dg, float *du, int acc);
void k_silu_backward(const float *dout, const float *a, long n, float *da);

void k_rmsnorm(const float *x, const float *w, long rows, long C, float eps, float *out, float *rstd);
void k_rmsnorm_backward(const float *dout, const float *x, const float *w, const float *rstd, long rows, long C,
                        float *dx, float *dw, int acc);
void k_softmax(const float *x, long rows, long C, float *out);
void k_softmax_backward(const float *dy, const float *y, long rows, long C, float *dx);
void k_log_softmax(const float *x, long rows, long C, float *out);
void k_log_softmax_backward(const float *dy, const float *y, long rows, long C, float *dx);

void k_token_logprobs(const float *logits, const int32_t *t, long rows, long V, float *logp, float *lse);
void k_token_logprobs_backward(const float *logits, const int32_t *t, const float *lse, const float *g, long rows,
                               long V, float *dlogits);
void k_sample_rows(const float *logits, long rows, long V, float temperature, const double *u, int32_t *tokens,
                   float *logprobs);

void k_attention(const float *q, const float *k, const float *v, long B, long Tq, long Tk, long Hq, long Hkv,
                 long D, long qOffset, const int32_t *keyStart, float scale, float *out, float *lse);
void k_attention_backward(const float *dout, const float *q, const float *k, const float *v, const float *out,
                          const float *lse, long B, long Tq, long Tk, long Hq, long Hkv, long D, long qOffset,
                          const int32_t *keyStart, float scale, float *dq, float *dk, float *dv);

void k_adamw(float *p, const float *g, float *m, float *v, long n, double lr, double b1, double b2, double eps,
             double wd, double step);
double k_sum_squares(const float *x, long n);
double k_peak_gflops(double seconds);

#endif
