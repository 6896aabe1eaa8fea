// GEMM in the BLIS/GotoBLAS shape: C (M×N) = op(A) (M×K) · op(B) (K×N).
// Loops, outermost first: jc over NC columns (packed B block lives in L3), pc over KC of K (pack
// B: KC×NC into NR-wide panels), ic over MC rows (pack A: MC×KC into MR-tall panels, lives in L2),
// jr over NR panels (one B micro-panel, KC×NR, streamed from L2), ir over MR panels (the MR×KC A
// micro-panel stays in L1): the micro-kernel keeps an MR×NR tile of C in registers (14×32 = 28
// zmm accumulators) and does rank-1 updates with broadcast A and two vectors of B.
// Packing absorbs the transposes, so one micro-kernel serves all four transA/transB cases, and
// zero padding in the packs lets edge tiles run the same kernel into a scratch tile.
// On several threads: gemm_parallel (dynamic chunks, shrinking towards the end); many small
// matrices: one per thread;
// M <= 4 (decode): no packing at all, gemm_small_m.
#include "common.h"
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __AVX512F__
#define MR 14
#define NR 32
#else
// AVX2: a 6×16 tile, 12 ymm accumulators + 2 of B + 1 broadcast A of the 16 registers (BLIS's
// Haswell shape); the packing below is written for any MR and NR.
#define MR 6
#define NR 16
#endif
#ifndef KC
#define KC 512   // A micro-panel 14×512×4 = 28 KiB in L1; the B micro-panel (64 KiB) streams from L2
#endif
#ifndef MC
#define MC 168   // MR·12: A block 168×512×4 = 336 KiB of the 1 MiB L2
#endif
#define NC 4096  // B block up to 512×4096×4 = 8 MiB of the 32 MiB L3
#define MAXT 64

typedef struct { float *p; size_t cap; } fbuf;
static fbuf bufA[MAXT], bufB[MAXT];

// Grown, never shrunk: allocation (and first touch of fresh pages) happens once per size.
static float *grow(fbuf *b, size_t n) {
  if (b->cap < n) {
    free(b->p);
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    b->p = aligned_alloc(64, bytes);
    if (!b->p) { b->cap = 0; return NULL; }
    b->cap = n;
  }
  return b->p;
}

typedef struct {
  long M, N, K;
  const float *A; int tA;
  const float *B; int tB;
  float *C; int acc;
} gemm_t;

// ---- packing ----

#ifdef __AVX512F__
// dst[c·ldd + r] = src[r·lds + c] for a 16×16 block.
static inline void transpose16(const float *src, long lds, float *dst, long ldd) {
  __m512 r[16];
  for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * lds);
  transpose16_regs(r);
  for (int i = 0; i < 16; i++) _mm512_store_ps(dst + i * ldd, r[i]);
}
#endif

// op(A)[i0:i0+mc, k0:k0+kc] into MR-tall panels, each k-major (MR floats per k), zero padded.
static void pack_a(const gemm_t *g, long i0, long mc, long k0, long kc, float *restrict dst) {
  for (long p = 0; p < mc; p += MR, dst += MR * kc) {
    long mr = mc - p < MR ? mc - p : MR;
    if (g->tA) { // stored K×M: each k gives mr contiguous floats
#ifdef __AVX512F__
      __mmask16 mk = tail_mask(mr); // lanes past mr load as zero: the padding
      for (long k = 0; k < kc; k++)
        _mm512_mask_storeu_ps(dst + k * MR, (1u << MR) - 1,
                              _mm512_maskz_loadu_ps(mk, g->A + (k0 + k) * g->M + i0 + p));
      continue;
#endif
      for (long k = 0; k < kc; k++) {
        const float *src = g->A + (k0 + k) * g->M + i0 + p;
        long i = 0;
        for (; i < mr; i++) dst[k * MR + i] = src[i];
        for (; i < MR; i++) dst[k * MR + i] = 0.0f;
      }
    } else { // stored M×K: each row is contiguous along k
      long k = 0;
#ifdef __AVX512F__
      // 16 k at a time: load mr rows (the rest zero), transpose, store MR lanes per k.
      for (; k + 16 <= kc; k += 16) {
        __m512 r[16];
        for (int i = 0; i < 16; i++)
          r[i] = i < mr ? _mm512_loadu_ps(g->A + (i0 + p + i) * g->K + k0 + k) : _mm512_setzero_ps();
        transpose16_regs(r);
        for (int c = 0; c < 16; c++) _mm512_mask_storeu_ps(dst + (k + c) * MR, (1u << MR) - 1, r[c]);
      }
#endif
      for (; k < kc; k++)
        for (long i = 0; i < MR; i++) dst[k * MR + i] = i < mr ? g->A[(i0 + p + i) * g->K + k0 + k] : 0.0f;
    }
  }
}


