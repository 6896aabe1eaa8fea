// Quantised matrix products and attention over the f16 KV cache on CPUs without AVX-512 VNNI and
// BF16 (AVX2 laptops and servers, other architectures): the functions of quant.c, quant_gemm.c
// and quant_attn.c, computing the same products, as src/backend/ts/quant.ts defines them.
//
// The activation row is quantised as ggml's CPU backend quantises it (int8 blocks of 32 for
// Q8_0/Q4_0/Q5_0 weights, of 256 for the k-quants, bf16 for BF16 weights).
// A few tokens (decode): the rows are split over threads. With AVX2 each row meets each token in
// an integer (or widening) dot product straight from its blocks (quant_avx2.c); otherwise, and
// for Q5_K and f32 rows, it is dequantised to f32 (quant_blocks.c, bit-exact with ggml) and
// dotted with the dequantised activations. Many tokens (prefill): with AVX2, integer weights go
// through the int8 panel GEMM (quant_gemm_avx2.c); BF16, F16 and f32 weights, and every type on
// other CPUs, are dequantised in panels and multiplied by all the tokens with the f32 GEMM (gemm.c).
// Attention is flash-style with AVX2, one query and head at a time otherwise. The same numbers as
// quant.c to rounding, on any CPU the compiler targets.
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "common.h"
#include "quant.h"
#include "quant_act.h"
#include "quant_avx2.h"

#if !PONDER_QUANT_AVX512

#define TILE_ROWS 16  // rows dequantised together for the token loop (decode), per thread
#define PANEL_ROWS 64 // rows dequantised per GEMM call (prefill), at least
// A long prompt's panels grow to this size: each GEMM call repacks every token's activations, which
// 64-row panels paid for every 64 rows (4 MiB panels: 1.7-2.0x the row kernels' GFLOP/s against
// 1.5-1.6x, 0.5B shape, bench/quant-gemm.ts on an AVX2 build). Short prompts keep 64 rows, and
// their scratch stays small.
#define PANEL_MAX_BYTES (4L << 20)
#define PANEL_GROW_TOKENS 64

static long gemm_min_m = 8;
long q_set_gemm_min_tokens(long n) { long old = gemm_min_m; gemm_min_m = n; return old; }

// ---- activations, as each weight type's kernel sees them ----

enum { EA_F32, EA_Q32, EA_Q32_FINE, EA_Q256, EA_BF16, EA_COUNT };

static int act_format(int type) {
  switch (type) {
    case QT_Q8_0: case QT_Q4_0: case QT_Q5_0: return EA_Q32;
    case QT_Q8_0_FINE: return EA_Q32_FINE;
    case QT_Q4_K: case QT_Q5_K: case QT_Q6_K: return EA_Q256;
    case QT_BF16: return EA_BF16;
    default: return EA_F32;
  }
}

// Blocks of bs values: q = round-to-even(x·id) with id = 127 / max|x| in f32; the scale d is
// max|x| / 127 rounded to f16 for 32-value blocks (block_q8_0), 1 / id for 256 (block_q8_K).
// out = d·q, or with fine (Q8_0 only) d·q + (d/128)·q2, q2 the residual's int8 (~15 bits); the
// int8 q, the scales and (256-value blocks) Σq per 16 values are kept for quant_avx2.c.
__attribute__((optimize("fp-contract=off"))) static void quantized_row(const float *x, long K, long bs, int fine, float *out,
                                                                      int8_t *qs, int8_t *q2s, float *ds, int16_t *sums) {
  for (long b = 0; b < K / bs; b++) {
    const float *xb = x + b * bs;
    float *ob = out + b * bs, amax = 0;
    for (long i = 0; i < bs; i++) amax = fabsf(xb[i]) > amax ? fabsf(xb[i]) : amax;
    const float id = amax != 0 ? 127.0f / amax : 0.0f;
    const float d = bs == 32 ? half_to_float(float_to_half(amax / 127.0f)) : id != 0 ? 1.0f / id : 0.0f;
    const float id2 = d != 0 ? 128.0f / d : 0.0f;
    ds[b] = d;
    for (long i = 0; i < bs; i++) {
      const float q = nearbyintf(xb[i] * id); // the default rounding mode: half to even
      qs[b * bs + i] = (int8_t)q;
      if (!fine) { ob[i] = d * q; continue; }
      const float r = (float)((double)xb[i] - (double)d * q), q2 = nearbyintf(r * id2);
      q2s[b * bs + i] = (int8_t)q2;
      ob[i] = (float)((double)d * q + (double)d / 128.0 * q2);
    }
    for (int g = 0; g < bs / 16; g++) {
      int t = 0;
      for (int i = 0; i < 16; i++) t += qs[b * bs + 16 * g + i];
      sums[b * (bs / 16) + g] = (int16_t)t;
    }
  }
}

