// The 6-bit scales and mins of a Q4_K/Q5_K block, shared by the row kernels (quant.c) and the
// panel kernels (quant_gemm.c). Internal to the quant*.c files.
#ifndef PONDER_KQUANT_SCALES_H
#define PONDER_KQUANT_SCALES_H
#include <stdint.h>
#include <string.h>

// 12 bytes as 8 scales then 8 mins, one byte each (ggml's bit shuffle); as bytes, u[0..1] are the
// scales and u[2..3] the mins.
static inline __attribute__((always_inline)) void unpack_scales_k4(const uint8_t *s12, uint32_t u[4]) {
  const uint32_t m1 = 0x3f3f3f3f, m2 = 0x0f0f0f0f, m3 = 0x03030303;
  memcpy(u, s12, 12);
  u[3] = ((u[2] >> 4) & m2) | (((u[1] >> 6) & m3) << 4);
  const uint32_t t = u[1] & m1;
  u[1] = (u[2] & m2) | (((u[0] >> 6) & m3) << 4);
  u[2] = t;
  u[0] &= m1;
}

#endif
