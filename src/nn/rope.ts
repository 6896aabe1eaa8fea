// RoPE's angle tables: position p rotates pair i of a head by p·ω_i with ω_i = θ^(-2i/D)
// (Su et al.), optionally rescaled for long context as Llama 3.1 does ("llama3" rope_scaling):
// wavelengths longer than original_context/low_freq_factor are slowed by `factor`, those shorter
// than original_context/high_freq_factor are kept, and the band between is interpolated.
import { ropeTable, type RopeTable } from '../tensor/index.ts';
import type { RopeScaling } from '../model/config.ts';

/** The inverse frequencies ω_i (D/2 of them), in float64. */
export function ropeFrequencies(D: number, theta: number, scaling?: RopeScaling | null): Float64Array {
  const inv = new Float64Array(D / 2);
  for (let i = 0; i < D / 2; i++) inv[i] = Math.pow(theta, (-2 * i) / D);
  if (!scaling) return inv;
  const { factor, low_freq_factor: lo, high_freq_factor: hi, original_max_position_embeddings: ctx } = scaling;
  const lowFreqWavelen = ctx / lo, highFreqWavelen = ctx / hi;
  for (let i = 0; i < inv.length; i++) {
    const wavelen = (2 * Math.PI) / inv[i];
    if (wavelen > lowFreqWavelen) inv[i] /= factor;
    else if (wavelen >= highFreqWavelen) {
      const smooth = (ctx / wavelen - lo) / (hi - lo);
      inv[i] = (1 - smooth) * (inv[i] / factor) + smooth * inv[i];
    }
  }
  return inv;
}

const scaledTables = new Map<string, RopeTable>();

/** cos/sin tables (maxPos, D/2), cached; unscaled ones are the tensor engine's own. */
export function rotaryTable(D: number, theta: number, maxPos: number, scaling?: RopeScaling | null): RopeTable {
  if (!scaling) return ropeTable(D, theta, maxPos);
  const key = `${D}:${theta}:${maxPos}:${JSON.stringify(scaling)}`;
  let t = scaledTables.get(key);
  if (!t) {
    const inv = ropeFrequencies(D, theta, scaling), half = D / 2;
    const cos = new Float32Array(maxPos * half), sin = new Float32Array(maxPos * half);
    for (let p = 0; p < maxPos; p++)
      for (let i = 0; i < half; i++) {
        const a = p * inv[i]; // float64 angle, rounded once
        cos[p * half + i] = Math.cos(a);
        sin[p * half + i] = Math.sin(a);
      }
    t = { cos, sin };
    scaledTables.set(key, t);
  }
  return t;
}
