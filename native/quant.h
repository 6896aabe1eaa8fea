// Quantised inference kernels (quant.c, quant_attn.c), the memory map (mmap.c) and the bandwidth
// triad (triad.c). Weight matrices are (N, K) rows of GGML blocks, used in place (e.g. straight
// from a memory-mapped GGUF file); activations are f32 rows, quantised on the fly.
#ifndef PONDER_QUANT_H
#define PONDER_QUANT_H
#include <stddef.h>
#include <stdint.h>

// GGML type ids (ggml.h).
enum { QT_F32 = 0, QT_F16 = 1, QT_Q4_0 = 2, QT_Q5_0 = 6, QT_Q8_0 = 8, QT_Q4_K = 12, QT_Q5_K = 13, QT_Q6_K = 14, QT_BF16 = 30 };

// Values per block and bytes per block of a type (0, 0 for an unsupported type).
int qt_block(int type, long *values, long *bytes);
// Bytes of one row of K values (-1: K is not a whole number of blocks, or the type is unknown).
long qt_row_bytes(int type, long K);

// Y (M, N) = X (M, K) · Wᵀ, W = N rows of K values stored as `type` (row stride qt_row_bytes).
// Returns 0, or -1 when scratch memory could not be had.
int q_matmul(int type, const uint8_t *W, long N, long K, const float *X, long M, float *Y);
// The same with fine activations for Q8_0 weights (fine = 1): each activation block is quantised
// as ggml does (q, d) plus its residual x - d·q in steps of d/128 (a second int8), ~15 bits in all;
// other types ignore fine. For the LM head: the logits see its input's rounding undiluted.
int q_matmul_fine(int type, const uint8_t *W, long N, long K, const float *X, long M, float *Y, int fine);
// One weight matrix of a multi-product: N rows of `type`, output Y (M, N).
typedef struct { int type; const uint8_t *W; long N; float *Y; } qmat_t;
// Several products of the same activations X (M, K) in one parallel region (q, k and v; gate and
// up): the activations are quantised once per format. Returns 0, -1 (no memory), -2 (too many).
int q_matmul_multi(int n, const qmat_t *mats, long K, const float *X, long M);
// Products of at least n tokens go through the panel GEMM (quant_gemm.c), fewer through the row
// kernels; returns the previous threshold (default 8).
long q_set_gemm_min_tokens(long n);
// out (n, K) = rows ids[i] of W, dequantised to f32 (embedding lookup on a quantised table).
void q_get_rows(int type, const uint8_t *W, long K, const int32_t *ids, long n, float *out);

// Flash-style causal attention of T queries against an f16 KV cache.
// q, out (T, Hq, D) f32; kc, vc (Tmax, Hkv, D) as f16 bits, positions [0, qOffset + T) filled;
// query t sits at position qOffset + t and sees keys 0..qOffset + t.
void q_attention_f16(const float *q, const uint16_t *kc, const uint16_t *vc, long T, long Hq, long Hkv, long D,
                     long qOffset, float scale, float *out);
// Writes k, v (T, Hkv, D) f32 into an f16 cache at positions [pos, pos + T).
void q_cache_write_f16(const float *k, const float *v, long T, long rowLen, long pos, uint16_t *kc, uint16_t *vc);

// Memory bandwidth: STREAM triad a = b + s·c over arrays of n doubles, best of reps, on nt threads.
double triad_gbs(long n, int nt, int reps);
// Read-only bandwidth: Σ b[i] over n doubles (what streaming weights does).
double read_gbs(long n, int nt, int reps);

#endif
