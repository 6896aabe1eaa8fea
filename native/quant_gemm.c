// Prefill GEMM on GGML-quantised weights used in place: Y (M, N) = X (M, K) · Wᵀ for many tokens.
//
// The row kernels (quant.c) unpack a weight row and run it against 8 tokens, but every 64 values
// cost an int8 dot, a convert and a scaled add per token. Here a panel of 16 weight rows × KC
// values is unpacked once into a small per-thread buffer as unsigned bytes interleaved by 4
// (vector c holds values 4c..4c+3 of each of the 16 rows: lane n is row n), with each sub-block's
// scale (and Q4_K/Q5_K's min) as 16 f32 lanes. Every token then passes over the panel, 8 at a
// time: one vpdpbusd multiplies a weight vector by 4 of the token's int8 values broadcast, so each
// lane sums one (row, token) pair, and the integer sum of a whole sub-block is scaled once (convert
// + fma per 16 rows), not per 64 values. The weights' integer offsets (Q8_0 stored as q + 128,
// Q4_0's 8, Q5_0's 16, Q6_K's 32) start each sum at -offset·Σq; Q4_K/Q5_K's mins multiply Σq in
// f32. This is the layout llama.cpp's AVX-512 "repack" buffers make at load time, but transient:
// the panel lives in L1 while the tokens stream past it, and resident memory stays the mapped file.
#include <string.h>
#include "common.h"
#include "quant.h"
#include "quant_act.h"
#include "quant_unpack.h"

#if PONDER_QUANT_AVX512 // else quant_portable.c

#define AI static inline __attribute__((always_inline))
#define PR 16   // weight rows per panel: one per 32-bit lane
#define MR 8    // tokens per micro-kernel pass (3·MR accumulators + weights fit the 32 registers)
#define KC 512  // values per K chunk, a multiple of 256: the panel (≤ 10 KiB) stays in L1
#define PANEL_BYTES (KC / 16 * (16 * 16 + 64)) // the largest: Q6_K, 32 sub-blocks of 16

int q_gemm_supported(int type) {
  switch (type) {
    case QT_Q8_0: case QT_Q4_0: case QT_Q5_0: case QT_Q4_K: case QT_Q5_K: case QT_Q6_K: return 1;
    default: return 0;
  }
}

// How a type's values sit in the panel: sub-block size S (values sharing a scale), whether the
// activations' scale is per 32 values (Q8_0 blocks) or per 256 (Q8_K), the weights' integer
// offset as a shift (offset = 1 << shift; -1: none), and whether there are mins.
typedef struct { int S, per32, shift, mins; } kind_t;

static kind_t kind_of(int type) {
  switch (type) {
    case QT_Q8_0: return (kind_t){32, 1, 7, 0};
    case QT_Q4_0: return (kind_t){32, 1, 3, 0};
    case QT_Q5_0: return (kind_t){32, 1, 4, 0};
    case QT_Q6_K: return (kind_t){16, 0, 5, 0};
    default: return (kind_t){32, 0, -1, 1}; // Q4_K, Q5_K
  }
}

// Bytes of one sub-block in the panel: S/4 weight vectors, 16 scales, 16 mins (if any).
static long group_bytes(kind_t k) { return k.S * 16 + 64 + (k.mins ? 64 : 0); }

// Rows [p, p + nrow) of W, sub-blocks [g0, g0 + ng), into the panel P (rows beyond nrow: zeros).
static void pack_panel(int type, kind_t k, const uint8_t *W, long rowBytes, long p, int nrow, long g0, long ng, uint8_t *P,
                       uint8_t (*u)[KC]) {
  const long gb = group_bytes(k), len = ng * k.S, padded = (len + 63) & ~63L;
  for (int n = 0; n < PR; n++) {
    if (n >= nrow) {
      memset(u[n], 0, (size_t)padded);
      for (long g = 0; g < ng; g++) {
        put_lane(P, gb, g, 16 * k.S, n, 0.0f);
        if (k.mins) put_lane(P, gb, g, 16 * k.S + 64, n, 0.0f);
      }
      continue;
    }
    unpack_row(type, W + (p + n) * rowBytes, g0, ng, 0x80, PR, u[n], P, gb, n); // Q8_0 as q + 128, unsigned
    if (padded > len) memset(u[n] + len, 0, (size_t)(padded - len));
  }
  // 64 values of the 16 rows at a time: a 16×16 transpose of 32-bit words puts values 4c..4c+3
  // of every row in vector c
  const int per = k.S / 4; // weight vectors per sub-block
  for (long v = 0; v < padded; v += 64) {
    __m512 r[16];
    for (int n = 0; n < PR; n++) r[n] = _mm512_load_ps((const float *)(u[n] + v));
    transpose16_regs(r);
    for (int c = 0; c < 16 && v + 4 * c < len; c++) {
      const long w = v / 4 + c; // weight vector index over the chunk
      _mm512_store_ps((float *)(P + (w / per) * gb + (w % per) * 64), r[c]);
    }
  }
}

