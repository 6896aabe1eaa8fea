// Attention as small matrix products on tiles (AVX-512): a block of QB queries against a block of
// KB keys. Scores S = Q·Kᵀ use K packed transposed (D × KB) so 4 query rows × 64 keys sit in 16
// zmm accumulators; P·V, Pᵀ·dO and dSᵀ·Q are register-blocked over D. Rows and D are zero padded
// (Dp = D rounded up to 16) so the inner loops need no masks.
//   forward:  online softmax over key blocks, per query block; parallel over (b, h, query block).
//   backward: per (b, kv head) item, key blocks outer: the item owns dk, dv of its head and dq of
//             its query heads, so no two threads write the same float.
#include "common.h"
#include <stdlib.h>
#include <string.h>

#ifdef __AVX512F__

#define QB 32 // queries per tile
#define KB 64 // keys per tile (4 zmm of scores per query row)
#define MAXT 64

typedef struct {
  long D, Dp;
  float *Kt, *Vt, *Kb, *Vb, *Qb, *dOb, *Ob, *S, *P, *dKb, *dVb, *Di;
} tiles_t;

static struct { float *p; size_t cap; } scratch[MAXT];

// Per-thread scratch, grown once (never allocate per call: fresh pages are expensive here).
static int tiles_get(tiles_t *t, long D, long diN) {
  long Dp = (D + 15) / 16 * 16;
  size_t n = (size_t)(4 * Dp * KB + 3 * QB * Dp + 2 * QB * KB + 2 * KB * Dp + diN + 16 * 16);
  int tid = omp_get_thread_num();
  if (scratch[tid].cap < n) {
    free(scratch[tid].p);
    scratch[tid].p = aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63);
    scratch[tid].cap = scratch[tid].p ? n : 0;
    if (!scratch[tid].p) abort();
  }
  float *p = scratch[tid].p;
  // every piece is a multiple of 16 floats, so each stays 64-byte aligned
  t->D = D; t->Dp = Dp;
  t->Kt = p; p += Dp * KB;
  t->Vt = p; p += Dp * KB;
  t->Kb = p; p += KB * Dp;
  t->Vb = p; p += KB * Dp;
  t->Qb = p; p += QB * Dp;
  t->dOb = p; p += QB * Dp;
  t->Ob = p; p += QB * Dp;
  t->S = p; p += QB * KB;
  t->P = p; p += QB * KB;
  t->dKb = p; p += KB * Dp;
  t->dVb = p; p += KB * Dp;
  t->Di = p;
  return 1;
}

// rows [0, n) of a (.., ld) strided block into dst (QB or KB rows × Dp), zero padded to `rows`
static void load_rows(const float *src, long ld, long n, long rows, long D, long Dp, float *dst) {
  for (long r = 0; r < rows; r++) {
    float *d = dst + r * Dp;
    if (r < n) {
      memcpy(d, src + r * ld, sizeof(float) * (size_t)D);
      for (long c = D; c < Dp; c++) d[c] = 0.0f;
    } else {
      memset(d, 0, sizeof(float) * (size_t)Dp);
    }
  }
}

// Asks for n rows of D floats (stride ld) to be brought into cache ahead of use.
static inline void prefetch_rows(const float *p, long ld, long n, long D) {
  for (long r = 0; r < n; r++)
    for (long d = 0; d < D; d += 16) _mm_prefetch((const char *)(p + r * ld + d), _MM_HINT_T0);
}

// kb keys (stride ld) transposed into dst (D × KB), keys beyond kb zero: 16×16 blocks through
// registers (rows past kb load as zeros), a D tail below 16 scalar.
static void load_transposed(const float *src, long ld, long kb, long D, float *dst) {
  long d0 = 0;
  for (; d0 + 16 <= D; d0 += 16)
    for (long j0 = 0; j0 < KB; j0 += 16) {
      __m512 r[16];
      for (int i = 0; i < 16; i++)
        r[i] = j0 + i < kb ? _mm512_loadu_ps(src + (j0 + i) * ld + d0) : _mm512_setzero_ps();
      transpose16_regs(r);
      for (int c = 0; c < 16; c++) _mm512_store_ps(dst + (d0 + c) * KB + j0, r[c]);
    }
  for (long d = d0; d < D; d++) {
    for (long j = 0; j < kb; j++) dst[d * KB + j] = src[j * ld + d];
    for (long j = kb; j < KB; j++) dst[d * KB + j] = 0.0f;
  }
}

