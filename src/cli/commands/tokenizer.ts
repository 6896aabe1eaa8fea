// `ponder tokenizer train|encode`: train a byte-level BPE tokenizer, or show how one splits text.
import { PonderError } from '../../errors.ts';
import { loadTokenizer, saveTokenizer } from '../../tokenizer/hf.ts';
import { trainBpe } from '../../tokenizer/train.ts';
import { type Command, parseFlags } from '../command.ts';

const USAGE = `usage:
  ponder tokenizer train --input <files...> --vocab-size N --out <tokenizer.json> [--min-frequency 2]
  ponder tokenizer encode --tokenizer <tokenizer.json> [--allow-special] [--json] "text"`;

function intFlag(v: string | undefined, name: string, fallback?: number): number {
  if (v === undefined) {
    if (fallback === undefined) throw new PonderError(`--${name} is required\n${USAGE}`);
    return fallback;
  }
  if (!/^\d+$/.test(v)) throw new PonderError(`--${name} must be a whole number, got '${v}'`);
  return Number(v);
}

function train(argv: string[]): number {
  const { values, positionals } = parseFlags(argv, {
    input: { type: 'string', multiple: true },
    'vocab-size': { type: 'string' },
    out: { type: 'string' },
    'min-frequency': { type: 'string' },
  });
  // `--input a.txt b.txt` leaves b.txt as a positional: both count as inputs.
  const inputs = [...(values.input ?? []), ...positionals];
  if (inputs.length === 0) throw new PonderError(`tokenizer train needs --input <files...>\n${USAGE}`);
  if (!values.out) throw new PonderError(`tokenizer train needs --out <tokenizer.json>\n${USAGE}`);
  const vocabSize = intFlag(values['vocab-size'], 'vocab-size');
  const minFrequency = intFlag(values['min-frequency'], 'min-frequency', 2);
  const t0 = performance.now();
  const tok = trainBpe({ files: inputs }, vocabSize, { minFrequency });
  saveTokenizer(tok, values.out);
  const s = ((performance.now() - t0) / 1000).toFixed(2);
  const short = tok.vocabSize < vocabSize ? ` (asked ${vocabSize}: the corpus ran out of pairs seen ${minFrequency}+ times)` : '';
  console.log(`trained ${tok.vocabSize} tokens${short}, ${tok.merges.length} merges, in ${s} s -> ${values.out}`);
  return 0;
}

function encode(argv: string[]): number {
  const { values, positionals } = parseFlags(argv, {
    tokenizer: { type: 'string' },
    'allow-special': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (!values.tokenizer) throw new PonderError(`tokenizer encode needs --tokenizer <tokenizer.json>\n${USAGE}`);
  if (positionals.length === 0) throw new PonderError(`tokenizer encode needs the text to encode\n${USAGE}`);
  const tok = loadTokenizer(values.tokenizer);
  const ids = tok.encode(positionals.join(' '), { allowSpecial: values['allow-special'] ?? false });
  const pieces = ids.map((id) => tok.piece(id));
  if (values.json) {
    console.log(JSON.stringify({ ids, pieces }));
  } else {
    console.log(`${ids.length} tokens`);
    console.log(`ids:    ${ids.join(' ')}`);
    console.log(`pieces: ${pieces.map((p) => JSON.stringify(p)).join(' ')}`);
  }
  return 0;
}

export const command: Command = {
  name: 'tokenizer',
  summary: 'train a byte-level BPE tokenizer, or encode text with one',
  run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'train') return train(rest);
    if (sub === 'encode') return encode(rest);
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') { console.log(USAGE); return sub ? 0 : 1; }
    throw new PonderError(`unknown tokenizer subcommand '${sub}'\n${USAGE}`);
  },
};
