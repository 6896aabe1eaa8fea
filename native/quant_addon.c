// Node-API glue for the quantised inference kernels (quant.c, quant_attn.c), the file mapping
// (mmap.c) and the bandwidth benchmark (triad.c). Sizes are checked against the buffers, so a bad
// call throws a JS error naming the function and the argument instead of reading out of bounds.
#include <node_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "quant.h"
#include "quant_avx2.h"
#include "mmap.h"

typedef struct {
  napi_env env;
  napi_value argv[12];
  size_t argc;
  const char *fn;
  int err;
} qctx;

static void qfail(qctx *c, const char *fmt, ...) {
  if (c->err) return;
  char msg[600], detail[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  snprintf(msg, sizeof msg, "ponder_native.%s: %s", c->fn, detail);
  napi_throw_error(c->env, "ERR_PONDER_NATIVE", msg);
  c->err = 1;
}

static int qbegin(qctx *c, napi_env env, napi_callback_info info, const char *fn, size_t want) {
  c->env = env; c->fn = fn; c->err = 0; c->argc = 12;
  if (napi_get_cb_info(env, info, &c->argc, c->argv, NULL, NULL) != napi_ok) { qfail(c, "cannot read arguments"); return 0; }
  if (c->argc < want) { qfail(c, "expected %zu arguments, got %zu", want, c->argc); return 0; }
  return 1;
}

static long qsize(qctx *c, int i, const char *name) {
  double x = 0;
  napi_valuetype t;
  if (c->err) return 0;
  napi_typeof(c->env, c->argv[i], &t);
  if (t != napi_number) { qfail(c, "%s must be a number", name); return 0; }
  napi_get_value_double(c->env, c->argv[i], &x);
  if (!(x >= 0 && x < 1099511627776.0) || x != (double)(long)x) { qfail(c, "%s must be a non-negative integer, got %g", name, x); return 0; }
  return (long)x;
}

static double qnum(qctx *c, int i, const char *name) {
  double x = 0;
  napi_valuetype t;
  if (c->err) return 0;
  napi_typeof(c->env, c->argv[i], &t);
  if (t != napi_number) { qfail(c, "%s must be a number", name); return 0; }
  napi_get_value_double(c->env, c->argv[i], &x);
  return x;
}

static const char *type_name(napi_typedarray_type t) {
  switch (t) {
    case napi_float32_array: return "Float32Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint8_array: return "Uint8Array";
    default: return "typed array";
  }
}

// A typed array of type `want` (any type when want < 0, measured in bytes) with at least `need` elements.
static void *qtyped(qctx *c, int i, const char *name, int want, double need) {
  bool is = false;
  napi_typedarray_type type;
  size_t len = 0, off = 0;
  void *data = NULL;
  napi_value ab;
  if (c->err) return NULL;
  napi_is_typedarray(c->env, c->argv[i], &is);
  if (is) napi_get_typedarray_info(c->env, c->argv[i], &type, &len, &data, &ab, &off);
  if (!is || (want >= 0 && type != (napi_typedarray_type)want)) {
    qfail(c, "%s must be a %s", name, want >= 0 ? type_name((napi_typedarray_type)want) : "typed array");
    return NULL;
  }
  if (want < 0) {
    static const int width[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8};
    len *= (size_t)type < sizeof width / sizeof width[0] ? width[type] : 1;
  }
  if ((double)len < need) { qfail(c, "%s is too short: needs %.0f %s, has %zu", name, need, want < 0 ? "bytes" : "elements", len); return NULL; }
  static float empty[1];
  return data ? data : (void *)empty;
}

static napi_value qundef(napi_env env) { napi_value u; napi_get_undefined(env, &u); return u; }
static napi_value qnumber(napi_env env, double x) { napi_value v; napi_create_double(env, x, &v); return v; }

// quantMatmul(type, W, N, K, X, M, Y[, fine]): Y (M, N) = X (M, K) · Wᵀ, W being N rows of `type`
// blocks; fine: Q8_0 weights see ~15-bit activations (q_matmul_fine).
static napi_value js_quant_matmul(napi_env env, napi_callback_info info) {
  qctx c;
  if (!qbegin(&c, env, info, "quantMatmul", 7)) return NULL;
  bool fine = false;
  if (c.argc > 7) {
    napi_valuetype t;
    napi_typeof(env, c.argv[7], &t);
    if (t == napi_boolean) napi_get_value_bool(env, c.argv[7], &fine);
    else if (t != napi_undefined) { qfail(&c, "fine must be a boolean"); return NULL; }
  }
  long type = qsize(&c, 0, "type"), N = qsize(&c, 2, "N"), K = qsize(&c, 3, "K"), M = qsize(&c, 5, "M");
  if (c.err) return NULL;
  long rb = qt_row_bytes((int)type, K);
  if (rb < 0) { qfail(&c, "K = %ld is not a whole number of blocks of type %ld (or the type is not supported)", K, type); return NULL; }
  const uint8_t *W = qtyped(&c, 1, "W", -1, (double)N * rb);
  const float *X = qtyped(&c, 4, "X", napi_float32_array, (double)M * K);
  float *Y = qtyped(&c, 6, "Y", napi_float32_array, (double)M * N);
  if (c.err) return NULL;
  if (q_matmul_fine((int)type, W, N, K, X, M, Y, fine) != 0) { qfail(&c, "out of memory for the activation scratch"); return NULL; }
  return qundef(env);
}

// quantMatmulMulti(X, M, K, mats): for each [type, W, N, Y] of the array mats, Y (M, N) = X · Wᵀ,
// all in one parallel region (the activations are quantised once per format).
static napi_value js_quant_matmul_multi(napi_env env, napi_callback_info info) {
  qctx c;
  if (!qbegin(&c, env, info, "quantMatmulMulti", 4)) return NULL;
  long M = qsize(&c, 1, "M"), K = qsize(&c, 2, "K");
  if (c.err) return NULL;
  const float *X = qtyped(&c, 0, "X", napi_float32_array, (double)M * K);
  if (c.err) return NULL;
  bool isArr = false;
  uint32_t n = 0;
  napi_is_array(env, c.argv[3], &isArr);
  if (isArr) napi_get_array_length(env, c.argv[3], &n);
  if (!isArr || n < 1 || n > 16) { qfail(&c, "mats must be an array of 1 to 16 [type, W, N, Y] entries"); return NULL; }
  qmat_t mats[16];
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    uint32_t len = 0;
    bool ea = false;
    napi_get_element(env, c.argv[3], i, &e);
    napi_is_array(env, e, &ea);
    if (ea) napi_get_array_length(env, e, &len);
    if (!ea || len != 4) { qfail(&c, "mats[%u] must be [type, W, N, Y]", i); return NULL; }
    qctx sub = {.env = env, .fn = "quantMatmulMulti", .err = 0, .argc = 4};
    for (uint32_t j = 0; j < 4; j++) napi_get_element(env, e, j, &sub.argv[j]);
    long type = qsize(&sub, 0, "type"), N = qsize(&sub, 2, "N");
    if (sub.err) return NULL;
    long rb = qt_row_bytes((int)type, K);
    if (rb < 0) { qfail(&sub, "mats[%u]: K = %ld is not a whole number of blocks of type %ld (or the type is not supported)", i, K, type); return NULL; }
    const uint8_t *W = qtyped(&sub, 1, "W", -1, (double)N * rb);
    float *Y = qtyped(&sub, 3, "Y", napi_float32_array, (double)M * N);
    if (sub.err) return NULL;
    mats[i] = (qmat_t){(int)type, W, N, Y};
  }
  int r = q_matmul_multi((int)n, mats, K, X, M);
  if (r == -1) { qfail(&c, "out of memory for the activation scratch"); return NULL; }
  if (r == -2) { qfail(&c, "too many row chunks"); return NULL; }
  return qundef(env);
}