// x rounded to bf16 (ggml_compute_fp32_to_bf16: to nearest even, NaN kept quiet).
static void bf16_row(const float *x, long K, float *out) {
  for (long i = 0; i < K; i++) {
    uint32_t u;
    memcpy(&u, x + i, 4);
    const uint32_t h = (u & 0x7fffffff) > 0x7f800000 ? (u >> 16) | 64 : (u + 0x7fff + ((u >> 16) & 1)) >> 16;
    u = h << 16;
    memcpy(out + i, &u, 4);
  }
}

// The activations in one format: f (M rows of K values as the kernel sees them), and for the
// quantised formats the int8 values q (and the fine format's residual q2), one scale d per block
// and Σq per 16 values.
typedef struct { const float *f; const int8_t *q, *q2; const float *d; const int16_t *sums; } acts_t;

static scratch_t s_act[EA_COUNT], s_q[EA_COUNT], s_d[EA_COUNT], s_sums[EA_COUNT], s_q2;

// The M activation rows in format f (f32 formats are X itself); 0 when memory is short.
static int activations(int f, const float *X, long K, long M, acts_t *out) {
  *out = (acts_t){.f = X};
  if (f == EA_F32) return 1;
  const long bs = f == EA_Q256 ? 256 : 32;
  float *a = grow(&s_act[f], (size_t)(M * K) * sizeof(float));
  int8_t *q = f == EA_BF16 ? NULL : grow(&s_q[f], (size_t)(M * K));
  float *d = f == EA_BF16 ? NULL : grow(&s_d[f], (size_t)(M * (K / bs)) * sizeof(float));
  int16_t *sums = f == EA_BF16 ? NULL : grow(&s_sums[f], (size_t)(M * (K / 16) + 1) * sizeof(int16_t));
  int8_t *q2 = f == EA_Q32_FINE ? grow(&s_q2, (size_t)(M * K)) : NULL;
  if (!a || (f != EA_BF16 && (!q || !d || !sums)) || (f == EA_Q32_FINE && !q2)) return 0;
  int nt = par_threads(M * K, PAR_ELEMS);
  if (nt > M) nt = (int)M;
  PAR_REGION(nt)
#pragma omp for schedule(static)
  for (long m = 0; m < M; m++) {
    if (f == EA_BF16) bf16_row(X + m * K, K, a + m * K);
    else quantized_row(X + m * K, K, bs, f == EA_Q32_FINE, a + m * K, q + m * K, q2 ? q2 + m * K : NULL, d + m * (K / bs),
                       sums + m * (K / 16));
  }
  PAR_REGION_END
  *out = (acts_t){a, q, q2, d, sums};
  return 1;
}

// ---- products ----

// Σ w·a over K floats: 32 independent lanes (four AVX2 vectors), so the sum is not bound by the
// add latency; the lanes are added in a fixed order, so the result does not depend on threads.
static inline float dot(const float *w, const float *a, long K) {
  float acc[32] = {0};
  long k = 0;
  for (; k + 32 <= K; k += 32)
    for (int j = 0; j < 32; j++) acc[j] += w[k + j] * a[k + j];
  for (; k < K; k++) acc[k & 31] += w[k] * a[k];
  for (int j = 16; j >= 1; j /= 2)
    for (int i = 0; i < j; i++) acc[i] += acc[i + j];
  return acc[0];
}

static scratch_t s_panel, s_out;
static _Thread_local scratch_t t_tile;

static int weight_type(int type) { return type == QT_Q8_0_FINE ? QT_Q8_0 : type; }

