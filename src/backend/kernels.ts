// The kernel interface: the one seam between the math and the hardware.
//
// Every kernel works on flat, contiguous, row-major Float32Array buffers (a subarray is fine: the
// native side honours its byte offset) with sizes passed explicitly. Kernels never allocate their
// outputs; the caller owns every buffer, so a training step reuses the same memory each time.
// `ts` (src/backend/ts) is the reference; `native` (native/, C + OpenMP) must match it.
//
// Conventions
// - Linear weights are stored as PyTorch does, (out, in), and applied as x · Wᵀ (transB).
// - Attention tensors are laid out (B, T, H, D): the projection's output needs no transpose.
// - "accumulate" means out += result instead of out = result (gradients accumulate).

export type Buf = Float32Array;
export type Ids = Int32Array;

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max';
export type UnaryOp = 'exp' | 'log' | 'silu' | 'neg' | 'sqrt' | 'abs';

export interface Kernels {
  /**
   * Batched GEMM: for each b < batch, C_b (M×N) = op(A_b) · op(B_b) (+ C_b when accumulate).
   * op(A_b) is M×K: A_b is stored M×K, or K×M when transA. op(B_b) is K×N: stored K×N, or N×K when transB.
   * A_b starts at A[b*strideA], and likewise B and C; a stride of 0 broadcasts one matrix over the batch.
   */
  gemm(
    batch: number, M: number, N: number, K: number,
    A: Buf, strideA: number, transA: boolean,
    B: Buf, strideB: number, transB: boolean,
    C: Buf, strideC: number, accumulate: boolean,
  ): void;

  /** out[i] = a[i] op b[i % nb]: b broadcasts over a's leading dimensions (na % nb == 0). out may alias a. */
  binary(op: BinaryOp, a: Buf, na: number, b: Buf, nb: number, out: Buf): void;
  /** out[i] = f(a[i]). out may alias a. */
  unary(op: UnaryOp, a: Buf, n: number, out: Buf): void;
  /** out[i] = a[i] * s + t (scale and shift). out may alias a. */
  affine(a: Buf, n: number, s: number, t: number, out: Buf): void;
  /** out[i] = min(max(a[i], lo), hi). */
  clamp(a: Buf, n: number, lo: number, hi: number, out: Buf): void;
  /** out[i] = cond[i] != 0 ? a[i] : b[i]. */
  where(cond: Buf, a: Buf, b: Buf, n: number, out: Buf): void;

  /** Sum over the middle axis of a (outer, axis, inner) view: out (outer, inner) = Σ_j a[o, j, i] (+ out when accumulate). */
  sumAxis(a: Buf, outer: number, axis: number, inner: number, out: Buf, accumulate: boolean): void;
  /** out[i % n] += a[i] for i < na: the reverse of broadcasting, used by the backward of binary ops. */
  reduceBroadcast(a: Buf, na: number, out: Buf, n: number): void;

  /** out (n, C) = table[ids[r]] rows. Ids out of [0, rows) are an error checked by the caller. */
  embedding(table: Buf, C: number, ids: Ids, n: number, out: Buf): void;
  /** dtable[ids[r]] += dout[r] (scatter-add; repeated ids accumulate). */
  embeddingBackward(dout: Buf, C: number, ids: Ids, n: number, dtable: Buf): void;

  /** RMSNorm over rows of length C: out = x / rms(x) * w; rstd (rows) saved for backward. */
  rmsnorm(x: Buf, w: Buf, rows: number, C: number, eps: number, out: Buf, rstd: Buf): void;
  /** dx = (accumulated into when accumulate) gradient wrt x; dw += gradient wrt w. */
  rmsnormBackward(dout: Buf, x: Buf, w: Buf, rstd: Buf, rows: number, C: number, dx: Buf, dw: Buf, accumulate: boolean): void;

  /**
   * Rotary embedding, rotate-half convention (as HF Llama): for a row of D = 2·half channels at
   * position p, (x1, x2) -> (x1·cos - x2·sin, x2·cos + x1·sin) with x1 = x[:half], x2 = x[half:].
   * x is (B, T, H, D); the position of time step t is posOffset + t. cos and sin are tables
   * (maxPos, half). inverse rotates by the negative angle (the backward). out may alias x.
   */
  rope(x: Buf, B: number, T: number, H: number, D: number, posOffset: number, cos: Buf, sin: Buf, inverse: boolean, out: Buf): void;

