// `ponder info`: which backend runs the math, on how many threads, how wide its SIMD is.
import type { Command } from '../command.ts';
import { backend } from '../../backend/index.ts';
import { machinePeakGflops } from '../../train/mfu.ts';
import { cpus } from 'node:os';

export const command: Command = {
  name: 'info',
  summary: 'backend, threads, SIMD width and measured FMA peak',
  run() {
    const b = backend();
    console.log(`backend     ${b.name}`);
    console.log(`threads     ${b.threads}`);
    console.log(`simd width  ${b.simdWidth} float32 lanes${b.simdWidth === 16 ? ' (AVX-512)' : b.simdWidth === 8 ? ' (AVX2)' : ''}`);
    console.log(`cpu         ${cpus()[0]?.model ?? '?'} × ${cpus().length}`);
    console.log(`fma peak    ${machinePeakGflops().toFixed(0)} GFLOP/s${b.name === 'native' ? ' (measured)' : ' (assumed; the ts backend cannot measure it)'}`);
    console.log(`node        ${process.version}`);
  },
};