// op(B)[k0:k0+kc, j0 + panel·NR ...] for one NR-wide panel, k-major (NR floats per k), zero padded.
static void pack_b_panel(const gemm_t *g, long k0, long kc, long j0, long nr, float *restrict dst) {
  if (!g->tB) { // stored K×N
    for (long k = 0; k < kc; k++) {
      const float *src = g->B + (k0 + k) * g->N + j0;
      float *d = dst + k * NR;
#ifdef __AVX512F__
      if (nr == NR) {
        _mm512_store_ps(d, _mm512_loadu_ps(src));
        _mm512_store_ps(d + 16, _mm512_loadu_ps(src + 16));
        continue;
      }
#endif
      long j = 0;
      for (; j < nr; j++) d[j] = src[j];
      for (; j < NR; j++) d[j] = 0.0f;
    }
  } else { // stored N×K: column j of op(B) is row j of B
#ifdef __AVX512F__
    if (nr == NR) { // 16×16 blocks transposed in registers; a k tail below 16 goes scalar
      const float *s0 = g->B + j0 * g->K + k0, *s1 = s0 + 16 * g->K;
      long k = 0;
      for (; k + 16 <= kc; k += 16) {
        transpose16(s0 + k, g->K, dst + k * NR, NR);
        transpose16(s1 + k, g->K, dst + k * NR + 16, NR);
      }
      for (; k < kc; k++)
        for (long j = 0; j < NR; j++) dst[k * NR + j] = g->B[(j0 + j) * g->K + k0 + k];
      return;
    }
#endif
    long j = 0;
    for (; j < nr; j++) {
      const float *src = g->B + (j0 + j) * g->K + k0;
      for (long k = 0; k < kc; k++) dst[k * NR + j] = src[k];
    }
    for (; j < NR; j++)
      for (long k = 0; k < kc; k++) dst[k * NR + j] = 0.0f;
  }
}

// ---- micro-kernel: c (MR×NR, row stride ldc) = (or +=) a-panel · b-panel over kc ----

#ifdef __AVX512F__
static inline __attribute__((always_inline)) void ukernel(long kc, const float *restrict a, const float *restrict b,
                                                          float *restrict c, long ldc, int add) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 14
  for (int i = 0; i < MR; i++) { c0[i] = _mm512_setzero_ps(); c1[i] = _mm512_setzero_ps(); }
  for (long k = 0; k < kc; k++) {
    __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
      __m512 ai = _mm512_set1_ps(a[i]);
      c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
    }
    a += MR; b += NR;
  }
  if (add) {
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
      _mm512_storeu_ps(c + i * ldc, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc), c0[i]));
      _mm512_storeu_ps(c + i * ldc + 16, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc + 16), c1[i]));
    }
  } else {
#pragma GCC unroll 14
    for (int i = 0; i < MR; i++) {
      _mm512_storeu_ps(c + i * ldc, c0[i]);
      _mm512_storeu_ps(c + i * ldc + 16, c1[i]);
    }
  }
}
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
static inline __attribute__((always_inline)) void ukernel(long kc, const float *restrict a, const float *restrict b,
                                                          float *restrict c, long ldc, int add) {
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) { c0[i] = _mm256_setzero_ps(); c1[i] = _mm256_setzero_ps(); }
  for (long k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
    }
    a += MR; b += NR;
  }
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) {
    if (add) {
      c0[i] = _mm256_add_ps(_mm256_loadu_ps(c + i * ldc), c0[i]);
      c1[i] = _mm256_add_ps(_mm256_loadu_ps(c + i * ldc + 8), c1[i]);
    }
    _mm256_storeu_ps(c + i * ldc, c0[i]);
    _mm256_storeu_ps(c + i * ldc + 8, c1[i]);
  }
}
#else
static inline void ukernel(long kc, const float *restrict a, const float *restrict b, float *restrict c, long ldc,
                           int add) {
  float t[MR][NR] = {{0}};
  for (long k = 0; k < kc; k++, a += MR, b += NR)
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) t[i][j] += a[i] * b[j];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) c[i * ldc + j] = add ? c[i * ldc + j] + t[i][j] : t[i][j];
}
#endif

