// Prefill GEMM on GGML-quantised weights for CPUs with AVX2 but not AVX-512 VNNI (quant_portable.c
// calls it): Y (M, N) = X (M, K) · Wᵀ, the layout of quant_gemm.c with 8 rows to a vector.
//
// A panel of 8 weight rows × KC values is unpacked once into bytes interleaved by 4 (vector c holds
// values 4c..4c+3 of each of the 8 rows: lane n is row n), with each sub-block's scale (and
// Q4_K/Q5_K's min) as 8 f32 lanes. Every token then passes over the panel, MR at a time: 4 of its
// int8 values broadcast meet a weight vector in vpmaddubsw + vpmaddwd (AVX2's stand-in for
// vpdpbusd), so each lane sums one (row, token) pair in int32, and a whole sub-block's sum is scaled
// once. vpmaddubsw adds two products in int16, which saturates for unsigned bytes above 128 times
// 127: Q8_0 keeps its signed values and moves their signs onto the activations (vpsignb, as
// llama.cpp's AVX2 dot does); the other types are at most 6 bits unsigned, with their integer
// offsets (Q4_0's 8, Q5_0's 16, Q6_K's 32) starting each sum at -offset·Σq, and Q4_K/Q5_K's mins
// multiplying Σq in f32. Against dequantising to f32 and the f32 GEMM, no weight becomes a float and
// two multiplies cover 32 products, where f32 FMAs cover 16.
#include <string.h>
#include "common.h"
#include "quant.h"
#include "quant_act.h"
#include "quant_avx2.h"

#if PONDER_QUANT_AVX2

#define AI static inline __attribute__((always_inline))
#define PR 8   // weight rows per panel: one per 32-bit lane
#define MR 4   // tokens per micro-kernel pass
#define KC 512 // values per K chunk, a multiple of 256: the panel (≤ 5 KiB) stays in L1
#define PANEL_BYTES (KC / 16 * (16 * PR + 32))

int q_gemm_supported(int type) {
  switch (type) {
    case QT_Q8_0: case QT_Q4_0: case QT_Q5_0: case QT_Q4_K: case QT_Q5_K: case QT_Q6_K: return 1;
    default: return 0;
  }
}

// How a type's values sit in the panel: sub-block size S (values sharing a scale), whether the
// activations' scale is per 32 values (Q8_0 blocks) or per 256 (Q8_K), the weights' integer offset
// as a shift (offset = 1 << shift; -1: none), whether there are mins, and whether the weights are
// signed (Q8_0).
typedef struct { int S, per32, shift, mins, sgn; } kind_t;

static kind_t kind_of(int type) {
  switch (type) {
    case QT_Q8_0: return (kind_t){32, 1, -1, 0, 1};
    case QT_Q4_0: return (kind_t){32, 1, 3, 0, 0};
    case QT_Q5_0: return (kind_t){32, 1, 4, 0, 0};
    case QT_Q6_K: return (kind_t){16, 0, 5, 0, 0};
    default: return (kind_t){32, 0, -1, 1, 0}; // Q4_K, Q5_K
  }
}

// Bytes of one sub-block in the panel: S/4 weight vectors, 8 scales, 8 mins (if any).
static long group_bytes(kind_t k) { return k.S * PR + 32 + (k.mins ? 32 : 0); }

// In-register 8×8 transpose of 32-bit words: on return r[c] holds word c of every input vector.
AI void transpose8(__m256 r[8]) {
  __m256 t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
  }
  for (int i = 0; i < 4; i++) {
    t[i] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20);
    t[i + 4] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
  }
  for (int i = 0; i < 8; i++) r[i] = t[i];
}

// Rows [p, p + nrow) of W, sub-blocks [g0, g0 + ng), into the panel P (rows beyond nrow: zeros).
static void pack_panel(int type, kind_t k, const uint8_t *W, long rowBytes, long p, int nrow, long g0, long ng, uint8_t *P,
                       uint8_t (*u)[KC]) {
  const long gb = group_bytes(k), len = ng * k.S;
  for (int n = 0; n < PR; n++) {
    if (n >= nrow) {
      memset(u[n], 0, (size_t)len);
      for (long g = 0; g < ng; g++) {
        put_lane(P, gb, g, PR * k.S, n, 0.0f);
        if (k.mins) put_lane(P, gb, g, PR * k.S + 32, n, 0.0f);
      }
      continue;
    }
    unpack_row(type, W + (p + n) * rowBytes, g0, ng, 0, PR, u[n], P, gb, n); // Q8_0 signed (vpsignb)
  }
  // 32 values of the 8 rows at a time: an 8×8 transpose of 32-bit words puts values 4c..4c+3 of
  // every row in vector c (len is a multiple of 32: whole blocks)
  const int per = k.S / 4; // weight vectors per sub-block
  for (long v = 0; v < len; v += 32) {
    __m256 r[8];
    for (int n = 0; n < PR; n++) r[n] = _mm256_load_ps((const float *)(u[n] + v));
    transpose8(r);
    for (int c = 0; c < 8; c++) {
      const long w = v / 4 + c; // weight vector index over the chunk
      _mm256_store_ps((float *)(P + (w / per) * gb + (w % per) * 32), r[c]);
    }
  }
}

// ---- the micro-kernel: nr tokens from m0 against the panel's 8 rows, sub-blocks [g0, g0 + ng) ----

