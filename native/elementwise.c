// Elementwise kernels, broadcasting reductions, embedding, RoPE and the SwiGLU family.
// Plain loops that gcc vectorises at -O3 -march=native; exp goes through exp16 (common.h).
// Work below PAR_ELEMS (PAR_MEM for plain memory traffic) stays on the calling thread.
#include "common.h"
#include <string.h>

// out[i] = exp(x[i] - shift) (skipped when out is NULL); returns the sum. Shared by softmax-like kernels.
float exp_shift_sum(const float *x, long n, float shift, float *out) {
  long i = 0;
  float s = 0.0f;
#ifdef __AVX512F__
  __m512 acc = _mm512_setzero_ps(), sh = _mm512_set1_ps(shift);
  for (; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), sh));
    if (out) _mm512_mask_storeu_ps(out + i, m, e);
    acc = _mm512_mask_add_ps(acc, m, acc, e);
  }
  s = _mm512_reduce_add_ps(acc);
#else
  // 16 lanes as on AVX-512 (two vectors): a single running float over a 150,000-token row of
  // logits loses ~1e-3 of the sum, which a loss of 0.19 shows in its third digit
  float acc[16] = {0};
#if defined(__AVX2__) && defined(__FMA__)
  __m256 a0 = _mm256_setzero_ps(), a1 = a0;
  const __m256 sh = _mm256_set1_ps(shift);
  for (; i + 16 <= n; i += 16) {
    __m256 e0 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), sh)), e1 = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), sh));
    if (out) { _mm256_storeu_ps(out + i, e0); _mm256_storeu_ps(out + i + 8, e1); }
    a0 = _mm256_add_ps(a0, e0);
    a1 = _mm256_add_ps(a1, e1);
  }
  _mm256_storeu_ps(acc, a0);
  _mm256_storeu_ps(acc + 8, a1);
#endif
  for (; i < n; i++) { float e = expf(x[i] - shift); if (out) out[i] = e; acc[i & 15] += e; }
  for (int j = 0; j < 16; j++) s += acc[j];
#endif
  return s;
}

