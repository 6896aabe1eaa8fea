// Helpers the commands share: the embedded model's location and number flags.
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { PonderError } from '../errors.ts';
import { loadCheckpoint, type Loaded } from '../io/checkpoint.ts';

/** The model that ships with ponder (made by `npm run speedrun`, committed). */
export const EMBEDDED_MODEL = fileURLToPath(new URL('../../models/ponder-r1-zero', import.meta.url));

export function loadModel(path: string | undefined): Loaded & { tokenizer: NonNullable<Loaded['tokenizer']> } {
  const dir = path ?? EMBEDDED_MODEL;
  if (!path && !existsSync(dir)) throw new PonderError(`no --checkpoint given and the embedded model is missing at ${dir} (run \`npm run speedrun\`)`);
  const loaded = loadCheckpoint(dir);
  if (!loaded.tokenizer) throw new PonderError(`checkpoint ${dir} has no tokenizer.json`);
  return loaded as Loaded & { tokenizer: NonNullable<Loaded['tokenizer']> };
}

export function num(name: string, v: string | undefined, fallback: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x) || (opts.int && !Number.isInteger(x)) || (opts.min !== undefined && x < opts.min) || (opts.max !== undefined && x > opts.max)) {
    const range = opts.min !== undefined || opts.max !== undefined ? ` in [${opts.min ?? '-∞'}, ${opts.max ?? '∞'}]` : '';
    throw new PonderError(`--${name} must be ${opts.int ? 'an integer' : 'a number'}${range}, got '${v}'`);
  }
  return x;
}