  /** out = silu(gate) * up. */
  swiglu(gate: Buf, up: Buf, n: number, out: Buf): void;
  /** dgate, dup (overwritten, or added to when accumulate) from dout. */
  swigluBackward(dout: Buf, gate: Buf, up: Buf, n: number, dgate: Buf, dup: Buf, accumulate: boolean): void;
  /** da += dout * silu'(a). */
  siluBackward(dout: Buf, a: Buf, n: number, da: Buf): void;

  /** Softmax over rows of length C. out may alias x. */
  softmax(x: Buf, rows: number, C: number, out: Buf): void;
  /** dx += y * (dy - Σ dy·y) per row, y the softmax output. */
  softmaxBackward(dy: Buf, y: Buf, rows: number, C: number, dx: Buf): void;
  /** Log-softmax over rows. out may alias x. */
  logSoftmax(x: Buf, rows: number, C: number, out: Buf): void;
  /** dx += dy - softmax · Σ dy per row, y the log-softmax output. */
  logSoftmaxBackward(dy: Buf, y: Buf, rows: number, C: number, dx: Buf): void;

  /**
   * Fused log-probability of the target token per row: logp[r] = logits[r, t_r] - logsumexp(logits[r]).
   * Rows whose target is negative (an ignore index) get logp = 0. lse (rows) is saved for backward.
   */
  tokenLogprobs(logits: Buf, targets: Ids, rows: number, V: number, logp: Buf, lse: Buf): void;
  /** dlogits[r] += g[r] · (onehot(t_r) - softmax(logits[r])); rows with a negative target get nothing. */
  tokenLogprobsBackward(logits: Buf, targets: Ids, lse: Buf, g: Buf, rows: number, V: number, dlogits: Buf): void;

  /**
   * Next token for each row of logits (rows, V), as generation samples it: temperature 0 takes the
   * first maximum; otherwise token r is where the running sum of softmax(logits[r] / temperature)
   * first exceeds u[r] (a uniform draw in [0, 1)) times the total. logprobs[r] is the chosen token's
   * log-probability at temperature 1. u may be null at temperature 0.
   */
  sampleRows(logits: Buf, rows: number, V: number, temperature: number, u: Float64Array | null, tokens: Ids, logprobs: Buf): void;

  /**
   * Fused causal attention with online softmax and grouped-query heads.
   * q, out (B, Tq, Hq, D); k, v (B, Tk, Hkv, D) with Hq % Hkv == 0 (query head h reads kv head h / (Hq/Hkv)).
   * Query i sits at absolute position qOffset + i and sees key j when j <= qOffset + i (causal) and
   * j >= keyStart[b] (left padding; null means 0). A query that sees no key outputs 0 with lse = -Infinity.
   * lse (B, Hq, Tq) is the log-sum-exp of the scaled scores, saved for backward.
   */
  attention(
    q: Buf, k: Buf, v: Buf, B: number, Tq: number, Tk: number, Hq: number, Hkv: number, D: number,
    qOffset: number, keyStart: Ids | null, scale: number, out: Buf, lse: Buf,
  ): void;
  /** Gradients of attention; dq, dk, dv are accumulated into (the caller zeroes them). */
  attentionBackward(
    dout: Buf, q: Buf, k: Buf, v: Buf, out: Buf, lse: Buf,
    B: number, Tq: number, Tk: number, Hq: number, Hkv: number, D: number,
    qOffset: number, keyStart: Ids | null, scale: number, dq: Buf, dk: Buf, dv: Buf,
  ): void;

  /**
   * AdamW (decoupled weight decay), in place, bias-corrected for the given step (1-based):
   * m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²; p -= lr·(m̂/(√v̂ + eps) + wd·p).
   */
  adamw(p: Buf, g: Buf, m: Buf, v: Buf, n: number, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number): void;
  /** Σ x[i]² (for gradient-norm clipping). */
  sumSquares(x: Buf, n: number): number;
}

export interface Backend {
  readonly name: 'ts' | 'native';
  /** Threads the kernels use. */
  readonly threads: number;
  /** Float32 lanes per SIMD register the kernels were compiled for (1 for plain TypeScript). */
  readonly simdWidth: number;
  readonly kernels: Kernels;
}
