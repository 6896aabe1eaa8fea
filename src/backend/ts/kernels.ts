// Reference kernels in plain TypeScript: simple and obviously right, always available.
// Every native kernel is tested against these. Speed is secondary, but the GEMM is cache-blocked
// with a small register tile so that the reference backend stays usable for tiny models.
import type { BinaryOp, Buf, Ids, Kernels, UnaryOp } from '../kernels.ts';

const silu = (x: number) => x / (1 + Math.exp(-x));

/** C (M×N) (+)= A·B for row-major A (M×K), B (K×N), with element strides so transposes are views. */
function gemmOne(
  M: number, N: number, K: number,
  A: Buf, aOff: number, aRow: number, aCol: number,
  B: Buf, bOff: number, bRow: number, bCol: number,
  C: Buf, cOff: number, accumulate: boolean,
): void {
  if (!accumulate) C.fill(0, cOff, cOff + M * N);
  // i-k-j order: the inner loop walks a row of B and a row of C contiguously when B is not transposed.
  const KB = 128;
  for (let k0 = 0; k0 < K; k0 += KB) {
    const k1 = Math.min(K, k0 + KB);
    for (let i = 0; i < M; i++) {
      const cRow = cOff + i * N;
      for (let k = k0; k < k1; k++) {
        const a = A[aOff + i * aRow + k * aCol];
        if (a === 0) continue;
        const bBase = bOff + k * bRow;
        if (bCol === 1) {
          for (let j = 0; j < N; j++) C[cRow + j] += a * B[bBase + j];
        } else {
          for (let j = 0; j < N; j++) C[cRow + j] += a * B[bBase + j * bCol];
        }
      }
    }
  }
}

function binaryFn(op: BinaryOp): (x: number, y: number) => number {
  switch (op) {
    case 'add': return (x, y) => x + y;
    case 'sub': return (x, y) => x - y;
    case 'mul': return (x, y) => x * y;
    case 'div': return (x, y) => x / y;
    case 'min': return (x, y) => Math.min(x, y);
    case 'max': return (x, y) => Math.max(x, y);
  }
}

function unaryFn(op: UnaryOp): (x: number) => number {
  switch (op) {
    case 'exp': return Math.exp;
    case 'log': return Math.log;
    case 'silu': return silu;
    case 'neg': return (x) => -x;
    case 'sqrt': return Math.sqrt;
    case 'abs': return Math.abs;
  }
}

function logsumexp(x: Buf, off: number, n: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) if (x[off + i] > m) m = x[off + i];
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(x[off + i] - m);
  return m + Math.log(s);
}

