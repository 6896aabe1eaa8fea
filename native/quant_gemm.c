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
#include "kquant_scales.h"

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

AI float fp16(const uint8_t *p) {
  uint16_t h;
  memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

AI void put_lane(uint8_t *P, long gb, long g, long off, int n, float x) { ((float *)(P + g * gb + off))[n] = x; }

// ---- unpacking one weight row: sub-blocks [g0, g0 + ng) as unsigned bytes u, scales s, mins o ----
// (w = s·u + o per value, with o = -s·offset for the integer offsets)

static void unpack_q8_0(const uint8_t *row, long g0, long ng, uint8_t *u, uint8_t *P, long gb, int n) {
  for (long g = 0; g < ng; g++) {
    const uint8_t *x = row + (g0 + g) * 34;
    _mm256_store_si256((__m256i *)(u + 32 * g), _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(x + 2)), _mm256_set1_epi8((char)0x80)));
    put_lane(P, gb, g, 512, n, fp16(x));
  }
}

static void unpack_q4_0(const uint8_t *row, long g0, long ng, int five, uint8_t *u, uint8_t *P, long gb, int n) {
  const long bsz = five ? 22 : 18;
  for (long g = 0; g < ng; g++) {
    const uint8_t *x = row + (g0 + g) * bsz;
    __m128i q = _mm_loadu_si128((const __m128i *)(x + (five ? 6 : 2)));
    __m256i v = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0F)); // values 0..15, 16..31
    if (five) { // bit j of the block's 32-bit mask is value j's fifth bit
      uint32_t qh;
      memcpy(&qh, x + 2, 4);
      v = _mm256_mask_add_epi8(v, (__mmask32)qh, v, _mm256_set1_epi8(16));
    }
    _mm256_store_si256((__m256i *)(u + 32 * g), v);
    put_lane(P, gb, g, 512, n, fp16(x));
  }
}


// Q4_K/Q5_K: sub-block j of a 256 block is the low (j even) or high nibbles of bytes 32·(j/2)..+31,
// plus (Q5_K) bit j of the 32 qh bytes; w = d·sc_j·u - dmin·m_j. g0 and ng are whole blocks.
static void unpack_k4(const uint8_t *row, long g0, long ng, int five, uint8_t *u, uint8_t *P, long gb, int n) {
  const long bsz = five ? 176 : 144;
  const __m256i lo4 = _mm256_set1_epi8(0x0F), sixteen = _mm256_set1_epi8(16);
  for (long b = 0; b < ng / 8; b++) {
    const uint8_t *x = row + (g0 / 8 + b) * bsz, *qs = x + (five ? 48 : 16);
    const float d = fp16(x), dmin = fp16(x + 2);
    uint32_t sm32[4];
    unpack_scales_k4(x + 4, sm32);
    const uint8_t *sm = (const uint8_t *)sm32;
    const __m256i hb = _mm256_loadu_si256((const __m256i *)(x + 16));
    for (int p = 0; p < 4; p++) {
      __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * p));
      __m256i lo = _mm256_and_si256(q, lo4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), lo4);
      if (five) {
        lo = _mm256_mask_add_epi8(lo, _mm256_test_epi8_mask(hb, _mm256_set1_epi8((char)(1 << (2 * p)))), lo, sixteen);
        hi = _mm256_mask_add_epi8(hi, _mm256_test_epi8_mask(hb, _mm256_set1_epi8((char)(2 << (2 * p)))), hi, sixteen);
      }
      _mm256_store_si256((__m256i *)(u + 256 * b + 64 * p), lo);
      _mm256_store_si256((__m256i *)(u + 256 * b + 64 * p + 32), hi);
    }
    for (int j = 0; j < 8; j++) {
      put_lane(P, gb, 8 * b + j, 512, n, d * (float)sm[j]);
      put_lane(P, gb, 8 * b + j, 576, n, -dmin * (float)sm[8 + j]);
    }
  }
}

// Q6_K: values 128h + 32k + l (l < 32) are the low (k = 0, 1) or high (k = 2, 3) nibbles of
// ql[64h + 32·(k & 1) + l] with bits 2k..2k+1 of qh[32h + l] above; sub-block j (16 values) has
// the int8 scale sc_j: w = d·sc_j·(u - 32). g0 and ng are whole blocks.
static void unpack_q6_k(const uint8_t *row, long g0, long ng, uint8_t *u, uint8_t *P, long gb, int n) {
  const __m256i lo4 = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3);
  for (long b = 0; b < ng / 16; b++) {
    const uint8_t *x = row + (g0 / 16 + b) * 210;
    const float d = fp16(x + 208);
    for (int h = 0; h < 2; h++) {
      __m256i ql0 = _mm256_loadu_si256((const __m256i *)(x + 64 * h)), ql1 = _mm256_loadu_si256((const __m256i *)(x + 64 * h + 32));
      __m256i qh = _mm256_loadu_si256((const __m256i *)(x + 128 + 32 * h));
      __m256i v[4] = {
        _mm256_and_si256(ql0, lo4), _mm256_and_si256(ql1, lo4),
        _mm256_and_si256(_mm256_srli_epi16(ql0, 4), lo4), _mm256_and_si256(_mm256_srli_epi16(ql1, 4), lo4),
      };
      for (int k = 0; k < 4; k++) {
        __m256i hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), three), 4);
        _mm256_store_si256((__m256i *)(u + 256 * b + 128 * h + 32 * k), _mm256_or_si256(v[k], hi));
      }
    }
    for (int j = 0; j < 16; j++) put_lane(P, gb, 16 * b + j, 256, n, d * (float)(int8_t)x[192 + j]);
  }
}

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
    const uint8_t *row = W + (p + n) * rowBytes;
    switch (type) {
      case QT_Q8_0: unpack_q8_0(row, g0, ng, u[n], P, gb, n); break;
      case QT_Q4_0: unpack_q4_0(row, g0, ng, 0, u[n], P, gb, n); break;
      case QT_Q5_0: unpack_q4_0(row, g0, ng, 1, u[n], P, gb, n); break;
      case QT_Q4_K: unpack_k4(row, g0, ng, 0, u[n], P, gb, n); break;
      case QT_Q5_K: unpack_k4(row, g0, ng, 1, u[n], P, gb, n); break;
      case QT_Q6_K: unpack_q6_k(row, g0, ng, u[n], P, gb, n); break;
      default: break;
    }
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
