// RoPE for the runner: per row, the cos/sin of its own position (rows of a decode batch sit at
// different positions), computed per step in float64 and rounded once, as the model's tables are.
import { ropeFrequencies } from '../../nn/rope.ts';
import type { RunnerConfig } from './config.ts';

export class Rotary {
  private readonly inv: Float64Array;
  readonly half: number;

  constructor(private readonly c: RunnerConfig) {
    this.inv = ropeFrequencies(c.headDim, c.ropeTheta, c.ropeScaling);
    if (c.ropeFreqFactors) for (let i = 0; i < this.inv.length; i++) this.inv[i] /= c.ropeFreqFactors[i];
    this.half = c.headDim / 2;
  }

  /** cos, sin (rows, D/2) for the given positions. */
  tables(pos: ArrayLike<number>, rows: number, cos: Float32Array, sin: Float32Array): void {
    const h = this.half;
    for (let r = 0; r < rows; r++)
      for (let i = 0; i < h; i++) {
        const a = pos[r] * this.inv[i];
        cos[r * h + i] = Math.cos(a);
        sin[r * h + i] = Math.sin(a);
      }
  }

  /** Rotates x (rows, H, D) in place, row r by cos/sin row r. */
  apply(x: Float32Array, rows: number, H: number, cos: Float32Array, sin: Float32Array): void {
    const D = this.c.headDim, h = this.half, pairs = this.c.ropeStyle === 'pairs';
    for (let r = 0; r < rows; r++) {
      const cr = r * h;
      for (let hh = 0; hh < H; hh++) {
        const o = (r * H + hh) * D;
        for (let i = 0; i < h; i++) {
          const a = pairs ? o + 2 * i : o + i, b = pairs ? a + 1 : a + h;
          const x1 = x[a], x2 = x[b], c = cos[cr + i], s = sin[cr + i];
          x[a] = x1 * c - x2 * s;
          x[b] = x2 * c + x1 * s;
        }
      }
    }
  }
}
