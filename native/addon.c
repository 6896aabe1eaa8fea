// Node-API registration: unpacks and validates each kernel's arguments, then calls the C kernel.
// Typed arrays are used zero-copy (napi_get_typedarray_info points at the subarray's first
// element). Every size is checked against the buffers so a bad call throws a JS error naming the
// kernel and the argument instead of reading or writing out of bounds.
#include <node_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "common.h"

typedef struct {
  napi_env env;
  napi_value argv[20];
  size_t argc;
  const char *kernel;
  int err;
} ctx_t;

static void fail(ctx_t *c, const char *fmt, ...) {
  if (c->err) return;
  char msg[320], detail[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  snprintf(msg, sizeof msg, "ponder_native.%s: %s", c->kernel, detail);
  napi_throw_error(c->env, "ERR_PONDER_NATIVE", msg);
  c->err = 1;
}

static int begin(ctx_t *c, napi_env env, napi_callback_info info, const char *kernel, size_t want) {
  c->env = env;
  c->kernel = kernel;
  c->err = 0;
  c->argc = 20;
  if (napi_get_cb_info(env, info, &c->argc, c->argv, NULL, NULL) != napi_ok) {
    fail(c, "cannot read arguments");
    return 0;
  }
  if (c->argc < want) {
    fail(c, "expected %zu arguments, got %zu", want, c->argc);
    return 0;
  }
  return 1;
}

static double num(ctx_t *c, int i, const char *name) {
  double x = 0;
  napi_valuetype t;
  if (c->err) return 0;
  napi_typeof(c->env, c->argv[i], &t);
  if (t != napi_number) { fail(c, "%s must be a number", name); return 0; }
  napi_get_value_double(c->env, c->argv[i], &x);
  return x;
}

// A size or index: a non-negative integer below 2^40.
static long size(ctx_t *c, int i, const char *name) {
  double x = num(c, i, name);
  if (c->err) return 0;
  if (!(x >= 0 && x < 1099511627776.0) || x != (double)(long)x) {
    fail(c, "%s must be a non-negative integer, got %g", name, x);
    return 0;
  }
  return (long)x;
}

static int flag(ctx_t *c, int i, const char *name) {
  bool b = false;
  napi_valuetype t;
  if (c->err) return 0;
  napi_typeof(c->env, c->argv[i], &t);
  if (t != napi_boolean) { fail(c, "%s must be a boolean", name); return 0; }
  napi_get_value_bool(c->env, c->argv[i], &b);
  return b;
}

// A typed array of the given type holding at least `need` elements.
static void *typed(ctx_t *c, int i, const char *name, napi_typedarray_type want, double need, int nullable) {
  bool is = false;
  napi_typedarray_type type;
  size_t len = 0;
  void *data = NULL;
  if (c->err) return NULL;
  if (nullable) {
    napi_valuetype t;
    napi_typeof(c->env, c->argv[i], &t);
    if (t == napi_null || t == napi_undefined) return NULL;
  }
  napi_is_typedarray(c->env, c->argv[i], &is);
  if (is) napi_get_typedarray_info(c->env, c->argv[i], &type, &len, &data, NULL, NULL);
  if (!is || type != want) {
    fail(c, "%s must be a %s", name,
         want == napi_float32_array ? "Float32Array" : want == napi_float64_array ? "Float64Array" : "Int32Array");
    return NULL;
  }
  if ((double)len < need) {
    fail(c, "%s is too short: needs %.0f elements, has %zu", name, need, len);
    return NULL;
  }
  static float empty[1];
  return data ? data : (void *)empty; // a zero-length array may have no data pointer
}

#define F32(i, name, need) ((float *)typed(&c, i, name, napi_float32_array, (double)(need), 0))
#define F64(i, name, need) ((double *)typed(&c, i, name, napi_float64_array, (double)(need), 0))
#define I32(i, name, need) ((int32_t *)typed(&c, i, name, napi_int32_array, (double)(need), 0))
#define BEGIN(kernel, n)                                   \
  ctx_t c;                                                 \
  if (!begin(&c, env, info, kernel, n)) return NULL;
#define CHECK(cond, msg)                      \
  do {                                        \
    if (!c.err && !(cond)) fail(&c, "%s", msg); \
  } while (0)
#define DONE() if (c.err) return NULL

static napi_value undef(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static napi_value number(napi_env env, double x) {
  napi_value r;
  napi_create_double(env, x, &r);
  return r;
}

// Where a batch of `count` items of `each` elements at stride `stride` ends.
static double extent(long count, long stride, double each) {
  return count == 0 || each == 0 ? 0 : (double)(count - 1) * (double)stride + each;
}

static napi_value js_gemm(napi_env env, napi_callback_info info) {
  BEGIN("gemm", 13);
  long batch = size(&c, 0, "batch"), M = size(&c, 1, "M"), N = size(&c, 2, "N"), K = size(&c, 3, "K");
  long sA = size(&c, 5, "strideA"), sB = size(&c, 8, "strideB"), sC = size(&c, 11, "strideC");
  int tA = flag(&c, 6, "transA"), tB = flag(&c, 9, "transB"), acc = flag(&c, 12, "accumulate");
  const float *A = F32(4, "A", extent(batch, sA, (double)M * K));
  const float *B = F32(7, "B", extent(batch, sB, (double)K * N));
  float *C = F32(10, "C", extent(batch, sC, (double)M * N));
  DONE();
  k_gemm(batch, M, N, K, A, sA, tA, B, sB, tB, C, sC, acc);
  return undef(env);
}

static int op_index(ctx_t *c, int i, const char *const *names, int count) {
  char s[16];
  size_t len = 0;
  napi_valuetype t;
  if (c->err) return 0;
  napi_typeof(c->env, c->argv[i], &t);
  if (t == napi_string && napi_get_value_string_utf8(c->env, c->argv[i], s, sizeof s, &len) == napi_ok)
    for (int k = 0; k < count; k++)
      if (strcmp(s, names[k]) == 0) return k;
  fail(c, "op is not a known operation");
  return 0;
}

static napi_value js_binary(napi_env env, napi_callback_info info) {
  static const char *const ops[] = {"add", "sub", "mul", "div", "min", "max"};
  BEGIN("binary", 6);
  int op = op_index(&c, 0, ops, 6);
  long na = size(&c, 2, "na"), nb = size(&c, 4, "nb");
  CHECK(na == 0 || (nb > 0 && na % nb == 0), "na must be a multiple of nb (nb > 0)");
  const float *a = F32(1, "a", na), *b = F32(3, "b", nb);
  float *out = F32(5, "out", na);
  DONE();
  if (na) k_binary(op, a, na, b, nb, out);
  return undef(env);
}

static napi_value js_unary(napi_env env, napi_callback_info info) {
  static const char *const ops[] = {"exp", "log", "silu", "neg", "sqrt", "abs"};
  BEGIN("unary", 4);
  int op = op_index(&c, 0, ops, 6);
  long n = size(&c, 2, "n");
  const float *a = F32(1, "a", n);
  float *out = F32(3, "out", n);
  DONE();
  k_unary(op, a, n, out);
  return undef(env);
}

static napi_value js_affine(napi_env env, napi_callback_info info) {
  BEGIN("affine", 5);
  long n = size(&c, 1, "n");
  double s = num(&c, 2, "s"), t = num(&c, 3, "t");
  const float *a = F32(0, "a", n);
  float *out = F32(4, "out", n);
  DONE();
  k_affine(a, n, (float)s, (float)t, out);
  return undef(env);
}

static napi_value js_clamp(napi_env env, napi_callback_info info) {
  BEGIN("clamp", 5);
  long n = size(&c, 1, "n");
  double lo = num(&c, 2, "lo"), hi = num(&c, 3, "hi");
  const float *a = F32(0, "a", n);
  float *out = F32(4, "out", n);
  DONE();
  k_clamp(a, n, (float)lo, (float)hi, out);
  return undef(env);
}

static napi_value js_where(napi_env env, napi_callback_info info) {
  BEGIN("where", 5);
  long n = size(&c, 3, "n");
  const float *cond = F32(0, "cond", n), *a = F32(1, "a", n), *b = F32(2, "b", n);
  float *out = F32(4, "out", n);
  DONE();
  k_where(cond, a, b, n, out);
  return undef(env);
}

static napi_value js_sum_axis(napi_env env, napi_callback_info info) {
  BEGIN("sumAxis", 6);
  long outer = size(&c, 1, "outer"), axis = size(&c, 2, "axis"), inner = size(&c, 3, "inner");
  int acc = flag(&c, 5, "accumulate");
  const float *a = F32(0, "a", (double)outer * axis * inner);
  float *out = F32(4, "out", (double)outer * inner);
  DONE();
  k_sum_axis(a, outer, axis, inner, out, acc);
  return undef(env);
}

static napi_value js_reduce_broadcast(napi_env env, napi_callback_info info) {
  BEGIN("reduceBroadcast", 4);
  long na = size(&c, 1, "na"), n = size(&c, 3, "n");
  CHECK(na == 0 || n > 0, "n must be positive");
  const float *a = F32(0, "a", na);
  float *out = F32(2, "out", na < n ? na : n);
  DONE();
  if (na) k_reduce_broadcast(a, na, out, n);
  return undef(env);
}

// Ids must index rows of the table: checked here, since a bad id would read or write anywhere.
static void check_ids(ctx_t *c, const int32_t *ids, long n, long rows) {
  if (c->err) return;
  for (long r = 0; r < n; r++)
    if (ids[r] < 0 || ids[r] >= rows) {
      fail(c, "ids[%ld] = %d is outside the table's %ld rows", r, ids[r], rows);
      return;
    }
}

static size_t f32_len(napi_env env, napi_value v) {
  size_t len = 0;
  napi_typedarray_type t;
  napi_get_typedarray_info(env, v, &t, &len, NULL, NULL, NULL);
  return len;
}

static napi_value js_embedding(napi_env env, napi_callback_info info) {
  BEGIN("embedding", 5);
  long C = size(&c, 1, "C"), n = size(&c, 3, "n");
  CHECK(C > 0, "C must be positive");
  const float *table = F32(0, "table", C);
  const int32_t *ids = I32(2, "ids", n);
  float *out = F32(4, "out", (double)n * C);
  DONE();
  check_ids(&c, ids, n, (long)(f32_len(env, c.argv[0]) / (size_t)C));
  DONE();
  k_embedding(table, C, ids, n, out);
  return undef(env);
}

static napi_value js_embedding_backward(napi_env env, napi_callback_info info) {
  BEGIN("embeddingBackward", 5);
  long C = size(&c, 1, "C"), n = size(&c, 3, "n");
  CHECK(C > 0, "C must be positive");
  const float *dout = F32(0, "dout", (double)n * C);
  const int32_t *ids = I32(2, "ids", n);
  float *dtable = F32(4, "dtable", C);
  DONE();
  check_ids(&c, ids, n, (long)(f32_len(env, c.argv[4]) / (size_t)C));
  DONE();
  k_embedding_backward(dout, C, ids, n, dtable);
  return undef(env);
}

static napi_value js_rmsnorm(napi_env env, napi_callback_info info) {
  BEGIN("rmsnorm", 7);
  long rows = size(&c, 2, "rows"), C = size(&c, 3, "C");
  double eps = num(&c, 4, "eps");
  const float *x = F32(0, "x", (double)rows * C), *w = F32(1, "w", C);
  float *out = F32(5, "out", (double)rows * C), *rstd = F32(6, "rstd", rows);
  DONE();
  k_rmsnorm(x, w, rows, C, (float)eps, out, rstd);
  return undef(env);
}

static napi_value js_rmsnorm_backward(napi_env env, napi_callback_info info) {
  BEGIN("rmsnormBackward", 9);
  long rows = size(&c, 4, "rows"), C = size(&c, 5, "C");
  int acc = flag(&c, 8, "accumulate");
  double n = (double)rows * C;
  const float *dout = F32(0, "dout", n), *x = F32(1, "x", n), *w = F32(2, "w", C), *rstd = F32(3, "rstd", rows);
  float *dx = F32(6, "dx", n), *dw = F32(7, "dw", C);
  DONE();
  k_rmsnorm_backward(dout, x, w, rstd, rows, C, dx, dw, acc);
  return undef(env);
}

static napi_value js_rope(napi_env env, napi_callback_info info) {
  BEGIN("rope", 10);
  long B = size(&c, 1, "B"), T = size(&c, 2, "T"), H = size(&c, 3, "H"), D = size(&c, 4, "D");
  long pos = size(&c, 5, "posOffset");
  int inv = flag(&c, 8, "inverse");
  CHECK(D % 2 == 0, "D must be even");
  double n = (double)B * T * H * D, tab = T ? (double)(pos + T) * (D / 2) : 0;
  const float *x = F32(0, "x", n), *cs = F32(6, "cos", tab), *sn = F32(7, "sin", tab);
  float *out = F32(9, "out", n);
  DONE();
  k_rope(x, B, T, H, D, pos, cs, sn, inv, out);
  return undef(env);
}

static napi_value js_swiglu(napi_env env, napi_callback_info info) {
  BEGIN("swiglu", 4);
  long n = size(&c, 2, "n");
  const float *g = F32(0, "gate", n), *u = F32(1, "up", n);
  float *out = F32(3, "out", n);
  DONE();
  k_swiglu(g, u, n, out);
  return undef(env);
}

static napi_value js_swiglu_backward(napi_env env, napi_callback_info info) {
  BEGIN("swigluBackward", 7);
  long n = size(&c, 3, "n");
  int acc = flag(&c, 6, "accumulate");
  const float *d = F32(0, "dout", n), *g = F32(1, "gate", n), *u = F32(2, "up", n);
  float *dg = F32(4, "dgate", n), *du = F32(5, "dup", n);
  DONE();
  k_swiglu_backward(d, g, u, n, dg, du, acc);
  return undef(env);
}

static napi_value js_silu_backward(napi_env env, napi_callback_info info) {
  BEGIN("siluBackward", 4);
  long n = size(&c, 2, "n");
  const float *d = F32(0, "dout", n), *a = F32(1, "a", n);
  float *da = F32(3, "da", n);
  DONE();
  k_silu_backward(d, a, n, da);
  return undef(env);
}

// softmax(x, rows, C, out) and logSoftmax share a shape; so do their backwards (dy, y, rows, C, dx).
typedef void (*rowfn)(const float *, long, long, float *);
typedef void (*rowbfn)(const float *, const float *, long, long, float *);

static napi_value rows_fwd(napi_env env, napi_callback_info info, const char *name, rowfn f) {
  BEGIN(name, 4);
  long rows = size(&c, 1, "rows"), C = size(&c, 2, "C");
  const float *x = F32(0, "x", (double)rows * C);
  float *out = F32(3, "out", (double)rows * C);
  DONE();
  f(x, rows, C, out);
  return undef(env);
}

static napi_value rows_bwd(napi_env env, napi_callback_info info, const char *name, rowbfn f) {
  BEGIN(name, 5);
  long rows = size(&c, 2, "rows"), C = size(&c, 3, "C");
  double n = (double)rows * C;
  const float *dy = F32(0, "dy", n), *y = F32(1, "y", n);
  float *dx = F32(4, "dx", n);
  DONE();
  f(dy, y, rows, C, dx);
  return undef(env);
}

static napi_value js_softmax(napi_env env, napi_callback_info info) { return rows_fwd(env, info, "softmax", k_softmax); }
static napi_value js_log_softmax(napi_env env, napi_callback_info info) {
  return rows_fwd(env, info, "logSoftmax", k_log_softmax);
}
static napi_value js_softmax_backward(napi_env env, napi_callback_info info) {
  return rows_bwd(env, info, "softmaxBackward", k_softmax_backward);
}
static napi_value js_log_softmax_backward(napi_env env, napi_callback_info info) {
  return rows_bwd(env, info, "logSoftmaxBackward", k_log_softmax_backward);
}

static void check_targets(ctx_t *c, const int32_t *t, long rows, long V) {
  if (c->err) return;
  for (long r = 0; r < rows; r++)
    if (t[r] >= V) {
      fail(c, "targets[%ld] = %d is not below V = %ld", r, t[r], V);
      return;
    }
}

static napi_value js_token_logprobs(napi_env env, napi_callback_info info) {
  BEGIN("tokenLogprobs", 6);
  long rows = size(&c, 2, "rows"), V = size(&c, 3, "V");
  CHECK(rows == 0 || V > 0, "V must be positive");
  const float *logits = F32(0, "logits", (double)rows * V);
  const int32_t *t = I32(1, "targets", rows);
  float *logp = F32(4, "logp", rows), *lse = F32(5, "lse", rows);
  DONE();
  check_targets(&c, t, rows, V);
  DONE();
  k_token_logprobs(logits, t, rows, V, logp, lse);
  return undef(env);
}

static napi_value js_token_logprobs_backward(napi_env env, napi_callback_info info) {
  BEGIN("tokenLogprobsBackward", 7);
  long rows = size(&c, 4, "rows"), V = size(&c, 5, "V");
  const float *logits = F32(0, "logits", (double)rows * V);
  const int32_t *t = I32(1, "targets", rows);
  const float *lse = F32(2, "lse", rows), *g = F32(3, "g", rows);
  float *d = F32(6, "dlogits", (double)rows * V);
  DONE();
  check_targets(&c, t, rows, V);
  DONE();
  k_token_logprobs_backward(logits, t, lse, g, rows, V, d);
  return undef(env);
}

static napi_value js_sample_rows(napi_env env, napi_callback_info info) {
  BEGIN("sampleRows", 7);
  long rows = size(&c, 1, "rows"), V = size(&c, 2, "V");
  double T = num(&c, 3, "temperature");
  CHECK(rows == 0 || V > 0, "V must be positive");
  CHECK(T >= 0 && T < 1e30, "temperature must be a finite number >= 0");
  const float *logits = F32(0, "logits", (double)rows * V);
  const double *u = (const double *)typed(&c, 4, "u", napi_float64_array, (double)rows, T <= 0); // unused when greedy
  int32_t *tokens = I32(5, "tokens", rows);
  float *logprobs = F32(6, "logprobs", rows);
  DONE();
  for (long r = 0; u && r < rows; r++)
    if (!(u[r] >= 0 && u[r] < 1)) { fail(&c, "u[%ld] = %g is not in [0, 1)", r, u[r]); return NULL; }
  k_sample_rows(logits, rows, V, (float)T, u, tokens, logprobs);
  return undef(env);
}

typedef struct { long B, Tq, Tk, Hq, Hkv, D, qOffset; const int32_t *keyStart; float scale; } attn_t;

// The shape arguments shared by attention and its backward, starting at argument i0.
static attn_t attn_shape(ctx_t *c, int i0) {
  attn_t a;
  a.B = size(c, i0, "B");
  a.Tq = size(c, i0 + 1, "Tq");
  a.Tk = size(c, i0 + 2, "Tk");
  a.Hq = size(c, i0 + 3, "Hq");
  a.Hkv = size(c, i0 + 4, "Hkv");
  a.D = size(c, i0 + 5, "D");
  a.qOffset = size(c, i0 + 6, "qOffset");
  a.keyStart = (const int32_t *)typed(c, i0 + 7, "keyStart", napi_int32_array, (double)a.B, 1);
  a.scale = (float)num(c, i0 + 8, "scale");
  if (!c->err && (a.Hkv == 0 || a.Hq % a.Hkv != 0)) fail(c, "Hq must be a positive multiple of Hkv");
  return a;
}

static napi_value js_attention(napi_env env, napi_callback_info info) {
  BEGIN("attention", 14);
  attn_t a = attn_shape(&c, 3);
  double nq = (double)a.B * a.Tq * a.Hq * a.D, nk = (double)a.B * a.Tk * a.Hkv * a.D;
  const float *q = F32(0, "q", nq), *k = F32(1, "k", nk), *v = F32(2, "v", nk);
  float *out = F32(12, "out", nq), *lse = F32(13, "lse", (double)a.B * a.Hq * a.Tq);
  DONE();
  k_attention(q, k, v, a.B, a.Tq, a.Tk, a.Hq, a.Hkv, a.D, a.qOffset, a.keyStart, a.scale, out, lse);
  return undef(env);
}

static napi_value js_attention_backward(napi_env env, napi_callback_info info) {
  BEGIN("attentionBackward", 18);
  attn_t a = attn_shape(&c, 6);
  double nq = (double)a.B * a.Tq * a.Hq * a.D, nk = (double)a.B * a.Tk * a.Hkv * a.D;
  const float *dout = F32(0, "dout", nq), *q = F32(1, "q", nq), *k = F32(2, "k", nk), *v = F32(3, "v", nk);
  const float *out = F32(4, "out", nq), *lse = F32(5, "lse", (double)a.B * a.Hq * a.Tq);
  float *dq = F32(15, "dq", nq), *dk = F32(16, "dk", nk), *dv = F32(17, "dv", nk);
  DONE();
  k_attention_backward(dout, q, k, v, out, lse, a.B, a.Tq, a.Tk, a.Hq, a.Hkv, a.D, a.qOffset, a.keyStart, a.scale,
                       dq, dk, dv);
  return undef(env);
}

static napi_value js_adamw(napi_env env, napi_callback_info info) {
  BEGIN("adamw", 11);
  long n = size(&c, 4, "n");
  double lr = num(&c, 5, "lr"), b1 = num(&c, 6, "beta1"), b2 = num(&c, 7, "beta2"), eps = num(&c, 8, "eps");
  double wd = num(&c, 9, "weightDecay"), step = num(&c, 10, "step");
  CHECK(step >= 1, "step must be at least 1");
  float *p = F32(0, "p", n), *m = F32(2, "m", n), *v = F32(3, "v", n);
  const float *g = F32(1, "g", n);
  DONE();
  k_adamw(p, g, m, v, n, lr, b1, b2, eps, wd, step);
  return undef(env);
}

static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  BEGIN("sumSquares", 2);
  long n = size(&c, 1, "n");
  const float *x = F32(0, "x", n);
  DONE();
  return number(env, k_sum_squares(x, n));
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  BEGIN("setThreads", 1);
  long n = size(&c, 0, "n");
  CHECK(n >= 1 && n <= 64, "n must be between 1 and 64");
  DONE();
  omp_set_num_threads((int)n);
  return number(env, omp_get_max_threads());
}

static napi_value js_threads(napi_env env, napi_callback_info info) {
  (void)info;
  return number(env, omp_get_max_threads());
}

static napi_value js_peak(napi_env env, napi_callback_info info) {
  BEGIN("peakGflops", 1);
  double s = num(&c, 0, "seconds");
  CHECK(s > 0 && s <= 10, "seconds must be in (0, 10]");
  DONE();
  return number(env, k_peak_gflops(s));
}

void register_quant(napi_env env, napi_value exports); // quant_addon.c
void register_threads(napi_env env, napi_value exports); // threads_addon.c

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor p[] = {
#define FN(name, f) {name, NULL, f, NULL, NULL, NULL, napi_enumerable, NULL}
      FN("gemm", js_gemm),
      FN("binary", js_binary),
      FN("unary", js_unary),
      FN("affine", js_affine),
      FN("clamp", js_clamp),
      FN("where", js_where),
      FN("sumAxis", js_sum_axis),
      FN("reduceBroadcast", js_reduce_broadcast),
      FN("embedding", js_embedding),
      FN("embeddingBackward", js_embedding_backward),
      FN("rmsnorm", js_rmsnorm),
      FN("rmsnormBackward", js_rmsnorm_backward),
      FN("rope", js_rope),
      FN("swiglu", js_swiglu),
      FN("swigluBackward", js_swiglu_backward),
      FN("siluBackward", js_silu_backward),
      FN("softmax", js_softmax),
      FN("softmaxBackward", js_softmax_backward),
      FN("logSoftmax", js_log_softmax),
      FN("logSoftmaxBackward", js_log_softmax_backward),
      FN("tokenLogprobs", js_token_logprobs),
      FN("tokenLogprobsBackward", js_token_logprobs_backward),
      FN("sampleRows", js_sample_rows),
      FN("attention", js_attention),
      FN("attentionBackward", js_attention_backward),
      FN("adamw", js_adamw),
      FN("sumSquares", js_sum_squares),
      FN("setThreads", js_set_threads),
      FN("threads", js_threads),
      FN("peakGflops", js_peak),
#undef FN
  };
  napi_define_properties(env, exports, sizeof p / sizeof p[0], p);
  napi_value simd;
  napi_create_int32(env, PONDER_SIMD, &simd);
  napi_set_named_property(env, exports, "simdWidth", simd);
  register_quant(env, exports);
  register_threads(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