// S rows [i, i + R) = X rows · Yt (D × KB): R rows × 64 keys in 4R zmm accumulators.
static inline __attribute__((always_inline)) void scores_r(const float *X, const float *Yt, long D, long Dp, float *S,
                                                           long i, const int R) {
  __m512 c[4][4];
  for (int r = 0; r < R; r++)
    for (int v = 0; v < 4; v++) c[r][v] = _mm512_setzero_ps();
  for (long d = 0; d < D; d++) {
    const float *y = Yt + d * KB;
    __m512 y0 = _mm512_load_ps(y), y1 = _mm512_load_ps(y + 16), y2 = _mm512_load_ps(y + 32), y3 = _mm512_load_ps(y + 48);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      __m512 x = _mm512_set1_ps(X[(i + r) * Dp + d]);
      c[r][0] = _mm512_fmadd_ps(x, y0, c[r][0]);
      c[r][1] = _mm512_fmadd_ps(x, y1, c[r][1]);
      c[r][2] = _mm512_fmadd_ps(x, y2, c[r][2]);
      c[r][3] = _mm512_fmadd_ps(x, y3, c[r][3]);
    }
  }
  for (int r = 0; r < R; r++)
    for (int v = 0; v < 4; v++) _mm512_store_ps(S + (i + r) * KB + v * 16, c[r][v]);
}

// S (rows × KB) = X (rows × Dp) · Yt (D × KB); rows <= QB (a decode step has one query row:
// computing all QB would waste 32x).
static void scores(const float *X, const float *Yt, long D, long Dp, float *S, long rows) {
  for (long i = 0; i + 4 <= rows; i += 4) scores_r(X, Yt, D, Dp, S, i, 4);
  for (long i = rows & ~3L; i < rows; i++) scores_r(X, Yt, D, Dp, S, i, 1);
}

// O rows [i, i + R) += P rows (KB apart) · R (kb × Dp): R rows of O × NV vectors of D in registers.
static inline __attribute__((always_inline)) void acc_rows_nv(const float *P, const float *R, long kb, long Dp,
                                                              float *O, long dc, long i, const int NR_, const int NV) {
  __m512 c[4][4];
  for (int r = 0; r < NR_; r++)
    for (int v = 0; v < NV; v++) c[r][v] = _mm512_load_ps(O + (i + r) * Dp + dc + 16 * v);
  for (long j = 0; j < kb; j++) {
    __m512 y[4];
    for (int v = 0; v < NV; v++) y[v] = _mm512_load_ps(R + j * Dp + dc + 16 * v);
#pragma GCC unroll 4
    for (int r = 0; r < NR_; r++) {
      __m512 p = _mm512_set1_ps(P[(i + r) * KB + j]);
      for (int v = 0; v < NV; v++) c[r][v] = _mm512_fmadd_ps(p, y[v], c[r][v]);
    }
  }
  for (int r = 0; r < NR_; r++)
    for (int v = 0; v < NV; v++) _mm512_store_ps(O + (i + r) * Dp + dc + 16 * v, c[r][v]);
}

static inline __attribute__((always_inline)) void acc_rows_r(const float *P, const float *R, long kb, long Dp,
                                                             float *O, long i, const int NR_) {
  long dc = 0;
  for (; dc + 64 <= Dp; dc += 64) acc_rows_nv(P, R, kb, Dp, O, dc, i, NR_, 4);
  for (; dc + 32 <= Dp; dc += 32) acc_rows_nv(P, R, kb, Dp, O, dc, i, NR_, 2);
  for (; dc < Dp; dc += 16) acc_rows_nv(P, R, kb, Dp, O, dc, i, NR_, 1);
}

// O (rows × Dp) += P (rows × KB) · R (kb × Dp); rows <= QB.
static void acc_rows(const float *P, const float *R, long kb, long Dp, float *O, long rows) {
  for (long i = 0; i + 4 <= rows; i += 4) acc_rows_r(P, R, kb, Dp, O, i, 4);
  for (long i = rows & ~3L; i < rows; i++) acc_rows_r(P, R, kb, Dp, O, i, 1);
}