// Weight types with an AVX2 integer or widening dot product (quant_avx2.c).
static int has_fast_dot(int type) {
#if PONDER_QUANT_AVX2
  switch (type) { // Q5_K and f32 rows take the dequantising path
    case QT_Q8_0: case QT_Q8_0_FINE: case QT_Q4_0: case QT_Q5_0: case QT_Q4_K: case QT_Q6_K: case QT_BF16: case QT_F16: return 1;
    default: return 0;
  }
#else
  (void)type;
  return 0;
#endif
}

#if PONDER_QUANT_AVX2
static inline float fast_dot(int type, const uint8_t *w, const acts_t *a, long m, long K) {
  switch (type) {
    case QT_Q8_0: return avx2_dot_q8_0(w, a->q + m * K, a->d + m * (K / 32), K);
    case QT_Q8_0_FINE: return avx2_dot_q8_0_fine(w, a->q + m * K, a->q2 + m * K, a->d + m * (K / 32), K);
    case QT_Q4_0: return avx2_dot_q4_0(w, a->q + m * K, a->d + m * (K / 32), K);
    case QT_Q5_0: return avx2_dot_q5_0(w, a->q + m * K, a->d + m * (K / 32), K);
    case QT_Q4_K: return avx2_dot_q4_k(w, a->q + m * K, a->d + m * (K / 256), a->sums + m * (K / 16), K);
    case QT_Q6_K: return avx2_dot_q6_k(w, a->q + m * K, a->d + m * (K / 256), a->sums + m * (K / 16), K);
    case QT_BF16: return avx2_dot_bf16(w, a->f + m * K, K);
    case QT_F16: return avx2_dot_f16(w, a->f + m * K, K);
    default: return 0; // not reached: has_fast_dot
  }
}
#endif

// Rows [n0, n1) of Y (M, N): with a fast dot straight from the weights, else dequantised
// TILE_ROWS at a time into this thread's buffer and dotted with every token.
static int rows_by_tile(int type, const uint8_t *W, long rowBytes, long N, long K, const acts_t *a, long M, long n0,
                        long n1, float *Y) {
#if PONDER_QUANT_AVX2
  if (has_fast_dot(type)) {
    for (long n = n0; n < n1; n++)
      for (long m = 0; m < M; m++) Y[m * N + n] = fast_dot(type, W + n * rowBytes, a, m, K);
    return 0;
  }
#endif
  float *tile = grow(&t_tile, (size_t)(TILE_ROWS * K) * sizeof(float));
  if (!tile) return -1;
  for (long t0 = n0; t0 < n1; t0 += TILE_ROWS) {
    const long nr = n1 - t0 < TILE_ROWS ? n1 - t0 : TILE_ROWS;
    for (long r = 0; r < nr; r++) q_dequant_row(weight_type(type), W + (t0 + r) * rowBytes, K, tile + r * K);
    for (long m = 0; m < M; m++)
      for (long r = 0; r < nr; r++) Y[m * N + t0 + r] = dot(tile + r * K, a->f + m * K, K);
  }
  return 0;
}

// Decode: the rows over threads in contiguous chunks (each thread streams its own rows).
static int product_rows(int type, const uint8_t *W, long rowBytes, long N, long K, const acts_t *A, long M, float *Y) {
  int nt = par_threads(N * K * (M < 4 ? M : 4), 65536);
  if (nt > 1 && M == 1) nt = team_small(nt); // per-row results: the same bits on any thread count
  if (nt <= 1) return rows_by_tile(type, W, rowBytes, N, K, A, M, 0, N, Y);
  const long chunks = 8L * nt, per = ((N + chunks - 1) / chunks + TILE_ROWS - 1) / TILE_ROWS * TILE_ROWS;
  int failed = 0;
  PAR_REGION(nt)
#pragma omp for schedule(dynamic, 1)
  for (long c = 0; c < N; c += per)
    if (rows_by_tile(type, W, rowBytes, N, K, A, M, c, c + per < N ? c + per : N, Y) != 0) failed = 1;
  PAR_REGION_END
  return failed ? -1 : 0;
}