// An edge tile (mr < MR or nr < NR): run the full kernel into scratch, then merge the valid part.
static void ukernel_edge(long kc, const float *a, const float *b, float *c, long ldc, int add, long mr, long nr) {
  float t[MR * NR] __attribute__((aligned(64)));
  ukernel(kc, a, b, t, NR, 0);
  for (long i = 0; i < mr; i++)
    for (long j = 0; j < nr; j++) c[i * ldc + j] = add ? c[i * ldc + j] + t[i * NR + j] : t[i * NR + j];
}

// Rows [m0, m1) × NR-panels [p0, p1) of the current (jc, pc) block, with B already packed in Bp.
static void macro(const gemm_t *g, long m0, long m1, long p0, long p1, long jc, long nc, long pc, long kc,
                  const float *Bp, float *Ap, int add) {
  for (long ic = m0; ic < m1; ic += MC) {
    long mc = m1 - ic < MC ? m1 - ic : MC;
    pack_a(g, ic, mc, pc, kc, Ap);
    for (long p = p0; p < p1; p++) {
      long nr = nc - p * NR < NR ? nc - p * NR : NR;
      const float *bp = Bp + p * NR * kc;
      float *cc = g->C + ic * g->N + jc + p * NR;
      for (long ir = 0; ir < mc; ir += MR) {
        long mr = mc - ir < MR ? mc - ir : MR;
        if (mr == MR && nr == NR) ukernel(kc, Ap + ir * kc, bp, cc + ir * g->N, g->N, add);
        else ukernel_edge(kc, Ap + ir * kc, bp, cc + ir * g->N, g->N, add, mr, nr);
      }
    }
  }
}

// One GEMM on one thread with the classic loop order (B block per (jc, pc), A block per ic).
static void gemm_body(const gemm_t *g, float *Bp, float *Ap) {
  for (long jc = 0; jc < g->N; jc += NC) {
    long nc = g->N - jc < NC ? g->N - jc : NC;
    long npan = (nc + NR - 1) / NR;
    for (long pc = 0; pc < g->K; pc += KC) {
      long kc = g->K - pc < KC ? g->K - pc : KC;
      for (long p = 0; p < npan; p++) {
        long nr = nc - p * NR < NR ? nc - p * NR : NR;
        pack_b_panel(g, pc, kc, jc + p * NR, nr, Bp + p * NR * kc);
      }
      macro(g, 0, g->M, 0, npan, jc, nc, pc, kc, Bp, Ap, pc > 0 || g->acc);
    }
  }
}

// One GEMM on nt threads, scheduled dynamically so that a thread the OS preempts (this machine
// is shared) delays only its current chunk, not everyone at a barrier. Phase 1 packs all of op(B)
// (every KC block, every NR panel; panels claimed from a counter), waits for the packing, then phase 2
// claims chunks of C: row chunks over the full width when M is tall, else column chunks over
// all rows (decode-like shapes). A chunk runs every pc for its tile, so the store-then-add
// order per tile holds.
static long next_b, next_c, done_b, done_c; // work counters, reset before each parallel region

// Waits until *count reaches target: spins briefly (the usual wait on a quiet machine is a few
// microseconds), yields for a while, then sleeps in short naps. Sleeping matters on a busy
// machine: when the thread being waited for was preempted, a CPU that spins or yields with nothing
// else to run stays busy, so the scheduler never moves the competing process (or our preempted
// thread) onto it; a sleeping one goes idle and gets the other core's waiting work.
static void wait_count(long *count, long target) {
  long t0 = 0;
  for (long spins = 0; __atomic_load_n(count, __ATOMIC_ACQUIRE) < target; spins++) {
    if (spins < 2000) { cpu_relax(); continue; }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ns = now.tv_sec * 1000000000L + now.tv_nsec;
    if (!t0) t0 = ns;
    if (ns - t0 < 100000) sched_yield();
    else nanosleep(&(struct timespec){0, 20000}, NULL);
  }
}

// Chunks of C, in panels, largest first: each takes about 1/(2·nt) of what is left (at most `cap`
// panels, at least one), so the first chunks are big and the last ones small: a thread the OS
// preempts near the end holds everyone up by one small chunk, not by a big one. Tiles do not
// depend on the chunking (each is computed whole by one thread), so neither do the results.
#define MAXCH 512
static long chunk_end[MAXCH];

