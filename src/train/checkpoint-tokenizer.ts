// The tokenizer side of the training loops' checkpoints, for either kind of model: ponder's own
// tokenizer is saved as its tokenizer.json; an imported model's tokenizer files (tokenizer.json,
// tokenizer_config.json with its chat template, generation_config.json) travel unchanged, so the
// fine-tuned model loads, chats and exports with the tokenizer and template it came with.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PonderError } from '../errors.ts';
import type { SaveOptions, TokenizerFiles } from '../io/checkpoint.ts';
import { Tokenizer, type TextTokenizer } from '../tokenizer/index.ts';
import { resumeFromCheckpoint, type Resumed } from './resume.ts';

/** saveCheckpoint's tokenizer options for a model's tokenizer (and, when imported, its files). */
export function tokenizerToSave(tok: TextTokenizer, files?: TokenizerFiles): Pick<SaveOptions, 'tokenizer' | 'tokenizerFiles'> {
  if (tok instanceof Tokenizer) return { tokenizer: tok };
  if (files?.tokenizerJson === undefined) throw new PonderError('internal: an imported model\'s checkpoint needs its tokenizer files (tokenizer.json)');
  return { tokenizerFiles: files };
}

/**
 * resumeFromCheckpoint with the tokenizer check for either kind: an imported model's checkpoint must
 * hold the same tokenizer.json as the model the run started from (else its ids would mean other text).
 */
export function resumeWithTokenizer(ckptDir: string, weightDecay: number, tok: TextTokenizer, files?: TokenizerFiles): Resumed {
  if (tok instanceof Tokenizer) return resumeFromCheckpoint(ckptDir, weightDecay, tok);
  const path = join(ckptDir, 'tokenizer.json');
  if (existsSync(path)) {
    let saved: unknown;
    try { saved = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { throw new PonderError(`${path}: not valid JSON (${(e as Error).message})`); }
    if (JSON.stringify(saved) !== JSON.stringify(files?.tokenizerJson)) throw new PonderError(`${ckptDir} was made with another tokenizer than the model's; its ids would mean other text`);
  }
  return resumeFromCheckpoint(ckptDir, weightDecay);
}