// quantGetRows(type, W, K, ids, n, out): out (n, K) = dequantised rows ids of W.
static napi_value js_quant_get_rows(napi_env env, napi_callback_info info) {
  qctx c;
  if (!qbegin(&c, env, info, "quantGetRows", 6)) return NULL;
  long type = qsize(&c, 0, "type"), K = qsize(&c, 2, "K"), n = qsize(&c, 4, "n");
  if (c.err) return NULL;
  long rb = qt_row_bytes((int)type, K);
  if (rb < 0) { qfail(&c, "K = %ld is not a whole number of blocks of type %ld (or the type is not supported)", K, type); return NULL; }
  size_t wlen = 0;
  const uint8_t *W = qtyped(&c, 1, "W", -1, 0);
  const int32_t *ids = qtyped(&c, 3, "ids", napi_int32_array, (double)n);
  float *out = qtyped(&c, 5, "out", napi_float32_array, (double)n * K);
  if (c.err) return NULL;
  { // rows available in W
    napi_typedarray_type t; size_t len; void *d; napi_value ab; size_t off;
    napi_get_typedarray_info(env, c.argv[1], &t, &len, &d, &ab, &off);
    static const int width[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8};
    wlen = len * ((size_t)t < 11 ? width[t] : 1);
  }
  long rows = (long)(wlen / (size_t)rb);
  for (long i = 0; i < n; i++)
    if (ids[i] < 0 || ids[i] >= rows) { qfail(&c, "ids[%ld] = %d is outside [0, %ld)", i, ids[i], rows); return NULL; }
  q_get_rows((int)type, W, K, ids, n, out);
  return qundef(env);
}

