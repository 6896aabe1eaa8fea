// When inference may take a shortcut. Decoding a few rows without gradients is bound by reading
// the weights and by per-call costs, not by arithmetic: fused products (one over Q, K, V; one over
// gate and up) and writing k and v straight into the cache pay off there, and nowhere else.
import { isGradEnabled } from '../tensor/index.ts';

/** At most this many rows (B·T) count as "a few" (a decode step of a small batch). */
export const FEW_ROWS = 4;

/** Whether a forward over `rows` rows is a decode step that may use the fused, cache-writing path. */
export function isFewRowDecode(rows: number): boolean {
  return rows <= FEW_ROWS && !isGradEnabled();
}
