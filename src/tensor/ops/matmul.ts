// Matrix multiplication: batched, either operand transposed, a 2-D right operand shared by a batch.
import { backend } from '../../backend/index.ts';
import { Tensor, empty, fmt } from '../tensor.ts';
import { needsGrad, record, gradOf } from '../tape.ts';
import { ShapeError } from '../errors.ts';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

/**
 * C = op(A) · op(B). A (..., M, K) or (..., K, M) when transA; B (..., K, N) or (..., N, K) when
 * transB, with the same leading dimensions as A, or 2-D and shared by every batch item.
 * A Linear layer is matmul(x, W, { transB: true }) with W (out, in) as PyTorch stores it.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false, transB = opts.transB ?? false;
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(`matmul: operands need rank >= 2, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const [ar, ac] = a.shape.slice(-2), [br, bc] = b.shape.slice(-2);
  const M = transA ? ac : ar, K = transA ? ar : ac;
  const Kb = transB ? bc : br, N = transB ? br : bc;
  if (K !== Kb) throw new ShapeError(`matmul: inner dimensions differ (${K} vs ${Kb}) for ${fmt(a.shape)}${transA ? 'ᵀ' : ''} · ${fmt(b.shape)}${transB ? 'ᵀ' : ''}`);
  const lead = a.shape.slice(0, -2);
  const batch = lead.reduce((x, y) => x * y, 1);
  const shared = b.rank === 2;
  if (!shared && (b.rank !== a.rank || b.shape.slice(0, -2).some((d, i) => d !== lead[i]))) {
    throw new ShapeError(`matmul: batch dimensions differ: ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  const out = empty([...lead, M, N]);
  const k = backend().kernels;
  // A shared B against an untransposed A is one big GEMM with the batch folded into M.
  const fold = shared && !transA;
  if (fold) k.gemm(1, batch * M, N, K, a.data, 0, false, b.data, 0, transB, out.data, 0, false);
  else k.gemm(batch, M, N, K, a.data, M * K, transA, b.data, shared ? 0 : K * N, transB, out.data, M * N, false);

  if (!needsGrad(a, b)) return out;
  return record(out, () => {
    const dC = out.grad!.data;
    if (a.requiresGrad) {
      const dA = gradOf(a).data;
      if (fold) {
        // dA (bM×K) = dC (bM×N) · op(B)ᵀ
        k.gemm(1, batch * M, K, N, dC, 0, false, b.data, 0, !transB, dA, 0, true);
      } else if (!transA) {
        k.gemm(batch, M, K, N, dC, M * N, false, b.data, shared ? 0 : K * N, !transB, dA, M * K, true);
      } else {
        // stored Aᵀ (K×M) = op(B) (K×N) · dCᵀ (N×M)
        k.gemm(batch, K, M, N, b.data, shared ? 0 : K * N, transB, dC, M * N, true, dA, M * K, true);
      }
    }
    if (b.requiresGrad) {
      const dB = gradOf(b).data;
      if (fold) {
        if (!transB) k.gemm(1, K, N, batch * M, a.data, 0, true, dC, 0, false, dB, 0, true);
        else k.gemm(1, N, K, batch * M, dC, 0, true, a.data, 0, false, dB, 0, true);
      } else if (shared) {
        // One GEMM per batch item, each adding into the one shared gradient.
        for (let i = 0; i < batch; i++) {
          const ai = a.data.subarray(i * M * K, (i + 1) * M * K), ci = dC.subarray(i * M * N, (i + 1) * M * N);
          if (!transB) k.gemm(1, K, N, M, ai, 0, !transA, ci, 0, false, dB, 0, true);
          else k.gemm(1, N, K, M, ci, 0, true, ai, 0, transA, dB, 0, true);
        }
      } else if (!transB) {
        // dB (K×N) = op(A)ᵀ (K×M) · dC (M×N)
        k.gemm(batch, K, N, M, a.data, M * K, !transA, dC, M * N, false, dB, K * N, true);
      } else {
        // stored Bᵀ (N×K) = dCᵀ (N×M) · op(A) (M×K)
        k.gemm(batch, N, K, M, dC, M * N, true, a.data, M * K, transA, dB, K * N, true);
      }
    }
  });
}