static long plan_chunks(long npanels, int nt, long cap) {
  long n = 0, at = 0;
  while (at < npanels && n < MAXCH - 1) {
    long size = (npanels - at) / (2L * nt);
    if (size > cap) size = cap;
    if (size < 1) size = 1;
    at += size;
    chunk_end[n++] = at < npanels ? at : npanels;
  }
  if (at < npanels) chunk_end[n++] = npanels; // only past MAXCH chunks: the rest as one
  return n;
}

static void gemm_parallel(const gemm_t *g, int nt, float *Bp) {
  long npan = (g->N + NR - 1) / NR, npad = npan * NR, nkb = (g->K + KC - 1) / KC;
  long mpan = (g->M + MR - 1) / MR;
  // Row chunks over the full width when M is tall (at most 8 panels, 112 rows), else column
  // chunks over all rows (at most 16 panels).
  int rows = mpan >= 4L * nt;
  long nchunks = rows ? plan_chunks(mpan, nt, 8) : plan_chunks(npan, nt, 16);
  next_b = next_c = done_b = done_c = 0;
  int cpu = team_pin_caller_long(nt);
#pragma omp parallel num_threads(nt)
  {
    team_pin_worker(cpu);
    float *Ap = bufA[omp_get_thread_num()].p;
    for (long w; (w = __atomic_fetch_add(&next_b, 1, __ATOMIC_RELAXED)) < nkb * npan;) {
      long kb = w / npan, p = w % npan, pc = kb * KC, kc = g->K - pc < KC ? g->K - pc : KC;
      long nr = g->N - p * NR < NR ? g->N - p * NR : NR;
      pack_b_panel(g, pc, kc, p * NR, nr, Bp + pc * npad + p * NR * kc);
      __atomic_fetch_add(&done_b, 1, __ATOMIC_RELEASE);
    }
    // Not a barrier: wait only for panels claimed and still being packed, not for a thread that
    // has not been scheduled yet (it finds no B work left and joins the chunks when it runs).
    wait_count(&done_b, nkb * npan);
    for (long w; (w = __atomic_fetch_add(&next_c, 1, __ATOMIC_RELAXED)) < nchunks;) {
      long m0 = 0, m1 = g->M, p0 = 0, p1 = npan;
      long c0 = w > 0 ? chunk_end[w - 1] : 0, c1 = chunk_end[w];
      if (rows) {
        m0 = c0 * MR;
        m1 = c1 * MR < g->M ? c1 * MR : g->M;
      } else {
        p0 = c0;
        p1 = c1;
      }
      for (long pc = 0; pc < g->K; pc += KC) {
        long kc = g->K - pc < KC ? g->K - pc : KC;
        macro(g, m0, m1, p0, p1, 0, g->N, pc, kc, Bp + pc * npad, Ap, pc > 0 || g->acc);
      }
      __atomic_fetch_add(&done_c, 1, __ATOMIC_RELEASE);
    }
    // The last chunks may still be running on a preempted thread: wait for them here, sleeping if
    // it takes long, rather than spinning in the OpenMP barrier that ends the region.
    wait_count(&done_c, nchunks);
  }
  team_release_caller(cpu);
}

// Few rows (decode: one token per sequence): packing B would cost as much as the product, and the
// product is bound by reading B once. So no packing: with transB each C entry is a dot product of
// two contiguous rows; without, rows of B are streamed into a chunk of C rows kept in L1.
// Threads split the columns. op(A) rows are copied contiguous first when A is transposed.
#define SMALL_M 4
#ifndef GEMV_MIN
#define GEMV_MIN 65536L // floats of W (256 KiB) from which M <= 4 products use every thread
#endif
#define JB 256

static inline float dot_k(const float *a, const float *b, long K) {
#ifdef __AVX512F__
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  long k = 0;
  for (; k + 32 <= K; k += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(b + k), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + k + 16), _mm512_loadu_ps(b + k + 16), s1);
  }
  for (; k < K; k += 16) {
    __mmask16 m = tail_mask(K - k);
    s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + k), _mm512_maskz_loadu_ps(m, b + k), s0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
#else
  float s = 0.0f;
  for (long k = 0; k < K; k++) s += a[k] * b[k];
  return s;
#endif
}