// attentionF16(q, kc, vc, T, Hq, Hkv, D, qOffset, scale, out)
static napi_value js_attention_f16(napi_env env, napi_callback_info info) {
  qctx c;
  if (!qbegin(&c, env, info, "attentionF16", 10)) return NULL;
  long T = qsize(&c, 3, "T"), Hq = qsize(&c, 4, "Hq"), Hkv = qsize(&c, 5, "Hkv"), D = qsize(&c, 6, "D");
  long qOffset = qsize(&c, 7, "qOffset");
  double scale = qnum(&c, 8, "scale");
  if (c.err) return NULL;
  if (Hkv == 0 || Hq % Hkv != 0 || D == 0 || D > 512 || Hq / Hkv > 64) { qfail(&c, "need Hq a multiple of Hkv, 0 < D <= 512, Hq/Hkv <= 64"); return NULL; }
  const float *q = qtyped(&c, 0, "q", napi_float32_array, (double)T * Hq * D);
  const uint16_t *kc = qtyped(&c, 1, "kc", napi_uint16_array, (double)(qOffset + T) * Hkv * D);
  const uint16_t *vc = qtyped(&c, 2, "vc", napi_uint16_array, (double)(qOffset + T) * Hkv * D);
  float *out = qtyped(&c, 9, "out", napi_float32_array, (double)T * Hq * D);
  if (c.err) return NULL;
  q_attention_f16(q, kc, vc, T, Hq, Hkv, D, qOffset, (float)scale, out);
  return qundef(env);
}

// cacheWriteF16(k, v, T, rowLen, pos, kc, vc)
static napi_value js_cache_write_f16(napi_env env, napi_callback_info info) {
  qctx c;
  if (!qbegin(&c, env, info, "cacheWriteF16", 7)) return NULL;
  long T = qsize(&c, 2, "T"), row = qsize(&c, 3, "rowLen"), pos = qsize(&c, 4, "pos");
  if (c.err) return NULL;
  const float *k = qtyped(&c, 0, "k", napi_float32_array, (double)T * row);
  const float *v = qtyped(&c, 1, "v", napi_float32_array, (double)T * row);
  uint16_t *kc = qtyped(&c, 5, "kc", napi_uint16_array, (double)(pos + T) * row);
  uint16_t *vc = qtyped(&c, 6, "vc", napi_uint16_array, (double)(pos + T) * row);
  if (c.err) return NULL;
  q_cache_write_f16(k, v, T, row, pos, kc, vc);
  return qundef(env);
}

static void unmap_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  unmap_file(data, (size_t)hint);
}

