// --resume for the training loops (pretrain, SFT, alignment): reload the model, optimizer state,
// step and RNG that the loop's last checkpoint saved.

import { existsSync } from 'node:fs';
import type { Transformer } from '../model/transformer.ts';
import { AdamW } from '../optim/adamw.ts';
import { Rng } from '../tensor/random.ts';
import { paramGroups } from './step.ts';
import { loadCheckpoint, loadOptimizerState } from '../io/checkpoint.ts';
import { toTokenizerJson, type Tokenizer } from '../tokenizer/index.ts';
import { PonderError } from '../errors.ts';

/** Throws when the checkpoint at dir was made with a different tokenizer than tok. */
export function checkSameTokenizer(dir: string, ckTok: Tokenizer | null, tok: Tokenizer): void {
  if (!ckTok) throw new PonderError(`${dir} has no tokenizer.json; cannot tell whether it matches the model's tokenizer`);
  if (JSON.stringify(toTokenizerJson(ckTok)) !== JSON.stringify(toTokenizerJson(tok))) {
    throw new PonderError(`${dir} was made with another tokenizer (${ckTok.vocabSize} tokens vs ${tok.vocabSize}); its ids would mean other text`);
  }
}

export interface Resumed { model: Transformer; opt: AdamW; step: number; rng: Rng }

/**
 * Loads the checkpoint at ckptDir to carry on training: its model, a fresh AdamW (with weightDecay)
 * holding the saved optimizer state, and the saved step and RNG. Given a tokenizer, first checks
 * that the checkpoint was made with it.
 */
export function resumeFromCheckpoint(ckptDir: string, weightDecay: number, tokenizer?: Tokenizer): Resumed {
  if (!existsSync(ckptDir)) throw new PonderError(`--resume: no checkpoint at ${ckptDir}`);
  const ck = loadCheckpoint(ckptDir);
  if (tokenizer) checkSameTokenizer(ckptDir, ck.tokenizer, tokenizer);
  const model = ck.model;
  const opt = new AdamW(paramGroups(model, weightDecay));
  loadOptimizerState(ckptDir, model, opt);
  const st = ck.state as { step?: number; rng?: number[] };
  if (!Number.isInteger(st.step) || !Array.isArray(st.rng)) throw new PonderError(`${ckptDir}/state.json: no step or RNG state to resume from`);
  return { model, opt, step: st.step!, rng: new Rng(Uint32Array.from(st.rng!)) };
}