#ifdef __AVX512F__
// C rows (M <= 4) × W rows [j0, j1), W stored N×K (transB): 16 / M rows of W at a time, one
// accumulator per (row of A, row of W), each op(A) vector loaded once for all of them; the 16
// accumulators collapse into one vector of 16 dot products (reduce16). W streams once.
static inline __attribute__((always_inline)) void gemv_tb_m(const float *A, const float *W, long K, long j0, long j1,
                                                            float *C, long N, int add, const int M) {
  const int R = 16 / M; // rows of W per block; accumulator u = m·R + r
  for (long j = j0; j < j1; j += R) {
    long r_n = j1 - j < R ? j1 - j : R;
    __m512 acc[16];
    for (int u = 0; u < 16; u++) acc[u] = _mm512_setzero_ps();
    const float *w = W + j * K;
    long k = 0;
    if (r_n == R) {
      for (; k + 16 <= K; k += 16) {
        __m512 a[4];
        for (int m = 0; m < M; m++) a[m] = _mm512_loadu_ps(A + m * K + k);
        for (int r = 0; r < R; r++) {
          __m512 wv = _mm512_loadu_ps(w + r * K + k);
          for (int m = 0; m < M; m++) acc[m * R + r] = _mm512_fmadd_ps(a[m], wv, acc[m * R + r]);
        }
      }
    }
    for (; k < K; k += 16) { // the K tail, and blocks with fewer than R rows
      __mmask16 mk = tail_mask(K - k);
      __m512 a[4];
      for (int m = 0; m < M; m++) a[m] = _mm512_maskz_loadu_ps(mk, A + m * K + k);
      for (int r = 0; r < R; r++) {
        if (r >= r_n) break;
        __m512 wv = _mm512_maskz_loadu_ps(mk, w + r * K + k);
        for (int m = 0; m < M; m++) acc[m * R + r] = _mm512_fmadd_ps(a[m], wv, acc[m * R + r]);
      }
    }
    float t[16] __attribute__((aligned(64)));
    _mm512_store_ps(t, reduce16(acc));
    for (int m = 0; m < M; m++) {
      float *c = C + m * N + j;
      for (long r = 0; r < r_n; r++) c[r] = add ? c[r] + t[m * R + r] : t[m * R + r];
    }
  }
}

static void gemv_tb(const float *A, long M, const float *W, long K, long j0, long j1, float *C, long N, int add) {
  switch (M) {
  case 1: gemv_tb_m(A, W, K, j0, j1, C, N, add, 1); break;
  case 2: gemv_tb_m(A, W, K, j0, j1, C, N, add, 2); break;
  case 3: gemv_tb_m(A, W, K, j0, j1, C, N, add, 3); break; // R = 5: 15 of the 16 accumulators
  default: gemv_tb_m(A, W, K, j0, j1, C, N, add, 4); break;
  }
}
#endif

static void gemm_small_m(const gemm_t *g, int nt, int tid) {
  long M = g->M, N = g->N, K = g->K;
  const float *A = g->A;
  if (g->tA) { // gather op(A) (M×K) into a contiguous copy
    float *a = grow(&bufA[tid], (size_t)(M * K)); // the caller's A-pack buffer, idle here
    if (!a) abort();
    for (long i = 0; i < M; i++)
      for (long k = 0; k < K; k++) a[i * K + k] = g->A[k * M + i];
    A = a;
  }
#ifdef __AVX512F__
  if (g->tB) { // threads claim chunks of 64 rows of W (a thread slowed by the OS takes fewer)
    long nch = (N + 63) / 64;
    PAR_REGION(nt)
#pragma omp for schedule(dynamic, 1) nowait
    for (long ch = 0; ch < nch; ch++)
      gemv_tb(A, M, g->B, K, ch * 64, ch * 64 + 64 < N ? ch * 64 + 64 : N, g->C, N, g->acc);
    PAR_REGION_END
    return;
  }
#endif
  long nch = (N + JB - 1) / JB;
  PAR_REGION(nt)
#pragma omp for schedule(static)
  for (long ch = 0; ch < nch; ch++) {
    long j0 = ch * JB, j1 = j0 + JB < N ? j0 + JB : N;
    if (g->tB) {
      for (long j = j0; j < j1; j++)
        for (long i = 0; i < M; i++) {
          float v = dot_k(A + i * K, g->B + j * K, K);
          float *c = g->C + i * N + j;
          *c = g->acc ? *c + v : v;
        }
    } else {
      float acc[SMALL_M][JB] __attribute__((aligned(64)));
      long w = j1 - j0;
      for (long i = 0; i < M; i++)
        for (long j = 0; j < w; j++) acc[i][j] = 0.0f;
      for (long k = 0; k < K; k++) {
        const float *b = g->B + k * N + j0;
        for (long i = 0; i < M; i++) {
          float a = A[i * K + k];
          for (long j = 0; j < w; j++) acc[i][j] += a * b[j];
        }
      }
      for (long i = 0; i < M; i++) {
        float *c = g->C + i * N + j0;
        for (long j = 0; j < w; j++) c[j] = g->acc ? c[j] + acc[i][j] : acc[i][j];
      }
    }
  }
  PAR_REGION_END
}