// Out (kb × Dp) += Pᵀ (kb × QB) · X (QB × Dp): 4 keys × NV vectors of D in registers.
static inline __attribute__((always_inline)) void acc_cols_nv(const float *P, const float *X, long kb, long Dp,
                                                              float *Out, long dc, const int NV) {
  for (long j = 0; j < kb; j += 4) {
    __m512 c[4][4];
    for (int r = 0; r < 4; r++)
      for (int v = 0; v < NV; v++) c[r][v] = _mm512_load_ps(Out + (j + r) * Dp + dc + 16 * v);
    for (long i = 0; i < QB; i++) {
      __m512 x[4];
      for (int v = 0; v < NV; v++) x[v] = _mm512_load_ps(X + i * Dp + dc + 16 * v);
#pragma GCC unroll 4
      for (int r = 0; r < 4; r++) {
        __m512 p = _mm512_set1_ps(P[i * KB + j + r]);
        for (int v = 0; v < NV; v++) c[r][v] = _mm512_fmadd_ps(p, x[v], c[r][v]);
      }
    }
    for (int r = 0; r < 4; r++)
      for (int v = 0; v < NV; v++) _mm512_store_ps(Out + (j + r) * Dp + dc + 16 * v, c[r][v]);
  }
}

// kb is rounded up to 4 by the caller's zero padding (rows of Out beyond kb are scratch).
static void acc_cols(const float *P, const float *X, long kb, long Dp, float *Out) {
  long dc = 0;
  for (; dc + 64 <= Dp; dc += 64) acc_cols_nv(P, X, kb, Dp, Out, dc, 4);
  for (; dc + 32 <= Dp; dc += 32) acc_cols_nv(P, X, kb, Dp, Out, dc, 2);
  for (; dc < Dp; dc += 16) acc_cols_nv(P, X, kb, Dp, Out, dc, 1);
}

// Keys a query at absolute position `pos` sees inside the block [j0, j0 + kb): the first n.
static inline long visible(long pos, long j0, long kb, long Tk) {
  long hi = pos < Tk - 1 ? pos : Tk - 1;
  long n = hi - j0 + 1;
  return n < 0 ? 0 : n > kb ? kb : n;
}

// attend_row for D = 16·ND exactly: q and o of a head live in ND registers, scores of 16 keys
// come out of one reduce16, and p·v accumulates in registers over the whole key block.
static inline __attribute__((always_inline)) void attend_row_nd(const float *qb, const float *kb, const float *vb,
                                                                long Hq, long G, long ldk, long lo, long last,
                                                                float scale, float *S, float *ob, float *lb,
                                                                const int ND) {
  const long D = 16 * ND;
  float m[QB], l[QB];
  __m512 sc = _mm512_set1_ps(scale);
  for (long h = 0; h < Hq; h++) {
    m[h] = -INFINITY; l[h] = 0.0f;
    for (int c = 0; c < ND; c++) _mm512_storeu_ps(ob + h * D + 16 * c, _mm512_setzero_ps());
  }
  for (long j0 = lo; j0 <= last; j0 += KB) {
    long n = last + 1 - j0 < KB ? last + 1 - j0 : KB;
    for (long h = 0; h < Hq; h++) {
      const float *kh = kb + j0 * ldk + (h / G) * D, *vh = vb + j0 * ldk + (h / G) * D;
      __m512 qv[ND];
      for (int c = 0; c < ND; c++) qv[c] = _mm512_loadu_ps(qb + h * D + 16 * c);
      float *sh = S + h * KB;
      for (long j = 0; j < n; j += 16) {
        __m512 a[16];
        for (int u = 0; u < 16; u++) {
          a[u] = _mm512_setzero_ps();
          if (j + u < n)
            for (int c = 0; c < ND; c++) a[u] = _mm512_fmadd_ps(qv[c], _mm512_loadu_ps(kh + (j + u) * ldk + 16 * c), a[u]);
        }
        _mm512_store_ps(sh + j, _mm512_mul_ps(sc, reduce16(a)));
      }
      float mb = row_max(sh, n), mn = mb > m[h] ? mb : m[h];
      __m512 o[ND];
      for (int c = 0; c < ND; c++) o[c] = _mm512_loadu_ps(ob + h * D + 16 * c);
      if (mn != m[h] && m[h] != -INFINITY) { // rescale what was accumulated under the old max
        float cf = expf(m[h] - mn);
        l[h] *= cf;
        for (int c = 0; c < ND; c++) o[c] = _mm512_mul_ps(o[c], _mm512_set1_ps(cf));
      }
      m[h] = mn;
      l[h] += exp_shift_sum(sh, n, mn, sh);
      for (long j = 0; j < n; j++) {
        __m512 p = _mm512_set1_ps(sh[j]);
        for (int c = 0; c < ND; c++) o[c] = _mm512_fmadd_ps(p, _mm512_loadu_ps(vh + j * ldk + 16 * c), o[c]);
      }
      for (int c = 0; c < ND; c++) _mm512_storeu_ps(ob + h * D + 16 * c, o[c]);
    }
  }
  for (long h = 0; h < Hq; h++) {
    float *o = ob + h * D;
    if (l[h] == 0.0f) { // saw no key
      memset(o, 0, sizeof(float) * (size_t)D);
      lb[h] = -INFINITY;
      continue;
    }
    __m512 inv = _mm512_set1_ps(1.0f / l[h]);
    for (int c = 0; c < ND; c++) _mm512_storeu_ps(o + 16 * c, _mm512_mul_ps(inv, _mm512_loadu_ps(o + 16 * c)));
    lb[h] = m[h] + logf(l[h]);
  }
}

