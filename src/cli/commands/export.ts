// `ponder export --format hf --out DIR`: a model (a ponder checkpoint, by default the embedded one;
// or any model --model takes) written in a format other tools read.
import { parseFlags, type Command } from '../command.ts';
import { EMBEDDED_MODEL } from '../shared.ts';
import { PonderError } from '../../errors.ts';
import { loadAnyModel, type LoadedModel } from '../../model/load.ts';
import { hfFolderOf } from '../../model/hf-export.ts';
import { writeHfFolder, type HfDtype } from '../../io/hf.ts';
import { writeGgufModel, ggufSourceOf, type GgufDtype } from '../../io/gguf-model.ts';

const GGUF_DTYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_k_m'];

const HELP = `usage: ponder export --format hf --out DIR [--dtype f32|f16|bf16] [--model PATH]
       ponder export --format gguf --out FILE.gguf [--dtype f32|f16|bf16|q8_0|q4_k_m] [--model PATH]

Writes the model (default: the embedded one; --model or --checkpoint: a ponder checkpoint, a
Hugging Face folder or a .gguf file) in another format:
  hf    a Hugging Face folder: config.json (LlamaForCausalLM for ponder's models), model.safetensors
        in --dtype (default f32), tokenizer.json, tokenizer_config.json with the chat template in
        Jinja, generation_config.json. transformers, TRL and veRL load it as it is.
  gguf  one GGUF file (version 3) that llama.cpp runs: architecture llama (ponder's models, q/k
        rows permuted for llama.cpp's RoPE), qwen2 or qwen3; the tokenizer (byte-level BPE,
        pre-tokenizer "qwen2") and chat template inside; matrices in --dtype (default f32;
        q4_k_m mixes Q4_K and Q6_K as llama-quantize does), norms and biases in f32.`;

/** One writer per format; each checks its own --dtype. */
const EXPORTERS: Record<string, (loaded: LoadedModel, out: string, dtype: string | undefined) => string> = {
  hf(loaded, out, dtype = 'f32') {
    if (!['f32', 'f16', 'bf16'].includes(dtype)) throw new PonderError(`--dtype ${dtype} is not available for --format hf (f32, f16 or bf16)`);
    writeHfFolder(out, hfFolderOf(loaded), dtype as HfDtype);
    return `${out} (Hugging Face folder, ${dtype})`;
  },
  gguf(loaded, out, dtype = 'f32') {
    if (!GGUF_DTYPES.includes(dtype)) throw new PonderError(`--dtype ${dtype} is not available for --format gguf (${GGUF_DTYPES.join(', ')})`);
    writeGgufModel(out, ggufSourceOf(hfFolderOf(loaded), loaded.source), dtype as GgufDtype);
    return `${out} (GGUF, ${dtype})`;
  },
};

export const command: Command = {
  name: 'export',
  summary: 'write a model as a Hugging Face folder or a GGUF file',
  run(argv) {
    const { values } = parseFlags(argv, {
      format: { type: 'string' }, out: { type: 'string' }, dtype: { type: 'string' },
      model: { type: 'string' }, checkpoint: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    }, false);
    if (values.help) { console.log(HELP); return 0; }
    if (!values.format || !values.out) { console.log(HELP); return 2; }
    const exporter = EXPORTERS[values.format];
    if (!exporter) throw new PonderError(`--format ${values.format} is not one of ${Object.keys(EXPORTERS).join(', ')}`);
    if (values.model && values.checkpoint) throw new PonderError('give --model or --checkpoint, not both');
    const loaded = loadAnyModel(values.model ?? values.checkpoint ?? EMBEDDED_MODEL);
    const where = exporter(loaded, values.out, values.dtype);
    console.log(`export: ${loaded.info.architecture}, ${loaded.info.parameters.toLocaleString('en-US')} parameters -> ${where}`);
    return 0;
  },
};
