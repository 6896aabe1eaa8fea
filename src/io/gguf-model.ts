// Models in GGUF files, read into ModelParts (Hugging Face names and layouts, src/model/parts.ts)
// and written from them, for llama.cpp's `llama`, `qwen2` and `qwen3` architectures.
// Metadata keys follow llama.cpp's llama-arch.cpp (`{arch}.embedding_length`, ...); tensor names
// and the q/k permutation are in gguf-names.ts, the tokenizer in gguf-tokenizer.ts.
import { basename } from 'node:path';
import { PonderError } from '../errors.ts';
import type { ModelParts } from '../model/parts.ts';
import { modelConfigFromHf } from '../model/hf-config.ts';
import { headDim, type Architecture, type ModelConfig, type RopeScaling } from '../model/config.ts';
import { GGML_TYPE, blockFormat, quantize, type GgmlType } from '../quant/blocks.ts';
import { openGguf, type GgufFile } from './gguf.ts';
import { kv, type GgufKV } from './gguf-values.ts';
import { writeGguf, type GgufTensorToWrite } from './gguf-write.ts';
import type { HfFolderContents } from './hf.ts';
import { ggufName, hfName, permuteRows, ropeHeads } from './gguf-names.ts';
import { textTokenizerFromGguf, tokenizerFromGguf, tokenizerToGguf, type GgufTokenizer } from './gguf-tokenizer.ts';
import type { TextTokenizer } from '../tokenizer/types.ts';
import { llama3RopeFactors, ropeScalingFromFactors } from './gguf-rope.ts';

type Json = Record<string, unknown>;

const ARCH_NAME: Record<Architecture, string> = { LlamaForCausalLM: 'llama', Qwen2ForCausalLM: 'qwen2', Qwen3ForCausalLM: 'qwen3' };
const ARCH_OF: Record<string, Architecture> = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', qwen3: 'Qwen3ForCausalLM' };

/** llama_ftype values (general.file_type) and the names ponder reports them by. */
const FILE_TYPES: Record<number, string> = {
  0: 'f32', 1: 'f16', 2: 'q4_0', 3: 'q4_1', 7: 'q8_0', 8: 'q5_0', 9: 'q5_1', 10: 'q2_k', 11: 'q3_k_s', 12: 'q3_k_m',
  13: 'q3_k_l', 14: 'q4_k_s', 15: 'q4_k_m', 16: 'q5_k_s', 17: 'q5_k_m', 18: 'q6_k', 32: 'bf16',
};

export type GgufDtype = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_k_m';
const FILE_TYPE_OF: Record<GgufDtype, number> = { f32: 0, f16: 1, q8_0: 7, q4_k_m: 15, bf16: 32 };

// ---------------------------------------------------------------- reading

/** A GGUF model file as ModelParts; weights are read and dequantised when `tensor(name)` asks. */
export function readGgufParts(path: string): ModelParts {
  const file = openGguf(path);
  try {
    return partsOf(file);
  } catch (e) {
    file.close();
    throw e;
  }
}

/**
 * The parts of an open GGUF file for the quantised runner, which reads the weights itself: its
 * tokenizer built straight from the file's packed vocabulary (no tokenizer.json object, so the
 * parts' tokenizerJson is undefined). The caller closes the file.
 */
export function ggufPartsWithTokenizer(file: GgufFile): { parts: ModelParts; tokenizer: TextTokenizer | null } {
  const tok = textTokenizerFromGguf(file.metadata, `${file.path} (its vocabulary)`);
  return { parts: partsOf(file, tok), tokenizer: tok?.tokenizer ?? null };
}

