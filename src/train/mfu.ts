// Model FLOP utilisation: achieved FLOP/s over the machine's measured FMA peak.
import { backend } from '../backend/index.ts';
import { peakGflops } from '../backend/native/index.ts';
import type { ModelConfig } from '../model/config.ts';
import { trainFlopsPerToken } from '../model/flops.ts';

let peak: number | null = null;

/** The FMA peak of this machine in GFLOP/s on the backend's threads (measured once, ~50 ms). */
export function machinePeakGflops(): number {
  if (peak === null) {
    try {
      peak = backend().name === 'native' ? peakGflops(0.05) : NaN;
    } catch {
      peak = NaN;
    }
    // Without the native addon there is no FMA loop to measure with: use a figure measured on the development machines (docs/architecture.md).
    if (!(peak! > 0)) peak = 440;
  }
  return peak!;
}

export function trainMfu(config: ModelConfig, seqLen: number, tokensPerSecond: number): number {
  return (tokensPerSecond * trainFlopsPerToken(config, seqLen)) / 1e9 / machinePeakGflops();
}
