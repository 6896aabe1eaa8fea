// Fused token log-probabilities (the language-model loss and the policy's log-ratio), over rows.
#include "common.h"

// logp[r] = logits[r, t_r] - logsumexp(logits[r]); lse[r] saved for every row; ignored rows
// (t_r < 0) get logp = 0.
void k_token_logprobs(const float *logits, const int32_t *t, long rows, long V, float *logp, float *lse) {
  PAR_REGION(par_threads(rows * V, PAR_ELEMS))
#pragma omp for schedule(static)
  for (long r = 0; r < rows; r++) {
    const float *x = logits + r * V;
    float m = row_max(x, V);
    float l = m == -INFINITY ? -INFINITY : m + logf(exp_shift_sum(x, V, m, NULL));
    lse[r] = l;
    logp[r] = t[r] < 0 ? 0.0f : x[t[r]] - l;
  }
  PAR_REGION_END
}

// dlogits[r] += g[r]·(onehot(t_r) - softmax(logits[r])), softmax from the saved lse.
void k_token_logprobs_backward(const float *logits, const int32_t *t, const float *lse, const float *g, long rows,
                               long V, float *dlogits) {
  PAR_REGION(par_threads(rows * V, PAR_ELEMS))
#pragma omp for schedule(static)
  for (long r = 0; r < rows; r++) {
    if (t[r] < 0) continue;
    const float *x = logits + r * V;
    float *d = dlogits + r * V, gr = g[r], l = lse[r];
    float e[1024];
    for (long i0 = 0; i0 < V; i0 += 1024) {
      long n = V - i0 < 1024 ? V - i0 : 1024;
      exp_shift_sum(x + i0, n, l, e);
      for (long i = 0; i < n; i++) d[i0 + i] -= gr * e[i];
    }
    d[t[r]] += gr;
  }
  PAR_REGION_END
}
