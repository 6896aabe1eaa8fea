// The FLOP formula lives with the model (src/model/flops.ts); benchmarks import it from here too.
export * from '../src/model/flops.ts';