#if PONDER_QUANT_AVX2
// Prefill on integer weights: the AVX2 panel GEMM (quant_gemm_avx2.c, the interface quant_gemm.c
// has with AVX-512), threads over chunks of rows.
static void product_int8(int type, const uint8_t *W, long rowBytes, long N, long K, const acts_t *A, long M, float *Y) {
  const act_t a = {.q = A->q, .d = A->d, .sums = A->sums, .K = K};
  int nt = par_threads(N * K * M, PAR_FLOPS);
  const long chunk = 64, chunks = (N + chunk - 1) / chunk;
  if (nt > chunks) nt = (int)chunks;
  PAR_REGION(nt)
#pragma omp for schedule(dynamic, 1)
  for (long c = 0; c < chunks; c++) q_gemm_rows(type, W, rowBytes, N, &a, M, c * chunk, c * chunk + chunk < N ? c * chunk + chunk : N, Y);
  PAR_REGION_END
}
#endif

// Prefill: panels of rows (PANEL_ROWS, or up to PANEL_MAX_BYTES for long prompts) dequantised once,
// then Y[:, panel] = A · panelᵀ by the f32 GEMM (which splits the tokens over threads itself).
static int product_panels(int type, const uint8_t *W, long rowBytes, long N, long K, const acts_t *A, long M, float *Y) {
  long rows = PANEL_ROWS;
  if (M >= PANEL_GROW_TOKENS) {
    const long fit = PANEL_MAX_BYTES / (K * (long)sizeof(float)) / 16 * 16;
    if (fit > rows) rows = fit;
    if (rows > (N + 15) / 16 * 16) rows = (N + 15) / 16 * 16;
  }
  float *panel = grow(&s_panel, (size_t)(rows * K) * sizeof(float));
  float *out = grow(&s_out, (size_t)(M * rows) * sizeof(float));
  if (!panel || !out) return -1;
  for (long p0 = 0; p0 < N; p0 += rows) {
    const long np = N - p0 < rows ? N - p0 : rows;
    int nt = par_threads(np * K, PAR_ELEMS);
    PAR_REGION(nt)
#pragma omp for schedule(static)
    for (long r = 0; r < np; r++) q_dequant_row(weight_type(type), W + (p0 + r) * rowBytes, K, panel + r * K);
    PAR_REGION_END
    k_gemm(1, M, np, K, A->f, 0, 0, panel, 0, 1, out, 0, 0);
    for (long m = 0; m < M; m++) memcpy(Y + m * N + p0, out + m * np, (size_t)np * sizeof(float));
  }
  return 0;
}

int q_matmul_multi(int n, const qmat_t *mats, long K, const float *X, long M) {
  if (n < 1 || n > 16) return -2;
  for (int i = 0; i < n; i++) {
    acts_t A;
    if (!activations(act_format(mats[i].type), X, K, M, &A)) return -1;
    const long rowBytes = qt_row_bytes(weight_type(mats[i].type), K);
#if PONDER_QUANT_AVX2
    if (M >= gemm_min_m && q_gemm_supported(mats[i].type)) {
      product_int8(mats[i].type, mats[i].W, rowBytes, mats[i].N, K, &A, M, mats[i].Y);
      continue;
    }
#endif
    const int r = M >= gemm_min_m ? product_panels(mats[i].type, mats[i].W, rowBytes, mats[i].N, K, &A, M, mats[i].Y)
                                  : product_rows(mats[i].type, mats[i].W, rowBytes, mats[i].N, K, &A, M, mats[i].Y);
    if (r != 0) return r;
  }
  return 0;
}

// ---- attention over the f16 KV cache ----

#if PONDER_QUANT_AVX2
// Flash-style, as quant_attn.c does it with AVX-512: a block of nq query tokens and all the query
// heads of one KV group walk the keys in tiles of ATT_TILE, converted from f16 once per tile for
// every head of the block; scores 8 keys at a time (reduce8), exponentiated 8 at a time (exp8);
// online softmax. Items (block, group) are independent, so the result does not depend on threads.
#define ATT_TILE 32
#define ATT_HEADS 64 // query heads per block (tokens × heads of a group)

// r[j] = Σ lanes of v[j] for 8 vectors (two horizontal-add rounds, then the 128-bit halves).
static inline __m256 reduce8(const __m256 v[8]) {
  const __m256 b0 = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
  const __m256 b1 = _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(b0, b1, 0x20), _mm256_permute2f128_ps(b0, b1, 0x31));
}