// ---- the micro-kernel: nr tokens from m0 against the panel's 16 rows, sub-blocks [g0, g0 + ng) ----

AI void micro(const uint8_t *P, long g0, long ng, const int S, const int per32, const int shift, const int mins, const act_t *a,
              long m0, const int nr, float *Y, long N, long n0, __mmask16 nm, int accumulate) {
  const long K = a->K, gb = S * 16 + 64 + (mins ? 64 : 0), gpr = K / S, spb = 256 / S;
  const __m128i sh = _mm_cvtsi32_si128(shift);
  __m512 acc[MR], blk[MR];
  for (int r = 0; r < nr; r++) {
    acc[r] = accumulate ? _mm512_maskz_loadu_ps(nm, Y + (m0 + r) * N + n0) : _mm512_setzero_ps();
    blk[r] = _mm512_setzero_ps();
  }
  for (long g = 0; g < ng; g++) {
    const uint8_t *pg = P + g * gb;
    const long gg = g0 + g;
    __m512i is[MR];
    for (int r = 0; r < nr; r++)
      is[r] = shift >= 0 ? _mm512_sll_epi32(_mm512_set1_epi32(a->gsum[(m0 + r) * gpr + gg]), sh) : _mm512_setzero_si512();
    for (int c = 0; c < S / 4; c++) {
      const __m512i w = _mm512_load_si512(pg + 64 * c);
      for (int r = 0; r < nr; r++) {
        int32_t q4;
        memcpy(&q4, a->q + (m0 + r) * K + gg * S + 4 * c, 4);
        is[r] = _mm512_dpbusd_epi32(is[r], w, _mm512_set1_epi32(q4));
      }
    }
    const __m512 s = _mm512_load_ps((const float *)(pg + 16 * S));
    if (per32) { // Q8_0 activations: a scale per sub-block
      for (int r = 0; r < nr; r++)
        acc[r] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(is[r]), _mm512_set1_ps(a->d[(m0 + r) * gpr + gg])), s, acc[r]);
      continue;
    }
    for (int r = 0; r < nr; r++) blk[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(is[r]), s, blk[r]);
    if (mins) {
      const __m512 o = _mm512_load_ps((const float *)(pg + 16 * S + 64));
      for (int r = 0; r < nr; r++) blk[r] = _mm512_fmadd_ps(o, _mm512_set1_ps(a->fsum32[(m0 + r) * (K / 32) + gg]), blk[r]);
    }
    if ((gg + 1) % spb == 0) { // the end of a 256 block: its activation scale
      for (int r = 0; r < nr; r++) {
        acc[r] = _mm512_fmadd_ps(blk[r], _mm512_set1_ps(a->d[(m0 + r) * (K / 256) + gg / spb]), acc[r]);
        blk[r] = _mm512_setzero_ps();
      }
    }
  }
  for (int r = 0; r < nr; r++) _mm512_mask_storeu_ps(Y + (m0 + r) * N + n0, nm, acc[r]);
}

// Every token against one packed panel, MR at a time, then 4, 2, 1 (nr a constant in each call).
#define TOKENS(S, PER32, MINS)                                                                            \
  do {                                                                                                   \
    long m = 0;                                                                                          \
    for (; m + MR <= M; m += MR) micro(P, g0, ng, S, PER32, k.shift, MINS, a, m, MR, Y, N, p, nm, acc);   \
    if (m + 4 <= M) { micro(P, g0, ng, S, PER32, k.shift, MINS, a, m, 4, Y, N, p, nm, acc); m += 4; }     \
    if (m + 2 <= M) { micro(P, g0, ng, S, PER32, k.shift, MINS, a, m, 2, Y, N, p, nm, acc); m += 2; }     \
    if (m < M) micro(P, g0, ng, S, PER32, k.shift, MINS, a, m, 1, Y, N, p, nm, acc);                      \
  } while (0)

void q_gemm_rows(int type, const uint8_t *W, long rowBytes, long N, const act_t *a, long M, long n0, long n1, float *Y) {
  _Alignas(64) uint8_t P[PANEL_BYTES];
  _Alignas(64) uint8_t u[PR][KC];
  const kind_t k = kind_of(type);
  const long K = a->K;
  for (long p = n0; p < n1; p += PR) {
    const int nrow = n1 - p < PR ? (int)(n1 - p) : PR;
    const __mmask16 nm = tail_mask(nrow);
    for (long k0 = 0; k0 < K; k0 += KC) {
      const long g0 = k0 / k.S, ng = (K - k0 < KC ? K - k0 : KC) / k.S;
      const int acc = k0 > 0;
      pack_panel(type, k, W, rowBytes, p, nrow, g0, ng, P, u);
      if (k.per32) TOKENS(32, 1, 0);
      else if (k.mins) TOKENS(32, 0, 1);
      else TOKENS(16, 0, 0);
    }
  }
}

#endif // PONDER_QUANT_AVX512
