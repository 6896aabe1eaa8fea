// `ponder info`: which backend runs the math, on how many threads, how wide its SIMD is; with
// --model, what a model is: architecture, parameters, storage type, context and memory needed.
import { parseFlags, type Command } from '../command.ts';
import { backend } from '../../backend/index.ts';
import { machinePeakGflops } from '../../train/mfu.ts';
import { cpus } from 'node:os';
import { loadServedModel, MODEL_FLAGS, modelPath, type ServedModel } from '../shared.ts';
import { headDim } from '../../model/config.ts';
import { quantKernelSet } from '../../backend/native/quant.ts';

const GiB = 1024 ** 3;
const gib = (bytes: number) => (bytes < GiB ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : `${(bytes / GiB).toFixed(2)} GiB`);

/** Lines describing a loaded model (what `ponder info --model X` prints). */
export function modelInfoLines(m: ServedModel): string[] {
  const i = m.info, c = m.config;
  const ctx4k = Math.min(4096, i.contextLength);
  return [
    `model        ${m.name} (${m.source})`,
    `format       ${i.format === 'hf' ? 'Hugging Face folder' : i.format === 'gguf' ? 'GGUF file' : 'ponder checkpoint'}`,
    `architecture ${i.architecture}: ${c.n_layers} layers, d_model ${c.d_model}, ${c.n_heads} heads (${c.n_kv_heads} kv) of ${headDim(c)}, ffn ${c.d_ff}, vocab ${c.vocab_size}`,
    `parameters   ${i.parameters.toLocaleString('en-US')} (${(i.parameters / 1e9).toFixed(2)}B)`,
    `dtype        ${i.dtype} on disk; ${m.runner ? 'used in place by the quantised runner (memory-mapped)' : 'float32 in memory'}`,
    `context      ${i.contextLength.toLocaleString('en-US')} tokens`,
    m.runner ? memoryLine(m.runner.fileBytes, m.runner.kvBytesPerToken, ctx4k, i.contextLength, 'file')
      : memoryLine(i.weightBytes, i.kvBytesPerToken, ctx4k, i.contextLength, 'weights'),
    `chat         ${m.chat === null ? 'no template (raw text only)' : m.chat.kind === 'ponder' ? "ponder's format" : 'the model\'s Jinja template'}` +
      `${m.chat?.think ? ', <think> reasoning' : ''}; stops on ids ${m.chat?.stopIds.join(', ') ?? '-'}`,
  ];
}

/** Weights (the mapped file, or float32 copies) plus one sequence's KV cache at 4k and at the full context. */
function memoryLine(weights: number, kvPerToken: number, ctx4k: number, ctx: number, what: 'file' | 'weights'): string {
  return `memory       ${what} ${gib(weights)} + KV cache ${(kvPerToken / 1024).toFixed(1)} KiB/token: ` +
    `${gib(weights + kvPerToken * ctx4k)} at ${ctx4k} tokens, ${gib(weights + kvPerToken * ctx)} at the full context (one sequence)`;
}

export const command: Command = {
  name: 'info',
  summary: 'backend, threads, SIMD width, quantised kernels and FMA peak; with --model, what a model is and the memory it needs',
  run(argv) {
    const { values } = parseFlags(argv, { ...MODEL_FLAGS, help: { type: 'boolean', short: 'h' } }, false);
    if (values.help) {
      console.log('usage: ponder info [--model hf-folder|file.gguf|checkpoint]');
      return 0;
    }
    if (values.model !== undefined || values.checkpoint !== undefined) {
      for (const line of modelInfoLines(loadServedModel(modelPath(values)))) console.log(line);
      return 0;
    }
    const b = backend();
    console.log(`backend     ${b.name}`);
    console.log(`threads     ${b.threads}`);
    console.log(`simd width  ${b.simdWidth} float32 lanes${b.simdWidth === 16 ? ' (AVX-512)' : b.simdWidth === 8 ? ' (AVX2)' : ''}`);
    console.log(`quantised   ${quantKernelSet() ?? 'TypeScript reference (no native addon)'}`);
    console.log(`cpu         ${cpus()[0]?.model ?? '?'} × ${cpus().length}`);
    console.log(`fma peak    ${machinePeakGflops().toFixed(0)} GFLOP/s${b.name === 'native' ? ' (measured)' : ' (assumed; the ts backend cannot measure it)'}`);
    console.log(`node        ${process.version}`);
    return 0;
  },
};