// Decode-sized products with the Linear layout (transB: W stored N×K, 4 < M <= SMALL_MT): packing
// W would cost as much as the product. Instead compute Cᵀ = W · op(A)ᵀ: op(A) is small, so it is
// packed k-major (K × 32 per chunk of 32 rows, zero padded), and W is read in place, RW rows at a
// time, each element broadcast against 32 lanes of packed A (the micro-kernel with the operands'
// roles swapped). A tile of RW×32 of Cᵀ in 2·RW zmm accumulators is stored transposed into C.
// Each C entry is one FMA chain over k in order, so results do not depend on the thread count.
#define SMALL_MT 64
#define RW 14

#ifdef __AVX512F__
static inline __attribute__((always_inline)) void tw_kernel(long K, const float *restrict w, long ldw,
                                                            const float *restrict at, float *restrict t,
                                                            const int R, const int NV) {
  __m512 c0[RW], c1[RW];
  for (int i = 0; i < R; i++) { c0[i] = _mm512_setzero_ps(); c1[i] = _mm512_setzero_ps(); }
  for (long k = 0; k < K; k++) {
    __m512 a0 = _mm512_load_ps(at + k * 32), a1 = NV > 1 ? _mm512_load_ps(at + k * 32 + 16) : a0;
#pragma GCC unroll 14
    for (int i = 0; i < R; i++) {
      __m512 wi = _mm512_set1_ps(w[i * ldw + k]);
      c0[i] = _mm512_fmadd_ps(wi, a0, c0[i]);
      if (NV > 1) c1[i] = _mm512_fmadd_ps(wi, a1, c1[i]);
    }
  }
  for (int i = 0; i < R; i++) {
    _mm512_store_ps(t + i * 32, c0[i]);
    if (NV > 1) _mm512_store_ps(t + i * 32 + 16, c1[i]);
  }
}

// t (r × 32) = W rows [0, r) · packed op(A)ᵀ chunk, for any r <= RW (a switch instantiates each).
static void tw_tile(long K, const float *w, long ldw, const float *at, float *t, long r, int nv) {
#define TW_CASE(R) case R: if (nv > 1) tw_kernel(K, w, ldw, at, t, R, 2); else tw_kernel(K, w, ldw, at, t, R, 1); break;
  switch (r) {
    TW_CASE(1) TW_CASE(2) TW_CASE(3) TW_CASE(4) TW_CASE(5) TW_CASE(6) TW_CASE(7)
    TW_CASE(8) TW_CASE(9) TW_CASE(10) TW_CASE(11) TW_CASE(12) TW_CASE(13) TW_CASE(14)
  }
#undef TW_CASE
}
#elif defined(__AVX2__) && defined(__FMA__)
// AVX2: 16 tokens of the chunk (two ymm) against up to 6 rows, 12 accumulators; the same order of
// FMAs per entry as above, so the results still do not depend on the thread count.
static inline __attribute__((always_inline)) void tw_kernel(long K, const float *restrict w, long ldw,
                                                            const float *restrict at, float *restrict t,
                                                            const int R, const int NV) {
  __m256 c0[6], c1[6];
  for (int i = 0; i < R; i++) { c0[i] = _mm256_setzero_ps(); c1[i] = _mm256_setzero_ps(); }
  for (long k = 0; k < K; k++) {
    __m256 a0 = _mm256_loadu_ps(at + k * 32), a1 = NV > 1 ? _mm256_loadu_ps(at + k * 32 + 8) : a0;
#pragma GCC unroll 6
    for (int i = 0; i < R; i++) {
      __m256 wi = _mm256_broadcast_ss(w + i * ldw + k);
      c0[i] = _mm256_fmadd_ps(wi, a0, c0[i]);
      if (NV > 1) c1[i] = _mm256_fmadd_ps(wi, a1, c1[i]);
    }
  }
  for (int i = 0; i < R; i++) {
    _mm256_storeu_ps(t + i * 32, c0[i]);
    if (NV > 1) _mm256_storeu_ps(t + i * 32 + 8, c1[i]);
  }
}