float row_max(const float *x, long n) {
  float m = -INFINITY;
  long i = 0;
#ifdef __AVX512F__
  __m512 mv = _mm512_set1_ps(-INFINITY);
  for (; i + 16 <= n; i += 16) mv = _mm512_max_ps(mv, _mm512_loadu_ps(x + i));
  m = _mm512_reduce_max_ps(mv);
#endif
  for (; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

static inline float silu_(float x) { return x / (1.0f + expf(-x)); }

// min and max propagate NaN from either side, as Math.min/Math.max do (the reference).
void k_binary(int op, const float *a, long na, const float *b, long nb, float *out) {
  int nt = par_threads(na, PAR_MEM);
  long rows = na / nb;
  // Broadcast b over rows of length nb; when nb is small the rows are short, so flatten to i % nb.
  if (nb >= 64 || nb == na) {
  PAR_REGION(nt)
#pragma omp for schedule(static)
    for (long r = 0; r < rows; r++) {
      const float *x = a + r * nb;
      float *o = out + r * nb;
      switch (op) {
        case 0: for (long j = 0; j < nb; j++) o[j] = x[j] + b[j]; break;
        case 1: for (long j = 0; j < nb; j++) o[j] = x[j] - b[j]; break;
        case 2: for (long j = 0; j < nb; j++) o[j] = x[j] * b[j]; break;
        case 3: for (long j = 0; j < nb; j++) o[j] = x[j] / b[j]; break;
        case 4: for (long j = 0; j < nb; j++) o[j] = x[j] < b[j] || x[j] != x[j] ? x[j] : b[j]; break;
        default: for (long j = 0; j < nb; j++) o[j] = x[j] > b[j] || x[j] != x[j] ? x[j] : b[j]; break;
      }
    }
  PAR_REGION_END
  } else {
  PAR_REGION(nt)
#pragma omp for schedule(static)
    for (long i = 0; i < na; i++) {
      float x = a[i], y = b[i % nb];
      switch (op) {
        case 0: out[i] = x + y; break;
        case 1: out[i] = x - y; break;
        case 2: out[i] = x * y; break;
        case 3: out[i] = x / y; break;
        case 4: out[i] = x < y || x != x ? x : y; break;
        default: out[i] = x > y || x != x ? x : y; break;
      }
    }
  PAR_REGION_END
  }
}

void k_unary(int op, const float *a, long n, float *out) {
  int nt = par_threads(n, PAR_ELEMS);
  if (op == 0) { // exp: SIMD polynomial
    long chunk = (n + nt - 1) / nt;
  PAR_REGION(nt)
#pragma omp for schedule(static)
    for (int t = 0; t < nt; t++) {
      long s = t * chunk, e = s + chunk < n ? s + chunk : n;
      if (s < e) exp_shift_sum(a + s, e - s, 0.0f, out + s);
    }
  PAR_REGION_END
    return;
  }
  PAR_REGION(nt)
#pragma omp for schedule(static)
  for (long i = 0; i < n; i++) {
    float x = a[i];
    switch (op) {
      case 1: out[i] = logf(x); break;
      case 2: out[i] = silu_(x); break;
      case 3: out[i] = -x; break;
      case 4: out[i] = sqrtf(x); break;
      default: out[i] = fabsf(x); break;
    }
  }
  PAR_REGION_END
}

void k_affine(const float *a, long n, float s, float t, float *out) {
  PAR_REGION(par_threads(n, PAR_MEM))
#pragma omp for schedule(static)
  for (long i = 0; i < n; i++) out[i] = a[i] * s + t;
  PAR_REGION_END
}

// NaN stays NaN, as Math.min(Math.max(x, lo), hi) does.
void k_clamp(const float *a, long n, float lo, float hi, float *out) {
  PAR_REGION(par_threads(n, PAR_MEM))
#pragma omp for schedule(static)
  for (long i = 0; i < n; i++) {
    float x = a[i] < lo ? lo : a[i];
    out[i] = x > hi ? hi : x;
  }
  PAR_REGION_END
}

void k_where(const float *cond, const float *a, const float *b, long n, float *out) {
  PAR_REGION(par_threads(n, PAR_MEM))
#pragma omp for schedule(static)
  for (long i = 0; i < n; i++) out[i] = cond[i] != 0.0f ? a[i] : b[i];
  PAR_REGION_END
}

// out (outer, inner) = Σ_j a (outer, axis, inner)
void k_sum_axis(const float *a, long outer, long axis, long inner, float *out, int acc) {
  int nt = par_threads(outer * axis * inner, PAR_MEM);
  if (outer >= nt || inner < 64) {
  PAR_REGION(nt)
#pragma omp for schedule(static)
    for (long o = 0; o < outer; o++) {
      float *d = out + o * inner;
      if (!acc) memset(d, 0, sizeof(float) * (size_t)inner);
      for (long j = 0; j < axis; j++) {
        const float *s = a + (o * axis + j) * inner;
        for (long i = 0; i < inner; i++) d[i] += s[i];
      }
    }
  PAR_REGION_END
  } else { // few outer rows (a bias gradient: outer 1): split the inner columns instead
    long chunk = ((inner + nt - 1) / nt + 15) / 16 * 16;
    for (long o = 0; o < outer; o++) {
      float *d = out + o * inner;
  PAR_REGION(nt)
#pragma omp for schedule(static)
      for (int t = 0; t < nt; t++) {
        long i0 = t * chunk, i1 = i0 + chunk < inner ? i0 + chunk : inner;
        if (i0 >= i1) continue;
        if (!acc) memset(d + i0, 0, sizeof(float) * (size_t)(i1 - i0));
        for (long j = 0; j < axis; j++) {
          const float *s = a + (o * axis + j) * inner;
          for (long i = i0; i < i1; i++) d[i] += s[i];
        }
      }
  PAR_REGION_END
    }
  }
}

// out[i % n] += a[i]: the sum of a's rows of length n (split over columns, so no races); a
// partial last row (na % n != 0) adds into the first na % n entries.
void k_reduce_broadcast(const float *a, long na, float *out, long n) {
  long rows = (na + n - 1) / n;
  int nt = n >= 256 ? par_threads(na, PAR_MEM) : 1;
  long chunk = ((n + nt - 1) / nt + 15) / 16 * 16;
  PAR_REGION(nt)
#pragma omp for schedule(static)
  for (int t = 0; t < nt; t++) {
    long i0 = t * chunk, i1 = i0 + chunk < n ? i0 + chunk : n;
    for (long r = 0; r < rows; r++) {
      const float *s = a + r * n;
      long e = na - r * n < i1 ? na - r * n : i1;
      for (long i = i0; i < e; i++) out[i] += s[i];
    }
  }
  PAR_REGION_END
}

void k_embedding(const float *table, long C, const int32_t *ids, long n, float *out) {
  PAR_REGION(par_threads(n * C, PAR_MEM))
#pragma omp for schedule(static)
  for (long r = 0; r < n; r++) memcpy(out + r * C, table + (long)ids[r] * C, sizeof(float) * (size_t)C);
  PAR_REGION_END
}

// Scatter-add with repeated ids: threads own disjoint column ranges, so no two write one float.
void k_embedding_backward(const float *dout, long C, const int32_t *ids, long n, float *dtable) {
  int nt = C >= 64 ? par_threads(n * C, PAR_MEM) : 1;
  long chunk = ((C + nt - 1) / nt + 15) / 16 * 16;
  PAR_REGION(nt)
#pragma omp for schedule(static)
  for (int t = 0; t < nt; t++) {
    long c0 = t * chunk, c1 = c0 + chunk < C ? c0 + chunk : C;
    for (long r = 0; r < n; r++) {
      float *d = dtable + (long)ids[r] * C;
      const float *s = dout + r * C;
      for (long c = c0; c < c1; c++) d[c] += s[c];
    }
  }
  PAR_REGION_END
}

// x (B, T, H, D); rotate-half with tables cos, sin (maxPos, D/2).
void k_rope(const float *x, long B, long T, long H, long D, long posOffset, const float *cos, const float *sin,
            int inverse, float *out) {
  long half = D / 2;
  float sg = inverse ? -1.0f : 1.0f;
  PAR_REGION(par_threads(B * T * H * D, PAR_ELEMS))
#pragma omp for collapse(2) schedule(static)
  for (long b = 0; b < B; b++)
    for (long t = 0; t < T; t++) {
      const float *c = cos + (posOffset + t) * half, *s = sin + (posOffset + t) * half;
      for (long h = 0; h < H; h++) {
        const float *xr = x + ((b * T + t) * H + h) * D;
        float *o = out + ((b * T + t) * H + h) * D;
        for (long i = 0; i < half; i++) {
          float x1 = xr[i], x2 = xr[i + half], si = sg * s[i];
          o[i] = x1 * c[i] - x2 * si;
          o[i + half] = x2 * c[i] + x1 * si;
        }
      }
    }
  PAR_REGION_END
}

void k_swiglu(const float *g, const float *u, long n, float *out) {
  int nt = par_threads(n, PAR_ELEMS / 4);
  PAR_REGION(nt)
#pragma omp for schedule(static)
  for (long i0 = 0; i0 < n; i0 += 4096) {
    long m = n - i0 < 4096 ? n - i0 : 4096;
    float e[4096];
    for (long i = 0; i < m; i++) e[i] = -g[i0 + i];
    exp_shift_sum(e, m, 0.0f, e); // e = exp(-g)
    for (long i = 0; i < m; i++) out[i0 + i] = g[i0 + i] / (1.0f + e[i]) * u[i0 + i];
  }
  PAR_REGION_END
}

// With s = sigmoid(g): silu(g) = g·s, silu'(g) = s·(1 + g·(1 - s)).
void k_swiglu_backward(const float *dout, const float *g, const float *u, long n, float *dg, float *du, int acc) {
  int nt = par_threads(n, PAR_ELEMS / 4);
  PAR_REGION(nt)
#pragma omp for schedule(static)
  for (long i0 = 0; i0 < n; i0 += 4096) {
    long m = n - i0 < 4096 ? n - i0 : 4096;
    float e[4096];
    for (long i = 0; i < m; i++) e[i] = -g[i0 + i];
    exp_shift_sum(e, m, 0.0f, e);
    for (long i = 0; i < m; i++) {
      long j = i0 + i;
      float x = g[j], s = 1.0f / (1.0f + e[i]), d = dout[j];
      float vg = d * u[j] * s * (1.0f + x * (1.0f - s)), vu = d * x * s;
      dg[j] = acc ? dg[j] + vg : vg;
      du[j] = acc ? du[j] + vu : vu;
    }
  }
  PAR_REGION_END
}

void k_silu_backward(const float *dout, const float *a, long n, float *da) {
  int nt = par_threads(n, PAR_ELEMS / 4);
  PAR_REGION(nt)
#pragma omp for schedule(static)
  for (long i0 = 0; i0 < n; i0 += 4096) {
    long m = n - i0 < 4096 ? n - i0 : 4096;
    float e[4096];
    for (long i = 0; i < m; i++) e[i] = -a[i0 + i];
    exp_shift_sum(e, m, 0.0f, e);
    for (long i = 0; i < m; i++) {
      float x = a[i0 + i], s = 1.0f / (1.0f + e[i]);
      da[i0 + i] += dout[i0 + i] * s * (1.0f + x * (1.0f - s));
    }
  }
  PAR_REGION_END
}
