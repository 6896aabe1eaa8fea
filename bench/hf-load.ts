// Loading a Hugging Face folder of real size: a Qwen2.5-0.5B-shaped model (494M parameters, bf16,
// weights made here, not downloaded) read into float32 by ponder and, in the same run, by the
// PyTorch reference (bench/ref/llama.py load-bench: its own safetensors reader into nn.Modules).
//   PONDER_THREADS=1 npx tsx bench/hf-load.ts [--folder DIR] [--keep]
// Prints one JSON line: seconds for each, their ratio, ponder's resident memory after loading.
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { validateConfig } from '../src/model/config.ts';
import { Transformer } from '../src/model/transformer.ts';
import { hfConfigFromModel } from '../src/model/hf-config.ts';
import { writeHfFolder } from '../src/io/hf.ts';
import { loadAnyModel } from '../src/model/load.ts';
import { runTorchRef } from './ref/torch_env.ts';

const { values } = parseArgs({ options: { folder: { type: 'string' }, keep: { type: 'boolean' } } });
const folder = values.folder ?? join(tmpdir(), 'ponder-bench-qwen2.5-0.5b-shape');

if (!existsSync(folder)) {
  // Qwen2.5-0.5B's shape; weights are a cheap deterministic pattern (loading does not look at them).
  const c = validateConfig({
    architecture: 'Qwen2ForCausalLM', vocab_size: 151936, d_model: 896, n_layers: 24, n_heads: 14, n_kv_heads: 2, d_ff: 4864,
    max_seq_len: 32768, rope_theta: 1e6, norm_eps: 1e-6, tie_embeddings: true, qkv_bias: true,
  }, 'qwen2.5-0.5b shape', { bytesPerParam: 4 });
  const m = new Transformer(c, 0, { randomInit: false });
  for (const [, p] of m.namedParameters()) for (let i = 0; i < p.data.length; i += 61) p.data[i] = ((i % 17) - 8) * 0.01;
  writeHfFolder(folder, { hfConfig: hfConfigFromModel(c, { eos_token_id: 151643 }), tensors: m.namedParameters().map(([n, t]) => [n, { shape: [...t.shape], data: t.data }]) }, 'bf16');
}

const t0 = performance.now();
const loaded = loadAnyModel(folder);
const ponderS = (performance.now() - t0) / 1000;
const rssGiB = process.memoryUsage().rss / 2 ** 30;
const ref = await runTorchRef(['load-bench', '--weights', folder]);
const torchS = ref ? (ref.load_s as number) : null;
console.log(JSON.stringify({
  mode: 'hf-load', folder, params: loaded.info.parameters, dtype: loaded.info.dtype, ponder_s: ponderS,
  torch_s: torchS, ratio_torch_over_ponder: torchS === null ? null : torchS / ponderS, ponder_rss_gib: rssGiB,
}));
if (!values.folder && !values.keep) rmSync(folder, { recursive: true, force: true });