// A decode step (Tq = 1): one batch row, all Hq heads at once, keys [lo, last] read in place.
// The cache row of a position holds every head's key contiguously (Hkv·D floats), so walking
// positions with all heads streams the cache sequentially; one head at a time would stride
// through it (and through its pages) Hq times. No transposes or copies: for one query row they
// cost more than the arithmetic. S (Hq × KB) holds scores then probabilities, oacc (Hq × Dp)
// the unnormalised outputs; the online softmax runs per block of KB keys.
static void attend_row(const float *qb, const float *kb, const float *vb, long Hq, long G, long ldk, long D,
                       long Dp, long lo, long last, float scale, float *S, float *oacc, float *ob, float *lb) {
  long nd = Dp / 16;
  float m[QB], l[QB];
  for (long h = 0; h < Hq; h++) { m[h] = -INFINITY; l[h] = 0.0f; }
  memset(oacc, 0, sizeof(float) * (size_t)(Hq * Dp));
  long Hkv = Hq / G;
  __mmask16 mk[16]; // D tail masks per 16-float chunk (nd <= 16: the caller checks Dp <= 256)
  for (long c = 0; c < nd; c++) mk[c] = tail_mask(D - 16 * c);
  for (long j0 = lo; j0 <= last; j0 += KB) {
    long n = last + 1 - j0 < KB ? last + 1 - j0 : KB;
    for (long j = 0; j < n; j++) {
      const float *kj = kb + (j0 + j) * ldk;
      for (long hk = 0, h = 0; hk < Hkv; hk++)
        for (long g = 0; g < G; g++, h++) {
          const float *qh = qb + h * D, *kh = kj + hk * D;
          __m512 acc = _mm512_setzero_ps();
          for (long c = 0; c < nd; c++)
            acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk[c], qh + 16 * c), _mm512_maskz_loadu_ps(mk[c], kh + 16 * c), acc);
          S[h * KB + j] = scale * _mm512_reduce_add_ps(acc);
        }
    }
    for (long h = 0; h < Hq; h++) {
      float *sh = S + h * KB, mb = row_max(sh, n), mn = mb > m[h] ? mb : m[h];
      if (mn != m[h] && m[h] != -INFINITY) { // rescale what was accumulated under the old max
        float c = expf(m[h] - mn);
        l[h] *= c;
        for (long d = 0; d < Dp; d++) oacc[h * Dp + d] *= c;
      }
      m[h] = mn;
      l[h] += exp_shift_sum(sh, n, mn, sh);
    }
    for (long j = 0; j < n; j++) {
      const float *vj = vb + (j0 + j) * ldk;
      for (long hk = 0, h = 0; hk < Hkv; hk++)
        for (long g = 0; g < G; g++, h++) {
          __m512 p = _mm512_set1_ps(S[h * KB + j]);
          const float *vh = vj + hk * D;
          float *o = oacc + h * Dp;
          for (long c = 0; c < nd; c++)
            _mm512_store_ps(o + 16 * c, _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(mk[c], vh + 16 * c), _mm512_load_ps(o + 16 * c)));
        }
    }
  }
  for (long h = 0; h < Hq; h++) {
    float *o = ob + h * D;
    if (l[h] == 0.0f) { // saw no key
      memset(o, 0, sizeof(float) * (size_t)D);
      lb[h] = -INFINITY;
      continue;
    }
    float inv = 1.0f / l[h];
    for (long d = 0; d < D; d++) o[d] = oacc[h * Dp + d] * inv;
    lb[h] = m[h] + logf(l[h]);
  }
}