function partsOf(file: GgufFile, given?: Omit<GgufTokenizer, 'tokenizerJson'> & { tokenizerJson?: unknown }): ModelParts {
  const m = file.metadata, where = `GGUF ${file.path}`;
  const fail = (why: string): never => { throw new PonderError(`${where}: ${why}`); };
  const archName = m.string('general.architecture') ?? fail('metadata "general.architecture" is missing');
  const architecture = ARCH_OF[archName] ?? fail(`architecture "${archName}" is not supported (ponder runs ${Object.keys(ARCH_OF).join(', ')})`);
  const key = (k: string) => `${archName}.${k}`;

  const byHf = new Map<string, string>();
  let ropeFreqs: Float32Array | undefined;
  for (const t of file.tensors) {
    if (t.name === 'rope_freqs.weight') { ropeFreqs = file.readF32(t); continue; }
    const hf = hfName(t.name) ?? fail(`tensor "${t.name}" is not a weight of the ${archName} architecture that ponder knows`);
    byHf.set(hf, t.name);
  }
  const embd = byHf.has('model.embed_tokens.weight') ? file.tensor('token_embd.weight') : fail('tensor "token_embd.weight" is missing');
  const nHeads = m.requireNumber(key('attention.head_count'));
  const nKv = m.number(key('attention.head_count_kv')) ?? nHeads;
  const d = m.requireNumber(key('embedding_length'));
  const keyLen = m.number(key('attention.key_length')), valueLen = m.number(key('attention.value_length'));
  if (keyLen !== undefined && valueLen !== undefined && keyLen !== valueLen) fail(`attention.key_length ${keyLen} differs from attention.value_length ${valueLen} (ponder needs them equal)`);
  const tok = given ?? tokenizerFromGguf(m);
  const hfConfig: Json = {
    architectures: [architecture],
    model_type: archName,
    vocab_size: embd.shape[0],
    hidden_size: d,
    intermediate_size: m.requireNumber(key('feed_forward_length')),
    num_hidden_layers: m.requireNumber(key('block_count')),
    num_attention_heads: nHeads,
    num_key_value_heads: nKv,
    hidden_act: 'silu',
    max_position_embeddings: m.requireNumber(key('context_length')),
    rms_norm_eps: m.requireNumber(key('attention.layer_norm_rms_epsilon')),
    rope_theta: m.number(key('rope.freq_base')) ?? 10000,
    tie_word_embeddings: !byHf.has('lm_head.weight'),
  };
  if (keyLen !== undefined) hfConfig.head_dim = keyLen;
  const ropeDims = m.number(key('rope.dimension_count'));
  const hd = keyLen ?? d / nHeads;
  if (ropeDims !== undefined && ropeDims !== hd) fail(`rope.dimension_count ${ropeDims} is not the head width ${hd} (partial RoPE is not supported)`);
  const scalingType = m.string(key('rope.scaling.type'));
  if (scalingType !== undefined && scalingType !== 'none') fail(`rope scaling "${scalingType}" is not supported`);
  if (ropeFreqs) hfConfig.rope_scaling = ropeScalingFromFactors(ropeFreqs, m.string('ponder.rope_scaling'), Number(hfConfig.rope_theta), hd, where);
  if (tok?.bosId !== undefined) hfConfig.bos_token_id = tok.bosId;
  if (tok && tok.eosIds.length) hfConfig.eos_token_id = tok.eosIds[0];

  // The config as ponder reads it: its head counts decide the permutation of a llama file's q and k.
  const config = modelConfigFromHf(hfConfig, where);
  const permute = archName === 'llama';
  const info = (name: string) => file.tensor(byHf.get(name) ?? fail(`no tensor for "${name}"`));
  return {
    hfConfig,
    tensorNames: () => [...byHf.keys()],
    tensorShape: (name) => [...info(name).shape],
    tensor: (name) => {
      const t = info(name);
      const x = file.readF32(t);
      const heads = permute ? ropeHeads(name, config.n_heads, config.n_kv_heads) : 0;
      return heads ? permuteRows(x, t.shape[0], t.nelements / t.shape[0], heads, false) : x;
    },
    dtype: dtypeOf(file),
    tokenizerJson: tok?.tokenizerJson,
    tokenizerConfig: tok?.tokenizerConfig,
    generationConfig: tok && tok.eosIds.length ? { eos_token_id: tok.eosIds.length === 1 ? tok.eosIds[0] : tok.eosIds, ...(tok.bosId !== undefined ? { bos_token_id: tok.bosId } : {}) } : undefined,
    source: file.path,
  };
}