export const tsKernels: Kernels = {
  gemm(batch, M, N, K, A, strideA, transA, B, strideB, transB, C, strideC, accumulate) {
    // Stored layouts: A is M×K (row stride K) or K×M when transposed (element (i,k) at k*M + i).
    const aRow = transA ? 1 : K, aCol = transA ? M : 1;
    const bRow = transB ? 1 : N, bCol = transB ? K : 1;
    for (let b = 0; b < batch; b++) {
      gemmOne(M, N, K, A, b * strideA, aRow, aCol, B, b * strideB, bRow, bCol, C, b * strideC, accumulate);
    }
  },

  binary(op, a, na, b, nb, out) {
    const f = binaryFn(op);
    for (let i = 0; i < na; i += nb) {
      for (let j = 0; j < nb; j++) out[i + j] = f(a[i + j], b[j]);
    }
  },

  unary(op, a, n, out) {
    const f = unaryFn(op);
    for (let i = 0; i < n; i++) out[i] = f(a[i]);
  },

  affine(a, n, s, t, out) {
    for (let i = 0; i < n; i++) out[i] = a[i] * s + t;
  },

  clamp(a, n, lo, hi, out) {
    for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(a[i], lo), hi);
  },

  where(cond, a, b, n, out) {
    for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
  },

  sumAxis(a, outer, axis, inner, out, accumulate) {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let j = 0; j < axis; j++) s += a[(o * axis + j) * inner + i];
        const idx = o * inner + i;
        out[idx] = accumulate ? out[idx] + s : s;
      }
    }
  },

  reduceBroadcast(a, na, out, n) {
    for (let i = 0; i < na; i += n) {
      for (let j = 0; j < n; j++) out[j] += a[i + j];
    }
  },

  embedding(table, C, ids, n, out) {
    for (let r = 0; r < n; r++) out.set(table.subarray(ids[r] * C, ids[r] * C + C), r * C);
  },

  embeddingBackward(dout, C, ids, n, dtable) {
    for (let r = 0; r < n; r++) {
      const o = ids[r] * C;
      for (let c = 0; c < C; c++) dtable[o + c] += dout[r * C + c];
    }
  },

  rmsnorm(x, w, rows, C, eps, out, rstd) {
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      let ss = 0;
      for (let c = 0; c < C; c++) ss += x[o + c] * x[o + c];
      const s = 1 / Math.sqrt(ss / C + eps);
      rstd[r] = s;
      for (let c = 0; c < C; c++) out[o + c] = x[o + c] * s * w[c];
    }
  },

  rmsnormBackward(dout, x, w, rstd, rows, C, dx, dw, accumulate) {
    // y = x·s·w with s = (mean(x²)+eps)^-1/2: dx = s·(g·w) - x·s³/C·Σ(g·w·x).
    for (let r = 0; r < rows; r++) {
      const o = r * C, s = rstd[r];
      let dot = 0;
      for (let c = 0; c < C; c++) {
        dot += dout[o + c] * w[c] * x[o + c];
        dw[c] += dout[o + c] * x[o + c] * s;
      }
      const k = (s * s * s * dot) / C;
      for (let c = 0; c < C; c++) {
        const g = s * dout[o + c] * w[c] - x[o + c] * k;
        dx[o + c] = accumulate ? dx[o + c] + g : g;
      }
    }
  },

  rope(x, B, T, H, D, posOffset, cos, sin, inverse, out) {
    const half = D >> 1, sign = inverse ? -1 : 1;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const p = (posOffset + t) * half;
        for (let h = 0; h < H; h++) {
          const o = ((b * T + t) * H + h) * D;
          for (let i = 0; i < half; i++) {
            const c = cos[p + i], s = sign * sin[p + i];
            const x1 = x[o + i], x2 = x[o + half + i];
            out[o + i] = x1 * c - x2 * s;
            out[o + half + i] = x2 * c + x1 * s;
          }
        }
      }
    }
  },

  swiglu(gate, up, n, out) {
    for (let i = 0; i < n; i++) out[i] = silu(gate[i]) * up[i];
  },

  swigluBackward(dout, gate, up, n, dgate, dup, accumulate) {
    for (let i = 0; i < n; i++) {
      const g = gate[i], sg = 1 / (1 + Math.exp(-g));
      const dg = dout[i] * up[i] * sg * (1 + g * (1 - sg));
      const du = dout[i] * g * sg;
      dgate[i] = accumulate ? dgate[i] + dg : dg;
      dup[i] = accumulate ? dup[i] + du : du;
    }
  },

  siluBackward(dout, a, n, da) {
    for (let i = 0; i < n; i++) {
      const sg = 1 / (1 + Math.exp(-a[i]));
      da[i] += dout[i] * sg * (1 + a[i] * (1 - sg));
    }
  },

  softmax(x, rows, C, out) {
    for (let r = 0; r < rows; r++) {
      const o = r * C, lse = logsumexp(x, o, C);
      for (let c = 0; c < C; c++) out[o + c] = Math.exp(x[o + c] - lse);
    }
  },

  softmaxBackward(dy, y, rows, C, dx) {
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      let dot = 0;
      for (let c = 0; c < C; c++) dot += dy[o + c] * y[o + c];
      for (let c = 0; c < C; c++) dx[o + c] += y[o + c] * (dy[o + c] - dot);
    }
  },

  logSoftmax(x, rows, C, out) {
    for (let r = 0; r < rows; r++) {
      const o = r * C, lse = logsumexp(x, o, C);
      for (let c = 0; c < C; c++) out[o + c] = x[o + c] - lse;
    }
  },

  logSoftmaxBackward(dy, y, rows, C, dx) {
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      let s = 0;
      for (let c = 0; c < C; c++) s += dy[o + c];
      for (let c = 0; c < C; c++) dx[o + c] += dy[o + c] - Math.exp(y[o + c]) * s;
    }
  },

  tokenLogprobs(logits, targets, rows, V, logp, lse) {
    for (let r = 0; r < rows; r++) {
      const l = logsumexp(logits, r * V, V);
      lse[r] = l;
      const t = targets[r];
      logp[r] = t < 0 ? 0 : logits[r * V + t] - l;
    }
  },

  tokenLogprobsBackward(logits, targets, lse, g, rows, V, dlogits) {
    for (let r = 0; r < rows; r++) {
      const t = targets[r];
      if (t < 0 || g[r] === 0) continue;
      const o = r * V, l = lse[r], gr = g[r];
      for (let c = 0; c < V; c++) dlogits[o + c] -= gr * Math.exp(logits[o + c] - l);
      dlogits[o + t] += gr;
    }
  },

  sampleRows(logits, rows, V, temperature, u, tokens, logprobs) {
    for (let r = 0; r < rows; r++) {
      const o = r * V;
      let m = -Infinity, first = -1;
      for (let i = 0; i < V; i++) if (logits[o + i] > m) { m = logits[o + i]; first = i; }
      if (first < 0) { tokens[r] = 0; logprobs[r] = -Infinity; continue; } // nothing to choose from
      let lse1 = 0;
      for (let i = 0; i < V; i++) lse1 += Math.exp(logits[o + i] - m);
      lse1 = Math.log(lse1);
      let tok = first;
      if (temperature > 0) {
        const invT = 1 / temperature;
        let total = 0;
        for (let i = 0; i < V; i++) total += Math.exp((logits[o + i] - m) * invT);
        let target = u![r] * total;
        for (let i = 0; i < V; i++) if ((target -= Math.exp((logits[o + i] - m) * invT)) < 0) { tok = i; break; }
      }
      tokens[r] = tok;
      logprobs[r] = logits[o + tok] - m - lse1;
    }
  },

  attention(q, k, v, B, Tq, Tk, Hq, Hkv, D, qOffset, keyStart, scale, out, lse) {
    const group = Hq / Hkv;
    const s = new Float64Array(Tk);
    for (let b = 0; b < B; b++) {
      const k0 = keyStart ? keyStart[b] : 0;
      for (let h = 0; h < Hq; h++) {
        const hk = Math.floor(h / group);
        for (let i = 0; i < Tq; i++) {
          const qo = ((b * Tq + i) * Hq + h) * D;
          const last = Math.min(Tk - 1, qOffset + i);
          let m = -Infinity;
          for (let j = k0; j <= last; j++) {
            const ko = ((b * Tk + j) * Hkv + hk) * D;
            let dot = 0;
            for (let d = 0; d < D; d++) dot += q[qo + d] * k[ko + d];
            s[j] = dot * scale;
            if (s[j] > m) m = s[j];
          }
          out.fill(0, qo, qo + D);
          const li = (b * Hq + h) * Tq + i;
          if (m === -Infinity) { lse[li] = -Infinity; continue; }
          let sum = 0;
          for (let j = k0; j <= last; j++) {
            const p = Math.exp(s[j] - m);
            sum += p;
            const vo = ((b * Tk + j) * Hkv + hk) * D;
            for (let d = 0; d < D; d++) out[qo + d] += p * v[vo + d];
          }
          for (let d = 0; d < D; d++) out[qo + d] /= sum;
          lse[li] = m + Math.log(sum);
        }
      }
    }
  },

  attentionBackward(dout, q, k, v, out, lse, B, Tq, Tk, Hq, Hkv, D, qOffset, keyStart, scale, dq, dk, dv) {
    const group = Hq / Hkv;
    for (let b = 0; b < B; b++) {
      const k0 = keyStart ? keyStart[b] : 0;
      for (let h = 0; h < Hq; h++) {
        const hk = Math.floor(h / group);
        for (let i = 0; i < Tq; i++) {
          const li = (b * Hq + h) * Tq + i;
          if (lse[li] === -Infinity) continue;
          const qo = ((b * Tq + i) * Hq + h) * D;
          // delta = Σ_d dO·O: the softmax backward's row term.
          let delta = 0;
          for (let d = 0; d < D; d++) delta += dout[qo + d] * out[qo + d];
          const last = Math.min(Tk - 1, qOffset + i);
          for (let j = k0; j <= last; j++) {
            const ko = ((b * Tk + j) * Hkv + hk) * D;
            let dot = 0, dp = 0;
            for (let d = 0; d < D; d++) {
              dot += q[qo + d] * k[ko + d];
              dp += dout[qo + d] * v[ko + d];
            }
            const p = Math.exp(dot * scale - lse[li]);
            const ds = p * (dp - delta) * scale;
            for (let d = 0; d < D; d++) {
              dv[ko + d] += p * dout[qo + d];
              dq[qo + d] += ds * k[ko + d];
              dk[ko + d] += ds * q[qo + d];
            }
          }
        }
      }
    }
  },

  adamw(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, step) {
    const bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
    for (let i = 0; i < n; i++) {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      const mh = m[i] / bc1, vh = v[i] / bc2;
      p[i] -= lr * (mh / (Math.sqrt(vh) + eps) + weightDecay * p[i]);
    }
  },

  sumSquares(x, n) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i] * x[i];
    return s;
  },
};

export type { Buf, Ids };