// t (r × 32) = W rows [0, r) · packed op(A)ᵀ chunk (mc tokens), 6 rows and 16 tokens at a time.
static void tw_tile(long K, const float *w, long ldw, const float *at, float *t, long r, long mc) {
#define TW_CASE(R) case R: { if (nv > 1) tw_kernel(K, w + i0 * ldw, ldw, at + h, t + i0 * 32 + h, R, 2); \
                             else tw_kernel(K, w + i0 * ldw, ldw, at + h, t + i0 * 32 + h, R, 1); } break;
  for (long h = 0; h < mc; h += 16) {
    const int nv = mc - h > 8 ? 2 : 1;
    for (long i0 = 0; i0 < r; i0 += 6)
      switch (r - i0 < 6 ? r - i0 : 6) { TW_CASE(1) TW_CASE(2) TW_CASE(3) TW_CASE(4) TW_CASE(5) TW_CASE(6) }
  }
#undef TW_CASE
}
#endif

static fbuf bufAt; // packed op(A)ᵀ for gemm_small_mt (filled before the parallel region)

static void gemm_small_mt(const gemm_t *g, int nt) {
  long M = g->M, N = g->N, K = g->K, nmc = (M + 31) / 32;
  float *at = grow(&bufAt, (size_t)(nmc * K * 32));
  if (!at) abort();
  // chunk c holds rows [32c, 32c + 32) of op(A), k-major: at[c·K·32 + k·32 + i]
  for (long c = 0; c < nmc; c++) {
    float *d = at + c * K * 32;
    long m0 = c * 32, mc = M - m0 < 32 ? M - m0 : 32;
    if (g->tA) {
      for (long k = 0; k < K; k++) {
        const float *src = g->A + k * M + m0;
        for (long i = 0; i < 32; i++) d[k * 32 + i] = i < mc ? src[i] : 0.0f;
      }
    } else {
      long k = 0;
#ifdef __AVX512F__
      for (; k + 16 <= K; k += 16)
        for (long i0 = 0; i0 < 32; i0 += 16) {
          __m512 r[16];
          for (int i = 0; i < 16; i++)
            r[i] = i0 + i < mc ? _mm512_loadu_ps(g->A + (m0 + i0 + i) * K + k) : _mm512_setzero_ps();
          transpose16_regs(r);
          for (int q = 0; q < 16; q++) _mm512_store_ps(d + (k + q) * 32 + i0, r[q]);
        }
#endif
      for (; k < K; k++)
        for (long i = 0; i < 32; i++) d[k * 32 + i] = i < mc ? g->A[(m0 + i) * K + k] : 0.0f;
    }
  }
  long nblk = (N + RW - 1) / RW;
  PAR_REGION(nt)
#pragma omp for schedule(dynamic, 2) nowait
  for (long bj = 0; bj < nblk; bj++) {
    long n0 = bj * RW, r = N - n0 < RW ? N - n0 : RW;
    float t[RW * 32] __attribute__((aligned(64)));
    for (long c = 0; c < nmc; c++) {
      long m0 = c * 32, mc = M - m0 < 32 ? M - m0 : 32;
#ifdef __AVX512F__
      tw_tile(K, g->B + n0 * K, K, at + c * K * 32, t, r, mc > 16 ? 2 : 1);
#elif defined(__AVX2__) && defined(__FMA__)
      tw_tile(K, g->B + n0 * K, K, at + c * K * 32, t, r, mc);
#else
      for (long i = 0; i < r; i++)
        for (long m = 0; m < mc; m++) {
          float acc = 0.0f;
          for (long k = 0; k < K; k++) acc += g->B[(n0 + i) * K + k] * at[c * K * 32 + k * 32 + m];
          t[i * 32 + m] = acc;
        }
#endif
      for (long m = 0; m < mc; m++) {
        float *cr = g->C + (m0 + m) * N + n0;
        if (g->acc)
          for (long i = 0; i < r; i++) cr[i] += t[i * 32 + m];
        else
          for (long i = 0; i < r; i++) cr[i] = t[i * 32 + m];
      }
    }
  }
  PAR_REGION_END
}

static size_t bsize(long N) {
  long nc = N < NC ? N : NC;
  return (size_t)KC * (size_t)((nc + NR - 1) / NR * NR);
}

static void oom(void) {
  // Packing buffers are small (≤ 4 MiB); failing to get them leaves nothing sensible to do.
  abort();
}

static void gemm_single(const gemm_t *g, int tid) {
  float *Ap = grow(&bufA[tid], (size_t)MC * KC), *Bp = grow(&bufB[tid], bsize(g->N));
  if (!Ap || !Bp) oom();
  if (g->M <= SMALL_M) gemm_small_m(g, 1, tid);
  else gemm_body(g, Bp, Ap);
}

