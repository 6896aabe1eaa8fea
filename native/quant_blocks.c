// Block sizes and dequantisation of GGML block types, bit-exact with ggml's reference C (and
// src/quant/blocks.ts), and the one-matrix product entry points: plain C, built on every CPU; the
// products themselves live in quant.c (AVX-512) and quant_portable.c (any other CPU).
#include <string.h>
#include "quant.h"
#include "quant_act.h"
#include "kquant_scales.h"

int qt_block(int type, long *values, long *bytes) {
  long v = 0, b = 0;
  switch (type) {
    case QT_F32: v = 1; b = 4; break;
    case QT_F16: case QT_BF16: v = 1; b = 2; break;
    case QT_Q4_0: v = 32; b = 18; break;
    case QT_Q5_0: v = 32; b = 22; break;
    case QT_Q8_0: v = 32; b = 34; break;
    case QT_Q4_K: v = 256; b = 144; break;
    case QT_Q5_K: v = 256; b = 176; break;
    case QT_Q6_K: v = 256; b = 210; break;
    default: break;
  }
  if (values) *values = v;
  if (bytes) *bytes = b;
  return v > 0;
}

long qt_row_bytes(int type, long K) {
  long v, b;
  if (!qt_block(type, &v, &b) || K % v != 0) return -1;
  return K / v * b;
}

// One row of K values of `type`, dequantised to f32 (embedding rows; quant_portable.c's products).
// Contraction off: each value is ggml's d·q - m rounded twice, as its reference C (and TypeScript) computes it.
__attribute__((optimize("fp-contract=off"))) void q_dequant_row(int type, const uint8_t *w, long K, float *y) {
  switch (type) {
    case QT_F32: memcpy(y, w, K * sizeof(float)); return;
    case QT_F16: for (long i = 0; i < K; i++) { y[i] = half_at(w + 2 * i); } return;
    case QT_BF16:
      for (long i = 0; i < K; i++) {
        uint32_t u = (uint32_t)(w[2 * i] | (w[2 * i + 1] << 8)) << 16;
        memcpy(y + i, &u, 4);
      }
      return;
    case QT_Q8_0:
      for (long b = 0; b < K / 32; b++) {
        const uint8_t *x = w + b * 34;
        float d = half_at(x);
        for (int i = 0; i < 32; i++) y[b * 32 + i] = d * (float)(int8_t)x[2 + i];
      }
      return;
    case QT_Q4_0:
      for (long b = 0; b < K / 32; b++) {
        const uint8_t *x = w + b * 18;
        float d = half_at(x);
        for (int i = 0; i < 16; i++) {
          y[b * 32 + i] = (float)((x[2 + i] & 15) - 8) * d;
          y[b * 32 + 16 + i] = (float)((x[2 + i] >> 4) - 8) * d;
        }
      }
      return;
    case QT_Q5_0:
      for (long b = 0; b < K / 32; b++) {
        const uint8_t *x = w + b * 22;
        const float d = half_at(x);
        uint32_t qh;
        memcpy(&qh, x + 2, 4);
        for (int j = 0; j < 16; j++) {
          const int x0 = (int)((x[6 + j] & 0x0F) | (((qh >> j) << 4) & 0x10)) - 16;
          const int x1 = (int)((x[6 + j] >> 4) | ((qh >> (j + 12)) & 0x10)) - 16;
          y[b * 32 + j] = (float)x0 * d;
          y[b * 32 + j + 16] = (float)x1 * d;
        }
      }
      return;
    case QT_Q4_K: case QT_Q5_K: {
      const int five = type == QT_Q5_K;
      const long bsz = five ? 176 : 144;
      for (long b = 0; b < K / 256; b++) {
        const uint8_t *x = w + b * bsz, *qh = x + 16, *ql = x + (five ? 48 : 16);
        float d = half_at(x), dmin = half_at(x + 2);
        uint32_t u[4];
        unpack_scales_k4(x + 4, u);
        const uint8_t *sc = (const uint8_t *)u, *mn = sc + 8;
        float *yb = y + b * 256;
        for (int j = 0; j < 4; j++) {
          const float d1 = d * sc[2 * j], m1 = dmin * mn[2 * j], d2 = d * sc[2 * j + 1], m2 = dmin * mn[2 * j + 1];
          for (int l = 0; l < 32; l++) {
            int h1 = five && (qh[l] >> (2 * j) & 1) ? 16 : 0, h2 = five && (qh[l] >> (2 * j + 1) & 1) ? 16 : 0;
            yb[64 * j + l] = d1 * (float)((ql[32 * j + l] & 15) + h1) - m1;
            yb[64 * j + 32 + l] = d2 * (float)((ql[32 * j + l] >> 4) + h2) - m2;
          }
        }
      }
      return;
    }
    case QT_Q6_K:
      for (long b = 0; b < K / 256; b++) {
        const uint8_t *x = w + b * 210;
        const float d = half_at(x + 208);
        const int8_t *sc = (const int8_t *)(x + 192);
        float *yb = y + b * 256;
        for (int n = 0; n < 2; n++) {
          const uint8_t *ql = x + 64 * n, *qh = x + 128 + 32 * n;
          for (int l = 0; l < 32; l++) {
            int is = l / 16;
            int q1 = (int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            yb[128 * n + l] = d * (float)sc[8 * n + is] * (float)q1;
            yb[128 * n + l + 32] = d * (float)sc[8 * n + is + 2] * (float)q2;
            yb[128 * n + l + 64] = d * (float)sc[8 * n + is + 4] * (float)q3;
            yb[128 * n + l + 96] = d * (float)sc[8 * n + is + 6] * (float)q4;
          }
        }
      }
      return;
    default: return;
  }
}

void q_get_rows(int type, const uint8_t *W, long K, const int32_t *ids, long n, float *out) {
  const long rowBytes = qt_row_bytes(type, K);
  for (long i = 0; i < n; i++) q_dequant_row(type, W + ids[i] * rowBytes, K, out + i * K);
}

int q_matmul(int type, const uint8_t *W, long N, long K, const float *X, long M, float *Y) {
  qmat_t one = {type, W, N, Y};
  return q_matmul_multi(1, &one, K, X, M);
}

int q_matmul_fine(int type, const uint8_t *W, long N, long K, const float *X, long M, float *Y, int fine) {
  qmat_t one = {fine && type == QT_Q8_0 ? QT_Q8_0_FINE : type, W, N, Y};
  return q_matmul_multi(1, &one, K, X, M);
}