// f16 → f32 of n values (8 at a time, then one by one).
static inline void halves_to_floats(const uint16_t *h, long n, float *f) {
  long d = 0;
  for (; d + 8 <= n; d += 8) _mm256_storeu_ps(f + d, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + d))));
  for (; d < n; d++) f[d] = half_to_float(h[d]);
}

// Σ q·k over D floats: 8 lanes (D ≥ 8 in every model; the tail one by one into lane 0).
static inline __m256 dot_lanes(const float *q, const float *k, long D) {
  __m256 a = _mm256_setzero_ps();
  long d = 0;
  for (; d + 8 <= D; d += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(k + d), a);
  float t = 0;
  for (; d < D; d++) t += q[d] * k[d];
  return _mm256_add_ps(a, _mm256_setr_ps(t, 0, 0, 0, 0, 0, 0, 0));
}

static inline __attribute__((always_inline)) void attend_block(const float *q, const uint16_t *kc, const uint16_t *vc, long Hq,
                                                               long Hkv, const long D, long t0, long nq, long qOffset, long g,
                                                               float scale, float *out) {
  const long G = Hq / Hkv, row = Hkv * D, H = nq * G, nmax = qOffset + t0 + nq;
  float kt[ATT_TILE * D], vt[ATT_TILE * D], acc[H * D], m[H], l[H];
  _Alignas(32) float p[ATT_TILE];
  for (long h = 0; h < H; h++) { m[h] = -INFINITY; l[h] = 0.0f; }
  memset(acc, 0, sizeof acc);
  for (long j0 = 0; j0 < nmax; j0 += ATT_TILE) {
    const long jn = nmax - j0 < ATT_TILE ? nmax - j0 : ATT_TILE;
    for (long j = 0; j < jn; j++) {
      halves_to_floats(kc + (j0 + j) * row + g * D, D, kt + j * D);
      halves_to_floats(vc + (j0 + j) * row + g * D, D, vt + j * D);
    }
    for (long hh = 0; hh < H; hh++) {
      const long i = hh / G, n = qOffset + t0 + i + 1; // keys this query sees
      if (j0 >= n) continue;
      const long jv = n - j0 < jn ? n - j0 : jn;
      const float *qh = q + (t0 + i) * Hq * D + (g * G + hh % G) * D;
      float mx = m[hh];
      __m256 sv[ATT_TILE / 8];
      for (long c = 0; c < (jv + 7) / 8; c++) {
        __m256 a[8];
        for (int j = 0; j < 8; j++) a[j] = c * 8 + j < jv ? dot_lanes(qh, kt + (c * 8 + j) * D, D) : _mm256_setzero_ps();
        const __m256 live = _mm256_cmp_ps(_mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_ps((float)(jv - c * 8)), _CMP_LT_OQ);
        sv[c] = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), _mm256_mul_ps(reduce8(a), _mm256_set1_ps(scale)), live);
        _Alignas(32) float t[8];
        _mm256_store_ps(t, sv[c]);
        for (int j = 0; j < 8; j++) mx = t[j] > mx ? t[j] : mx;
      }
      const float corr = expf(m[hh] - mx); // 0 on the first tile (m = -inf)
      __m256 sum8 = _mm256_setzero_ps();
      for (long c = 0; c < (jv + 7) / 8; c++) {
        const __m256 e = exp8(_mm256_sub_ps(sv[c], _mm256_set1_ps(mx))); // masked keys: exp(-inf) = 0
        _mm256_store_ps(p + 8 * c, e);
        sum8 = _mm256_add_ps(sum8, e);
      }
      _Alignas(32) float t[8];
      _mm256_store_ps(t, sum8);
      const float sum = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
      float *o = acc + hh * D;
      long d = 0;
      for (; d + 8 <= D; d += 8) {
        __m256 od = _mm256_mul_ps(_mm256_loadu_ps(o + d), _mm256_set1_ps(corr));
        for (long j = 0; j < jv; j++) od = _mm256_fmadd_ps(_mm256_set1_ps(p[j]), _mm256_loadu_ps(vt + j * D + d), od);
        _mm256_storeu_ps(o + d, od);
      }
      for (; d < D; d++) {
        float od = o[d] * corr;
        for (long j = 0; j < jv; j++) od += p[j] * vt[j * D + d];
        o[d] = od;
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
  // Blocks of query tokens (one token per block for decode, or when a group has many heads).
  const long qb = G >= ATT_HEADS ? 1 : ATT_HEADS / G < 8 ? ATT_HEADS / G : 8, blocks = (T + qb - 1) / qb, items = blocks * Hkv;
  int nt = par_threads((qOffset + T) * T * Hq * D, PAR_FLOPS);
  if (nt > items) nt = (int)items;
  if (nt > 1 && T == 1) nt = team_small(nt);
  PAR_REGION(nt)
#pragma omp for schedule(dynamic, 1)
  for (long it = items - 1; it >= 0; it--) { // the longest blocks (last queries) first
    const long b = it / Hkv, g = it % Hkv, t0 = b * qb, nq = T - t0 < qb ? T - t0 : qb;
    // the usual head sizes as constants: the dot products unroll
    if (D == 128) attend_block(q, kc, vc, Hq, Hkv, 128, t0, nq, qOffset, g, scale, out);
    else if (D == 64) attend_block(q, kc, vc, Hq, Hkv, 64, t0, nq, qOffset, g, scale, out);
    else attend_block(q, kc, vc, Hq, Hkv, D, t0, nq, qOffset, g, scale, out);
  }
  PAR_REGION_END
}

#else
static _Thread_local scratch_t t_scores;

// Query (t, h) against positions [0, n): softmax(q·k · scale) · v, the keys and values of KV head g.
static void attend(const float *q, const uint16_t *kc, const uint16_t *vc, long row, long g, long D, long n, float scale,
                   float *out) {
  float *s = grow(&t_scores, (size_t)(n + D) * sizeof(float)), *kv = s + n;
  if (!s) { for (long d = 0; d < D; d++) out[d] = NAN; return; }
  float mx = -INFINITY;
  for (long j = 0; j < n; j++) {
    const uint16_t *k = kc + j * row + g * D;
    for (long d = 0; d < D; d++) kv[d] = half_to_float(k[d]);
    s[j] = dot(q, kv, D) * scale;
    mx = s[j] > mx ? s[j] : mx;
  }
  float sum = 0;
  for (long j = 0; j < n; j++) { s[j] = expf(s[j] - mx); sum += s[j]; }
  for (long d = 0; d < D; d++) out[d] = 0;
  for (long j = 0; j < n; j++) {
    const uint16_t *v = vc + j * row + g * D;
    for (long d = 0; d < D; d++) out[d] += s[j] * half_to_float(v[d]);
  }
  const float inv = sum > 0 ? 1.0f / sum : 0.0f;
  for (long d = 0; d < D; d++) out[d] *= inv;
}

void q_attention_f16(const float *q, const uint16_t *kc, const uint16_t *vc, long T, long Hq, long Hkv, long D,
                     long qOffset, float scale, float *out) {
  const long G = Hq / Hkv, row = Hkv * D, items = T * Hq;
  int nt = par_threads((qOffset + T) * T * Hq * D, PAR_FLOPS);
  if (nt > items) nt = (int)items;
  if (nt > 1 && T == 1) nt = team_small(nt);
  PAR_REGION(nt)
#pragma omp for schedule(dynamic, 1)
  for (long i = items - 1; i >= 0; i--) { // the longest rows (last queries) first
    const long t = i / Hq, h = i % Hq;
    attend(q + (t * Hq + h) * D, kc, vc, row, h / G, D, qOffset + t + 1, scale, out + (t * Hq + h) * D);
  }
  PAR_REGION_END
}
#endif

void q_cache_write_f16(const float *k, const float *v, long T, long rowLen, long pos, uint16_t *kc, uint16_t *vc) {
  for (long i = 0; i < T * rowLen; i++) {
    kc[pos * rowLen + i] = float_to_half(k[i]);
    vc[pos * rowLen + i] = float_to_half(v[i]);
  }
}

#endif // !PONDER_QUANT_AVX512
