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

// Next-token choice for each row of logits (generation): temperature 0 takes the first maximum;
// otherwise the inverse CDF of softmax(x / T) at u[r]·Σ, with Σ and the running sum in double
// (blocks of 16 summed in float first, so the scan is short). logprob is the token's
// log-probability at temperature 1. Rows are independent: the result does not depend on threads.
void k_sample_rows(const float *logits, long rows, long V, float temperature, const double *u, int32_t *tokens,
                   float *logprobs) {
  PAR_REGION(par_threads(rows * V, PAR_ELEMS))
  {
    float w[1024];
    double bs[64]; // block sums of 16 (1024 floats per chunk)
#pragma omp for schedule(static)
    for (long r = 0; r < rows; r++) {
      const float *x = logits + r * V;
      float m = row_max(x, V);
      long tok = -1;
      double lse1 = -INFINITY; // log Σ exp(x - m) at temperature 1
      if (!(m > -INFINITY)) { // every logit -inf (or NaN): nothing to choose from
        long i = 0;
        while (i < V && !(x[i] == m)) i++;
        tokens[r] = i < V ? (int32_t)i : 0;
        logprobs[r] = -INFINITY;
        continue;
      }
      if (temperature <= 0.0f) {
        for (long i = 0; i < V && tok < 0; i++)
          if (x[i] == m) tok = i;
        lse1 = log((double)exp_shift_sum(x, V, m, NULL));
      } else {
        float invT = 1.0f / temperature;
        double total = 0.0, target = 0.0;
        // pass 1: Σ exp((x - m)/T) over chunks (chunk sums in double, in order)
        for (long i0 = 0; i0 < V; i0 += 1024) {
          long n = V - i0 < 1024 ? V - i0 : 1024;
          for (long i = 0; i < n; i++) w[i] = (x[i0 + i] - m) * invT;
          total += (double)exp_shift_sum(w, n, 0.0f, NULL);
        }
        target = u[r] * total;
        // pass 2: find the chunk, then the block of 16, then the element where the running sum passes target
        for (long i0 = 0; i0 < V && tok < 0; i0 += 1024) {
          long n = V - i0 < 1024 ? V - i0 : 1024;
          for (long i = 0; i < n; i++) w[i] = (x[i0 + i] - m) * invT;
          exp_shift_sum(w, n, 0.0f, w);
          long nb = (n + 15) / 16;
          for (long b = 0; b < nb; b++) {
            float s = 0.0f;
            for (long i = b * 16; i < n && i < b * 16 + 16; i++) s += w[i];
            bs[b] = s;
          }
          for (long b = 0; b < nb && tok < 0; b++) {
            if (target - bs[b] >= 0.0 && b < nb - 1) { target -= bs[b]; continue; }
            for (long i = b * 16; i < n && i < b * 16 + 16; i++)
              if ((target -= w[i]) < 0.0) { tok = i0 + i; break; }
            // rounding left target >= 0 at the block's end: go on with the next block
          }
        }
        if (tok < 0) // rounding carried target past the end: the most likely token
          for (long i = 0; i < V && tok < 0; i++)
            if (x[i] == m) tok = i;
        lse1 = temperature == 1.0f ? log(total) : log((double)exp_shift_sum(x, V, m, NULL));
      }
      tokens[r] = (int32_t)tok;
      logprobs[r] = (float)((double)x[tok] - (double)m - lse1);
    }
  }
  PAR_REGION_END
}