void k_attention(const float *q, const float *k, const float *v, long B, long Tq, long Tk, long Hq, long Hkv,
                 long D, long qOffset, const int32_t *keyStart, float scale, float *out, float *lse) {
  long G = Hq / Hkv, ldq = Hq * D, ldk = Hkv * D, nqb = (Tq + QB - 1) / QB;
  long work = B * Hq * Tq * (Tk < qOffset + Tq ? Tk : qOffset + Tq) * D;
  int nt = par_threads(work, PAR_FLOPS);
  if (Tq == 1 && Hq <= QB && D <= 256) { // decode step: per batch row, all heads (S and Ob fit QB rows)
    if (nt > B) nt = (int)B;
    nt = team_small(nt); // each batch row is one thread's: any count gives the same bits
    PAR_REGION(nt)
    tiles_t t;
    tiles_get(&t, D, 0);
#pragma omp for schedule(dynamic, 1) nowait
    for (long b = 0; b < B; b++) {
      long lo = keyStart ? keyStart[b] : 0, last = qOffset < Tk - 1 ? qOffset : Tk - 1;
      if (lo < 0) lo = 0;
      const float *qb = q + b * ldq, *kb = k + b * Tk * ldk, *vb = v + b * Tk * ldk;
      float *ob = out + b * ldq, *lb = lse + b * Hq;
      switch (D) { // the common head sizes get registers for q and o; others the general row
      case 32: attend_row_nd(qb, kb, vb, Hq, G, ldk, lo, last, scale, t.S, ob, lb, 2); break;
      case 64: attend_row_nd(qb, kb, vb, Hq, G, ldk, lo, last, scale, t.S, ob, lb, 4); break;
      case 128: attend_row_nd(qb, kb, vb, Hq, G, ldk, lo, last, scale, t.S, ob, lb, 8); break;
      case 16: attend_row_nd(qb, kb, vb, Hq, G, ldk, lo, last, scale, t.S, ob, lb, 1); break;
      default: attend_row(qb, kb, vb, Hq, G, ldk, D, t.Dp, lo, last, scale, t.S, t.Ob, ob, lb);
      }
    }
    PAR_REGION_END
    return;
  }
  int cpu = team_pin_caller(nt);
#pragma omp parallel num_threads(nt)
  {
    team_pin_worker(cpu);
    tiles_t t;
    tiles_get(&t, D, 0);
    long Dp = t.Dp;
#pragma omp for collapse(3) schedule(dynamic, 1)
    for (long b = 0; b < B; b++)
      for (long h = 0; h < Hq; h++)
        for (long qb = 0; qb < nqb; qb++) {
          long i0 = qb * QB, qn = Tq - i0 < QB ? Tq - i0 : QB;
          const float *kh = k + b * Tk * ldk + (h / G) * D, *vh = v + b * Tk * ldk + (h / G) * D;
          long lo = keyStart ? keyStart[b] : 0;
          if (lo < 0) lo = 0;
          long last = qOffset + i0 + qn - 1 < Tk - 1 ? qOffset + i0 + qn - 1 : Tk - 1;
          float m[QB], l[QB];
          for (long r = 0; r < QB; r++) { m[r] = -INFINITY; l[r] = 0.0f; }
          // only the qn real rows are computed (a decode step has one)
          load_rows(q + (b * Tq + i0) * ldq + h * D, ldq, qn, qn, D, Dp, t.Qb);
          memset(t.Ob, 0, sizeof(float) * (size_t)(qn * Dp));
          for (long j0 = lo; j0 <= last; j0 += KB) {
            long kb = last + 1 - j0 < KB ? last + 1 - j0 : KB;
            load_transposed(kh + j0 * ldk, ldk, kb, D, t.Kt);
            load_rows(vh + j0 * ldk, ldk, kb, kb, D, Dp, t.Vb);
            scores(t.Qb, t.Kt, D, Dp, t.S, qn);
            // online softmax per row, on the 4 vectors of a row's KB scores (lanes past n masked)
            const __m512 ninf = _mm512_set1_ps(-INFINITY), sc = _mm512_set1_ps(scale);
            for (long r = 0; r < qn; r++) {
              float *s = t.S + r * KB, *p = t.P + r * KB;
              long n = visible(qOffset + i0 + r, j0, kb, Tk);
              if (n == 0) { memset(p, 0, sizeof(float) * KB); continue; }
              __m512 sv[4], mx = ninf;
              __mmask16 mk[4];
              for (int v = 0; v < 4; v++) {
                mk[v] = n > 16 * v ? tail_mask(n - 16 * v) : 0;
                sv[v] = _mm512_mask_mul_ps(ninf, mk[v], _mm512_load_ps(s + 16 * v), sc);
                mx = _mm512_max_ps(mx, sv[v]);
              }
              float mb = _mm512_reduce_max_ps(mx), mn = mb > m[r] ? mb : m[r];
              if (mn != m[r] && m[r] != -INFINITY) { // rescale what was accumulated under the old max
                float c = expf(m[r] - mn);
                l[r] *= c;
                __m512 cv = _mm512_set1_ps(c);
                for (long d = 0; d < Dp; d += 16)
                  _mm512_store_ps(t.Ob + r * Dp + d, _mm512_mul_ps(cv, _mm512_load_ps(t.Ob + r * Dp + d)));
              }
              m[r] = mn;
              __m512 mv = _mm512_set1_ps(mn), sum = _mm512_setzero_ps();
              for (int v = 0; v < 4; v++) {
                __m512 e = _mm512_maskz_mov_ps(mk[v], exp16(_mm512_sub_ps(sv[v], mv)));
                _mm512_store_ps(p + 16 * v, e);
                sum = _mm512_add_ps(sum, e);
              }
              l[r] += _mm512_reduce_add_ps(sum);
            }
            acc_rows(t.P, t.Vb, kb, Dp, t.Ob, qn);
          }
          for (long r = 0; r < qn; r++) {
            float *o = out + (b * Tq + i0 + r) * ldq + h * D;
            float *li = lse + (b * Hq + h) * Tq + i0 + r;
            if (l[r] == 0.0f) { // saw no key
              memset(o, 0, sizeof(float) * (size_t)D);
              *li = -INFINITY;
              continue;
            }
            float inv = 1.0f / l[r];
            for (long d = 0; d < D; d++) o[d] = t.Ob[r * Dp + d] * inv;
            *li = m[r] + logf(l[r]);
          }
        }
  }
  team_release_caller(cpu);
}