static void zero_or_keep(const gemm_t *g) {
  if (!g->acc) memset(g->C, 0, sizeof(float) * (size_t)g->M * (size_t)g->N);
}

// One product on the calling thread, for callers inside their own parallel region (attention.c's
// portable path runs a (batch, head) item per thread): the thread's packing buffers, no team.
void k_gemm_serial(long M, long N, long K, const float *A, int tA, const float *B, int tB, float *C, int acc) {
  if (M <= 0 || N <= 0) return;
  gemm_t g = {M, N, K, A, tA, B, tB, C, acc};
  if (K == 0) { zero_or_keep(&g); return; }
  int tid = omp_get_thread_num();
  if (tid >= MAXT) abort();
  gemm_single(&g, tid);
}

void k_gemm(long batch, long M, long N, long K, const float *A, long sA, int tA, const float *B, long sB, int tB,
            float *C, long sC, int acc) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  int T = omp_get_max_threads();
  if (T > MAXT) T = MAXT;
  double flops = 2.0 * (double)M * (double)N * (double)K;
  if (K == 0) {
    for (long b = 0; b < batch; b++) {
      gemm_t g = {M, N, K, A, tA, B, tB, C + b * sC, acc};
      zero_or_keep(&g);
    }
    return;
  }
  // Many small matrices (attention, batched heads): one matrix per thread. Only when the C blocks
  // are disjoint: a broadcast C (stride 0) accumulates over the batch and must run in order.
  int disjoint = sC >= M * N;
  if (T > 1 && batch > 1 && disjoint && flops * batch >= 2e6 && (flops < 3e7 || batch % T == 0 || batch >= 4 * T)) {
    // A batch of tens of MFLOP or more runs for milliseconds: pin the caller (see threads.c).
    int cpu = flops * batch >= 2e7 ? team_pin_caller_long(T) : team_pin_caller(T);
    done_c = 0;
#pragma omp parallel num_threads(T)
    {
      team_pin_worker(cpu);
#pragma omp for schedule(dynamic, 1) nowait
      for (long b = 0; b < batch; b++) {
        gemm_t g = {M, N, K, A + b * sA, tA, B + b * sB, tB, C + b * sC, acc};
        gemm_single(&g, omp_get_thread_num());
        __atomic_fetch_add(&done_c, 1, __ATOMIC_RELEASE);
      }
      wait_count(&done_c, batch); // as gemm_parallel's end: sleep if a preempted thread holds the last matrix
    }
    team_release_caller(cpu);
    return;
  }
  int nt = flops < 2e6 ? 1 : T;
  if (M <= SMALL_M) {
    // A few rows are bound by streaming W, not by arithmetic: a second core brings its own
    // bandwidth once W is big enough to pay for waking it.
    static long gemv_min = -1;
    if (gemv_min < 0) {
      const char *e = getenv("PONDER_GEMV_MIN");
      gemv_min = e ? atol(e) : GEMV_MIN;
    }
    if (tB && (double)N * (double)K >= (double)gemv_min) nt = T;
    nt = team_small(nt); // every output is one thread's dot product: any count gives the same bits
    for (long b = 0; b < batch; b++) {
      gemm_t g = {M, N, K, A + b * sA, tA, B + b * sB, tB, C + b * sC, acc};
      gemm_small_m(&g, nt, 0);
    }
    return;
  }
  if (M <= SMALL_MT && tB) {
    nt = team_small(nt); // each tile is one thread's: any count gives the same bits
    for (long b = 0; b < batch; b++) {
      gemm_t g = {M, N, K, A + b * sA, tA, B + b * sB, tB, C + b * sC, acc};
      gemm_small_mt(&g, nt);
    }
    return;
  }
  if (nt == 1) {
    for (long b = 0; b < batch; b++) {
      gemm_t g = {M, N, K, A + b * sA, tA, B + b * sB, tB, C + b * sC, acc};
      gemm_single(&g, 0);
    }
    return;
  }
  // all of op(B) packed at once: K × (N rounded up to NR)
  float *Bp = grow(&bufB[0], (size_t)K * (size_t)((N + NR - 1) / NR * NR));
  if (!Bp) oom();
  for (int t = 0; t < nt; t++)
    if (!grow(&bufA[t], (size_t)MC * KC)) oom();
  for (long b = 0; b < batch; b++) {
    gemm_t g = {M, N, K, A + b * sA, tA, B + b * sB, tB, C + b * sC, acc};
    gemm_parallel(&g, nt, Bp);
  }
}