/** general.file_type's name, else the type most weights use. */
function dtypeOf(file: GgufFile): string {
  const ft = file.metadata.number('general.file_type');
  if (ft !== undefined && FILE_TYPES[ft]) return FILE_TYPES[ft];
  const counts = new Map<string, number>();
  for (const t of file.tensors) if (t.shape.length > 1) counts.set(blockFormat(t.type).name, (counts.get(blockFormat(t.type).name) ?? 0) + t.nelements);
  return ([...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'f32').toLowerCase();
}

// ---------------------------------------------------------------- writing

/** What writeGgufModel needs of a model: ModelParts' weights and configs. */
export type GgufModelSource = Pick<ModelParts, 'hfConfig' | 'tensorNames' | 'tensorShape' | 'tensor'> &
  Partial<Pick<ModelParts, 'tokenizerJson' | 'tokenizerConfig' | 'source'>> & {
    /**
     * A weight's bytes already encoded in `type` (in GGUF's layout, q/k permuted for llama), or
     * undefined to have writeGgufModel encode tensor(name). Benchmarks use it to write random
     * blocks of a large model without quantising (speed does not depend on the values).
     */
    encoded?: (name: string, type: GgmlType, shape: number[]) => Uint8Array | undefined;
  };

export interface WriteGgufOptions {
  /** general.name (default: the source's base name). */
  name?: string;
}

/** Writes a model as a GGUF file llama.cpp runs; 2-D weights in `dtype`, norms and biases in f32. */
export function writeGgufModel(path: string, parts: GgufModelSource, dtype: GgufDtype, opts: WriteGgufOptions = {}): void {
  if (!(dtype in FILE_TYPE_OF)) throw new PonderError(`GGUF ${path}: dtype "${dtype}" cannot be written (choose f32, f16, bf16, q8_0 or q4_k_m)`);
  const where = parts.source ?? path;
  const config = modelConfigFromHf(parts.hfConfig, where);
  const archName = ARCH_NAME[config.architecture ?? 'LlamaForCausalLM'];
  const metadata: [string, GgufKV][] = [
    ['general.architecture', kv.str(archName)],
    ['general.name', kv.str(opts.name ?? (parts.source ? basename(parts.source) : 'ponder'))],
    ['general.file_type', kv.u32(FILE_TYPE_OF[dtype])],
    ['general.quantization_version', kv.u32(2)],
    ...archMetadata(archName, config),
  ];
  if (parts.tokenizerJson !== undefined) {
    metadata.push(...tokenizerToGguf(parts.tokenizerJson, parts.tokenizerConfig, parts.hfConfig, config.vocab_size, where));
  }
  const tensors: GgufTensorToWrite[] = [];
  if (config.rope_scaling) {
    // llama.cpp takes Llama 3's frequency scaling as a tensor of per-pair factors (convert_hf_to_gguf.py).
    metadata.push(['ponder.rope_scaling', kv.str(JSON.stringify(config.rope_scaling))]);
    const f = llama3RopeFactors(config.rope_scaling, config.rope_theta, headDim(config));
    tensors.push({ name: 'rope_freqs.weight', shape: [f.length], type: GGML_TYPE.F32, data: quantize(GGML_TYPE.F32, f) });
  }
  const names = parts.tensorNames().filter((n) => !n.endsWith('.rotary_emb.inv_freq') && !(config.tie_embeddings && n === 'lm_head.weight'));
  for (const name of names) {
    const gname = ggufName(name) ?? (() => { throw new PonderError(`${where}: tensor "${name}" has no GGUF name`); })();
    const shape = parts.tensorShape(name);
    const type = ggufTensorType(gname, shape, dtype, config);
    const heads = archName === 'llama' ? ropeHeads(name, config.n_heads, config.n_kv_heads) : 0;
    tensors.push({
      name: gname, shape, type,
      data: () => {
        const given = parts.encoded?.(name, type, shape);
        if (given) return given;
        let x = parts.tensor(name);
        if (heads) x = permuteRows(x, shape[0], x.length / shape[0], heads, true);
        return quantize(type, x);
      },
    });
  }
  writeGguf(path, { metadata, tensors });
}

function archMetadata(a: string, c: ModelConfig): [string, GgufKV][] {
  const hd = headDim(c);
  const out: [string, GgufKV][] = [
    [`${a}.vocab_size`, kv.u32(c.vocab_size)],
    [`${a}.context_length`, kv.u32(c.max_seq_len)],
    [`${a}.embedding_length`, kv.u32(c.d_model)],
    [`${a}.block_count`, kv.u32(c.n_layers)],
    [`${a}.feed_forward_length`, kv.u32(c.d_ff)],
    [`${a}.attention.head_count`, kv.u32(c.n_heads)],
    [`${a}.attention.head_count_kv`, kv.u32(c.n_kv_heads)],
    [`${a}.attention.layer_norm_rms_epsilon`, kv.f32(c.norm_eps)],
    [`${a}.rope.freq_base`, kv.f32(c.rope_theta)],
    [`${a}.rope.dimension_count`, kv.u32(hd)],
  ];
  if (hd !== c.d_model / c.n_heads) out.push([`${a}.attention.key_length`, kv.u32(hd)], [`${a}.attention.value_length`, kv.u32(hd)]);
  return out;
}

/**
 * The storage type of one weight: 1-D tensors stay f32 (as convert_hf_to_gguf.py keeps them);
 * rows that do not fill whole blocks fall back to a type they do fill. q4_k_m follows
 * llama-quantize's mix: Q6_K for the output head (a tied embedding too) and for attn_v/ffn_down in the layers
 * use_more_bits picks, Q4_K elsewhere, with its fallbacks for rows of other lengths.
 */
export function ggufTensorType(gname: string, shape: number[], dtype: GgufDtype, config: ModelConfig): GgmlType {
  const nLayers = config.n_layers;
  if (shape.length < 2) return GGML_TYPE.F32;
  const rowLen = shape[shape.length - 1];
  const fits = (t: GgmlType) => rowLen % blockFormat(t).blockSize === 0;
  switch (dtype) {
    case 'f32': return GGML_TYPE.F32;
    case 'f16': return GGML_TYPE.F16;
    case 'bf16': return GGML_TYPE.BF16;
    case 'q8_0': return fits(GGML_TYPE.Q8_0) ? GGML_TYPE.Q8_0 : GGML_TYPE.F16;
    case 'q4_k_m': {
      const layer = /^blk\.(\d+)\./.exec(gname);
      const i = layer ? Number(layer[1]) : -1;
      const eighth = Math.floor(nLayers / 8);
      const moreBits = i >= 0 && (i < eighth || i >= Math.floor((7 * nLayers) / 8) || (i - eighth) % 3 === 2);
      // A tied embedding is also the output head: it gets the head's type.
      const head = gname === 'output.weight' || (config.tie_embeddings && gname === 'token_embd.weight');
      const want = head || (moreBits && /\.(attn_v|ffn_down)\.weight$/.test(gname)) ? GGML_TYPE.Q6_K : GGML_TYPE.Q4_K;
      if (fits(want)) return want;
      // llama-quantize's fallbacks (tensor_type_fallback): Q4_K -> Q5_0, Q6_K -> Q8_0, else F16.
      const fallback = want === GGML_TYPE.Q4_K ? GGML_TYPE.Q5_0 : GGML_TYPE.Q8_0;
      return fits(fallback) ? fallback : GGML_TYPE.F16;
    }
  }
}

/** The files of a Hugging Face folder in memory (src/model/hf-export.ts's hfFolderOf) as a GgufModelSource. */
export function ggufSourceOf(contents: HfFolderContents, source?: string): GgufModelSource {
  const tensors = new Map(contents.tensors);
  const get = (name: string) => tensors.get(name) ?? (() => { throw new PonderError(`${source ?? 'model'}: no weight "${name}"`); })();
  return {
    hfConfig: contents.hfConfig,
    tensorNames: () => [...tensors.keys()],
    tensorShape: (name) => [...get(name).shape],
    tensor: (name) => get(name).data,
    tokenizerJson: contents.tokenizerJson,
    tokenizerConfig: contents.tokenizerConfig,
    source,
  };
}