// Σq of the activations over sub-block gg of S values (from the sums per 16).
AI int group_sum(const int16_t *sums, const int S, long gg) {
  return S == 16 ? sums[gg] : sums[2 * gg] + sums[2 * gg + 1];
}

AI void micro(const uint8_t *P, long g0, long ng, const kind_t k, const int8_t *q, const float *d, const int16_t *sums, long K,
              long m0, const int nr, float *Y, long N, long n0, __m256i nm, int accumulate) {
  const int S = k.S;
  const long gb = S * PR + 32 + (k.mins ? 32 : 0), spb = 256 / S;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[MR], blk[MR];
  for (int r = 0; r < nr; r++) {
    acc[r] = accumulate ? _mm256_maskload_ps(Y + (m0 + r) * N + n0, nm) : _mm256_setzero_ps();
    blk[r] = _mm256_setzero_ps();
  }
  for (long g = 0; g < ng; g++) {
    const uint8_t *pg = P + g * gb;
    const long gg = g0 + g;
    __m256i is[MR];
    for (int r = 0; r < nr; r++)
      is[r] = _mm256_set1_epi32(k.shift >= 0 ? -group_sum(sums + (m0 + r) * (K / 16), S, gg) * (1 << k.shift) : 0);
    for (int c = 0; c < S / 4; c++) {
      const __m256i w = _mm256_load_si256((const __m256i *)(pg + 32 * c));
      const __m256i aw = k.sgn ? _mm256_sign_epi8(w, w) : w;
      for (int r = 0; r < nr; r++) {
        int32_t q4;
        memcpy(&q4, q + (m0 + r) * K + gg * S + 4 * c, 4);
        const __m256i b = _mm256_set1_epi32(q4);
        const __m256i p = _mm256_maddubs_epi16(aw, k.sgn ? _mm256_sign_epi8(b, w) : b);
        is[r] = _mm256_add_epi32(is[r], _mm256_madd_epi16(p, ones));
      }
    }
    const __m256 s = _mm256_load_ps((const float *)(pg + PR * S));
    if (k.per32) { // Q8_0 activations: a scale per sub-block
      for (int r = 0; r < nr; r++)
        acc[r] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(is[r]), _mm256_set1_ps(d[(m0 + r) * (K / 32) + gg])), s, acc[r]);
      continue;
    }
    for (int r = 0; r < nr; r++) blk[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(is[r]), s, blk[r]);
    if (k.mins) {
      const __m256 o = _mm256_load_ps((const float *)(pg + PR * S + 32));
      for (int r = 0; r < nr; r++)
        blk[r] = _mm256_fmadd_ps(o, _mm256_set1_ps((float)group_sum(sums + (m0 + r) * (K / 16), 32, gg)), blk[r]);
    }
    if ((gg + 1) % spb == 0) { // the end of a 256 block: its activation scale
      for (int r = 0; r < nr; r++) {
        acc[r] = _mm256_fmadd_ps(blk[r], _mm256_set1_ps(d[(m0 + r) * (K / 256) + gg / spb]), acc[r]);
        blk[r] = _mm256_setzero_ps();
      }
    }
  }
  for (int r = 0; r < nr; r++) _mm256_maskstore_ps(Y + (m0 + r) * N + n0, nm, acc[r]);
}

// Every token against one packed panel, MR at a time, then 2, 1 (nr and the kind constants in each
// call, so the inner loops unroll).
#define TOKENS(KIND)                                                                                   \
  do {                                                                                                \
    const kind_t kk = KIND;                                                                           \
    long m = 0;                                                                                       \
    for (; m + MR <= M; m += MR) micro(P, g0, ng, kk, q, d, sums, K, m, MR, Y, N, p, nm, acc);         \
    if (m + 2 <= M) { micro(P, g0, ng, kk, q, d, sums, K, m, 2, Y, N, p, nm, acc); m += 2; }           \
    if (m < M) micro(P, g0, ng, kk, q, d, sums, K, m, 1, Y, N, p, nm, acc);                            \
  } while (0)

void q_gemm_rows(int type, const uint8_t *W, long rowBytes, long N, const act_t *a, long M, long n0, long n1, float *Y) {
  const long K = a->K;
  const int8_t *q = a->q;
  const float *d = a->d;
  const int16_t *sums = a->sums;
  _Alignas(64) uint8_t P[PANEL_BYTES];
  _Alignas(64) uint8_t u[PR][KC];
  const kind_t k = kind_of(type);
  for (long p = n0; p < n1; p += PR) {
    const int nrow = n1 - p < PR ? (int)(n1 - p) : PR;
    const __m256i nm = _mm256_cmpgt_epi32(_mm256_set1_epi32(nrow), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    for (long k0 = 0; k0 < K; k0 += KC) {
      const long g0 = k0 / k.S, ng = (K - k0 < KC ? K - k0 : KC) / k.S;
      const int acc = k0 > 0;
      pack_panel(type, k, W, rowBytes, p, nrow, g0, ng, P, u);
      switch (type) { // kind_of a constant in each case
        case QT_Q8_0: TOKENS(kind_of(QT_Q8_0)); break;
        case QT_Q4_0: TOKENS(kind_of(QT_Q4_0)); break;
        case QT_Q5_0: TOKENS(kind_of(QT_Q5_0)); break;
        case QT_Q6_K: TOKENS(kind_of(QT_Q6_K)); break;
        default: TOKENS(kind_of(QT_Q4_K)); break; // Q4_K, Q5_K
      }
    }
  }
}

#endif
