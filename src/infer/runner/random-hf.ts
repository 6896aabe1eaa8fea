// Random-weight Hugging Face folders with real shapes (e.g. Qwen2.5-0.5B in bf16, ~1 GB) for
// measuring how the runner loads and runs a folder in place: config.json from the same writer as
// ponder's exporter, one model.safetensors streamed tensor by tensor (no f32 copy of the model is
// ever held), optionally a real tokenizer's files copied beside it so the CLI can run the folder.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import { GGML_TYPE } from '../../quant/blocks.ts';
import { validateConfig, type ModelConfig } from '../../model/config.ts';
import { expectedTensors, hfConfigFromModel } from '../../model/hf-config.ts';
import { encodeHalves, type FloatDtype } from '../../io/safetensors.ts';
import { writeFileAtomic, writeFileAtomicWith } from '../../store/atomic.ts';
import { swapFolderIntoPlace } from '../../io/folder.ts';
import { randomBlocks, type ModelShape } from './random-gguf.ts';

const BYTES: Record<FloatDtype, number> = { F32: 4, F16: 2, BF16: 2 };
const TORCH: Record<FloatDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/** The Qwen2 config of a shape (q/k/v biases, as Qwen2.5 and the R1 distills are). */
export function qwen2Config(shape: ModelShape, tied: boolean): ModelConfig {
  return validateConfig({
    architecture: 'Qwen2ForCausalLM', vocab_size: shape.vocab, d_model: shape.d, n_layers: shape.layers, n_heads: shape.heads,
    n_kv_heads: shape.kvHeads, d_ff: shape.ff, max_seq_len: shape.context, rope_theta: 1e6, norm_eps: 1e-6, tie_embeddings: tied, qkv_bias: true,
  }, shape.name, { bytesPerParam: 2 });
}

/** n values about N(0, 0.02²) (matrices) or mean ± spread (norms, biases), as `dtype` bytes. */
function values(n: number, dtype: FloatDtype, mean: number, spread: number): Uint8Array {
  if (dtype === 'BF16' && mean === 0 && spread === 0) return randomBlocks(GGML_TYPE.BF16, n);
  if (dtype === 'F32' && mean === 0 && spread === 0) return randomBlocks(GGML_TYPE.F32, n);
  const r = new Uint16Array(n), v = new Float32Array(n);
  randomFillSync(r);
  for (let i = 0; i < n; i++) v[i] = spread === 0 ? (r[i] / 65536 - 0.5) * 0.07 : mean + (r[i] / 65536 - 0.5) * 2 * spread;
  return dtype === 'F32' ? new Uint8Array(v.buffer) : encodeHalves(v, dtype);
}

/**
 * Writes a random Qwen2 folder of `shape` (atomically: a temporary folder renamed into place);
 * `tokenizer` names a folder whose tokenizer.json and tokenizer_config.json are copied in.
 */
export function writeRandomHfFolder(dir: string, shape: ModelShape, dtype: FloatDtype, opts: { tied?: boolean; tokenizer?: string } = {}): ModelConfig {
  const c = qwen2Config(shape, opts.tied ?? true);
  const tensors = [...expectedTensors(c)];
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, shp] of tensors) {
    const bytes = shp.reduce((a, b) => a * b, 1) * BYTES[dtype];
    header[name] = { dtype, shape: shp, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // data 8-byte aligned, as the reference writer does
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileAtomicWith(join(tmp, 'model.safetensors'), (write) => {
      const len = new Uint8Array(8);
      new DataView(len.buffer).setBigUint64(0, BigInt(json.length), true);
      write(len);
      write(new TextEncoder().encode(json));
      for (const [name, shp] of tensors) {
        const n = shp.reduce((a, b) => a * b, 1);
        if (shp.length === 2) write(values(n, dtype, 0, 0));
        else write(name.endsWith('.bias') ? values(n, dtype, 0, 0.1) : values(n, dtype, 1, 0.2));
      }
    });
    writeFileAtomic(join(tmp, 'config.json'), JSON.stringify(hfConfigFromModel(c, { torch_dtype: TORCH[dtype] }), null, 2) + '\n');
    if (opts.tokenizer) for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(opts.tokenizer, f), join(tmp, basename(f)));
    swapFolderIntoPlace(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return c;
}
