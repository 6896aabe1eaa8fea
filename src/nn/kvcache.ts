// KV cache: per layer, keys and values of every position generated so far, (B, Tmax, Hkv, D).
// Preallocated once so decoding allocates nothing per token.
import { Tensor } from '../tensor/index.ts';

export class KVCache {
  readonly k: Tensor[];
  readonly v: Tensor[];
  /** Positions filled so far (the same for every row: prompts are left-padded). */
  length = 0;

  constructor(readonly layers: number, readonly B: number, readonly Tmax: number, readonly Hkv: number, readonly D: number) {
    const mk = () => new Tensor(new Float32Array(B * Tmax * Hkv * D), [B, Tmax, Hkv, D]);
    this.k = Array.from({ length: layers }, mk);
    this.v = Array.from({ length: layers }, mk);
  }

  /** Writes new keys or values (B, T, Hkv, D) at positions [pos, pos + T) of a layer's cache. */
  static write(cache: Tensor, x: Tensor, pos: number): void {
    const [B, Tmax, Hkv, D] = cache.shape;
    const T = x.shape[1], row = Hkv * D;
    for (let b = 0; b < B; b++) cache.data.set(x.data.subarray(b * T * row, (b + 1) * T * row), (b * Tmax + pos) * row);
  }
}