// mmapFile(path): the whole file as an external ArrayBuffer (private copy-on-write mapping),
// unmapped when the buffer is collected.
static napi_value js_mmap_file(napi_env env, napi_callback_info info) {
  qctx c;
  if (!qbegin(&c, env, info, "mmapFile", 1)) return NULL;
  char path[4096];
  size_t plen = 0;
  napi_valuetype t;
  napi_typeof(env, c.argv[0], &t);
  if (t != napi_string) { qfail(&c, "path must be a string"); return NULL; }
  napi_get_value_string_utf8(env, c.argv[0], path, sizeof path, &plen);
  if (plen >= sizeof path - 1) { qfail(&c, "path is too long"); return NULL; }
  char err[512];
  size_t len = 0;
  void *p = map_file(path, &len, err, sizeof err);
  if (!p) { qfail(&c, "%s", err); return NULL; }
  napi_value ab;
  if (napi_create_external_arraybuffer(env, p, len, unmap_finalize, (void *)len, &ab) != napi_ok) {
    unmap_file(p, len);
    qfail(&c, "%s: cannot wrap the mapping in an ArrayBuffer", path);
    return NULL;
  }
  return ab;
}

// memoryBandwidth(mode, nDoubles, threads, reps): GB/s of the triad (mode 0) or a read-only sum (1).
static napi_value js_bandwidth(napi_env env, napi_callback_info info) {
  qctx c;
  if (!qbegin(&c, env, info, "memoryBandwidth", 4)) return NULL;
  long mode = qsize(&c, 0, "mode"), n = qsize(&c, 1, "nDoubles"), nt = qsize(&c, 2, "threads"), reps = qsize(&c, 3, "reps");
  if (c.err) return NULL;
  if (mode > 1 || n < 1024 || nt < 1 || nt > 64 || reps < 1) { qfail(&c, "need mode 0|1, nDoubles >= 1024, 1 <= threads <= 64, reps >= 1"); return NULL; }
  double g = mode == 0 ? triad_gbs(n, (int)nt, (int)reps) : read_gbs(n, (int)nt, (int)reps);
  if (g < 0) { qfail(&c, "cannot allocate 3 arrays of %ld doubles", n); return NULL; }
  return qnumber(env, g);
}

// quantGemmMinTokens(n): the panel GEMM serves products of n or more tokens (default 8; a huge n
// keeps every product on the row kernels, to compare the two). Returns the previous value.
static napi_value js_gemm_min_tokens(napi_env env, napi_callback_info info) {
  qctx c;
  if (!qbegin(&c, env, info, "quantGemmMinTokens", 1)) return NULL;
  long n = qsize(&c, 0, "n");
  if (c.err) return NULL;
  if (n < 2) { qfail(&c, "n must be at least 2 (one token is the decode kernel's)"); return NULL; }
  return qnumber(env, (double)q_set_gemm_min_tokens(n));
}

void register_quant(napi_env env, napi_value exports) {
  napi_property_descriptor p[] = {
#define FN(name, f) {name, NULL, f, NULL, NULL, NULL, napi_enumerable, NULL}
      FN("quantMatmul", js_quant_matmul),
      FN("quantMatmulMulti", js_quant_matmul_multi),
      FN("quantGetRows", js_quant_get_rows),
      FN("attentionF16", js_attention_f16),
      FN("cacheWriteF16", js_cache_write_f16),
      FN("mmapFile", js_mmap_file),
      FN("memoryBandwidth", js_bandwidth),
      FN("quantGemmMinTokens", js_gemm_min_tokens),
#undef FN
  };
  napi_define_properties(env, exports, sizeof p / sizeof p[0], p);
  // Which kernels this build runs quantised models on (`ponder info` says it: an AVX2 laptop is
  // told it runs the AVX2 kernels, not the AVX-512 ones the numbers in the README come from).
  napi_value kernels;
  const char *name = PONDER_QUANT_AVX512 ? "AVX-512 (VNNI int8, BF16 dot products)"
                     : PONDER_QUANT_AVX2 ? "AVX2 (vpmaddubsw int8, widened BF16 and F16)"
                                         : "portable C (rows dequantised to f32)";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &kernels);
  napi_set_named_property(env, exports, "quantKernels", kernels);
}
