// The seam between model files and the model: every format (a Hugging Face folder, a GGUF file,
// a ponder checkpoint) is read into these parts, and one builder turns parts into a model.
// Names and layouts are Hugging Face's (config.json keys, `model.layers.0.self_attn.q_proj.weight`
// in (out, in) row-major order), so a format reader only has to translate into one vocabulary.

export interface ModelParts {
  /** config.json's contents, with Hugging Face's key names (`architectures`, `hidden_size`, ...). */
  hfConfig: Record<string, unknown>;
  /** Weight names present, Hugging Face style. */
  tensorNames(): string[];
  /** Shape of a weight, Hugging Face layout (e.g. [out, in] for a projection). */
  tensorShape(name: string): number[];
  /** A weight as float32 in Hugging Face layout (converted or dequantised as needed). */
  tensor(name: string): Float32Array;
  /**
   * Optional: the same weight written straight into `out` (float32, exactly its size). Loading a
   * large model then touches each weight's memory once instead of twice.
   */
  readInto?(name: string, out: Float32Array): void;
  /** How the weights are stored on disk: `f32`, `f16`, `bf16`, `q8_0`, `q4_k_m`, ... (for `ponder info`). */
  dtype: string;
  /** tokenizer.json's contents (Hugging Face tokenizers format), when the source has one. */
  tokenizerJson?: unknown;
  /** tokenizer_config.json's contents (chat_template, bos_token, eos_token, added tokens). */
  tokenizerConfig?: Record<string, unknown>;
  /** generation_config.json's contents (eos_token_id may be a number or a list). */
  generationConfig?: Record<string, unknown>;
  /** The file or folder read, named in every error. */
  source: string;
}