//   P = exp(scale·Q·Kᵀ - lse), dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P·(dP - Σ dO·O)·scale,
//   dQ += dS·K, dK += dSᵀ·Q.
void k_attention_backward(const float *dout, const float *q, const float *k, const float *v, const float *out,
                          const float *lse, long B, long Tq, long Tk, long Hq, long Hkv, long D, long qOffset,
                          const int32_t *keyStart, float scale, float *dq, float *dk, float *dv) {
  long G = Hq / Hkv, ldq = Hq * D, ldk = Hkv * D, nqb = (Tq + QB - 1) / QB;
  long work = B * Hq * Tq * (Tk < qOffset + Tq ? Tk : qOffset + Tq) * D;
  int nt = par_threads(work, PAR_FLOPS);
  int cpu = team_pin_caller(nt);
#pragma omp parallel num_threads(nt)
  {
    team_pin_worker(cpu);
    tiles_t t;
    tiles_get(&t, D, G * Tq);
    long Dp = t.Dp;
#pragma omp for collapse(2) schedule(dynamic, 1)
    for (long b = 0; b < B; b++)
      for (long hk = 0; hk < Hkv; hk++) {
        const float *kh = k + b * Tk * ldk + hk * D, *vh = v + b * Tk * ldk + hk * D;
        long lo = keyStart ? keyStart[b] : 0;
        if (lo < 0) lo = 0;
        long last = qOffset + Tq - 1 < Tk - 1 ? qOffset + Tq - 1 : Tk - 1;
        for (long g = 0; g < G; g++)
          for (long i = 0; i < Tq; i++) {
            long off = (b * Tq + i) * ldq + (hk * G + g) * D;
            __m512 s = _mm512_setzero_ps(); // Di = dout·out over D (vector lanes: a scalar sum would not vectorise)
            for (long d = 0; d < D; d += 16) {
              __mmask16 mk = tail_mask(D - d);
              s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, dout + off + d), _mm512_maskz_loadu_ps(mk, out + off + d), s);
            }
            t.Di[g * Tq + i] = _mm512_reduce_add_ps(s);
          }
        for (long j0 = lo; j0 <= last; j0 += KB) {
          long kb = last + 1 - j0 < KB ? last + 1 - j0 : KB, kb4 = (kb + 3) / 4 * 4;
          // dk, dv rows of this block are added to at its end: fetch them now, behind the arithmetic
          prefetch_rows(dk + (b * Tk + j0) * ldk + hk * D, ldk, kb, D);
          prefetch_rows(dv + (b * Tk + j0) * ldk + hk * D, ldk, kb, D);
          load_transposed(kh + j0 * ldk, ldk, kb, D, t.Kt);
          load_transposed(vh + j0 * ldk, ldk, kb, D, t.Vt);
          load_rows(kh + j0 * ldk, ldk, kb, kb, D, Dp, t.Kb);
          memset(t.dKb, 0, sizeof(float) * (size_t)(KB * Dp));
          memset(t.dVb, 0, sizeof(float) * (size_t)(KB * Dp));
          // the first query that can see key j0 sits at position j0, i.e. index j0 - qOffset
          long qfirst = j0 - qOffset > 0 ? (j0 - qOffset) / QB : 0;
          for (long g = 0; g < G; g++) {
            long h = hk * G + g;
            for (long qb = qfirst; qb < nqb; qb++) {
              long i0 = qb * QB, qn = Tq - i0 < QB ? Tq - i0 : QB;
              prefetch_rows(dq + (b * Tq + i0) * ldq + h * D, ldq, qn, D);
              load_rows(q + (b * Tq + i0) * ldq + h * D, ldq, qn, QB, D, Dp, t.Qb);
              load_rows(dout + (b * Tq + i0) * ldq + h * D, ldq, qn, QB, D, Dp, t.dOb);
              scores(t.Qb, t.Kt, D, Dp, t.S, QB);
              scores(t.dOb, t.Vt, D, Dp, t.P, QB); // P holds dP until overwritten row by row below
              int any = 0;
              const __m512 sc = _mm512_set1_ps(scale);
              for (long r = 0; r < QB; r++) {
                float *s = t.S + r * KB, *p = t.P + r * KB;
                float L = r < qn ? lse[(b * Hq + h) * Tq + i0 + r] : -INFINITY;
                long n = r < qn && L != -INFINITY ? visible(qOffset + i0 + r, j0, kb, Tk) : 0;
                // row r of S becomes P, row r of P (holding dP) becomes dS; lanes past n become 0
                __m512 Lv = _mm512_set1_ps(L), Dv = _mm512_set1_ps(r < qn ? t.Di[g * Tq + i0 + r] : 0.0f);
                for (int v = 0; v < 4; v++) {
                  __mmask16 mk = n > 16 * v ? tail_mask(n - 16 * v) : 0;
                  __m512 pv = _mm512_maskz_mov_ps(mk, exp16(_mm512_sub_ps(_mm512_mul_ps(_mm512_load_ps(s + 16 * v), sc), Lv)));
                  _mm512_store_ps(s + 16 * v, pv);
                  _mm512_store_ps(p + 16 * v, _mm512_maskz_mul_ps(mk, _mm512_mul_ps(pv, _mm512_sub_ps(_mm512_load_ps(p + 16 * v), Dv)), sc));
                }
                any |= n > 0;
              }
              if (!any) continue;
              acc_cols(t.S, t.dOb, kb4, Dp, t.dVb);
              acc_cols(t.P, t.Qb, kb4, Dp, t.dKb);
              memset(t.Ob, 0, sizeof(float) * (size_t)(QB * Dp));
              acc_rows(t.P, t.Kb, kb, Dp, t.Ob, QB);
              for (long r = 0; r < qn; r++) {
                float *o = dq + (b * Tq + i0 + r) * ldq + h * D;
                for (long d = 0; d < D; d++) o[d] += t.Ob[r * Dp + d];
              }
            }
          }
          for (long j = 0; j < kb; j++) {
            float *a = dk + (b * Tk + j0 + j) * ldk + hk * D, *c = dv + (b * Tk + j0 + j) * ldk + hk * D;
            for (long d = 0; d < D; d++) { a[d] += t.dKb[j * Dp + d]; c[d] += t.dVb[j * Dp + d]; }
          }
        }
      }
  }
  team_release_caller(cpu);
}

#endif
