// Llama 3's RoPE frequency scaling in GGUF: llama.cpp reads it as a tensor `rope_freqs.weight` of
// one factor per rotated pair (each frequency is divided by its factor), computed from the
// config's rope_scaling as convert_hf_to_gguf.py's LlamaModel.generate_extra_tensors does.
import { PonderError } from '../errors.ts';
import type { RopeScaling } from '../model/config.ts';

export function llama3RopeFactors(s: RopeScaling, theta: number, dim: number): Float32Array {
  const out = new Float32Array(dim / 2);
  const lowWavelen = s.original_max_position_embeddings / s.low_freq_factor;
  const highWavelen = s.original_max_position_embeddings / s.high_freq_factor;
  for (let i = 0; i < dim / 2; i++) {
    const freq = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / dim)));
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = s.factor;
    else {
      const smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      out[i] = 1 / ((1 - smooth) / s.factor + smooth);
    }
  }
  return out;
}

/**
 * The rope_scaling a rope_freqs tensor stands for: the parameters ponder stored beside it, else
 * Llama 3.1's published ones (low 1, high 4, original context 8192) with the largest factor; the
 * factors must then match the formula, or the file is refused rather than run wrongly.
 */
export function ropeScalingFromFactors(factors: Float32Array, stored: string | undefined, theta: number, dim: number, where: string): RopeScaling {
  if (factors.length !== dim / 2) throw new PonderError(`${where}: rope_freqs.weight has ${factors.length} factors for a head width of ${dim}`);
  let s: RopeScaling;
  if (stored !== undefined) {
    try { s = JSON.parse(stored) as RopeScaling; } catch { throw new PonderError(`${where}: metadata "ponder.rope_scaling" is not JSON`); }
  } else {
    s = { rope_type: 'llama3', factor: Math.max(...factors), low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
  }
  const want = llama3RopeFactors(s, theta, dim);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(want[i] - factors[i]) > 1e-5 * Math.abs(want[i])) {
      throw new PonderError(`${where}: rope_freqs.weight does not follow Llama 3's scaling (factor ${i} is ${factors[i]}, expected ${want[i]}); this RoPE scaling is not supported`);
    }
  }
  return s;
}
