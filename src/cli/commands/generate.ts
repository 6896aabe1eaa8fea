// `ponder generate --checkpoint dir "prompt"`: complete a prompt (as a chat question by default).
import { parseFlags, type Command } from '../command.ts';
import { loadModel, num } from '../shared.ts';
import { generate } from '../../infer/generate.ts';
import { parseThink } from '../../infer/think.ts';
import { encodeChat, EOS_ID, THINK_ID, END_THINK_ID } from '../../tokenizer/index.ts';
import { PonderError } from '../../errors.ts';

export const command: Command = {
  name: 'generate',
  summary: 'complete a prompt with a checkpoint (chat question by default, --raw for plain text)',
  run(argv) {
    const { values, positionals } = parseFlags(argv, {
      checkpoint: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      raw: { type: 'boolean', default: false },
      think: { type: 'string', default: 'free' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help || positionals.length !== 1) {
      console.log('usage: ponder generate [--checkpoint dir] [--max-tokens 128] [--temperature 0] [--top-k 0] [--top-p 1] [--seed 0]\n' +
        '                       [--raw] [--think free|on|off] "prompt"');
      return values.help ? 0 : 2;
    }
    const { model, tokenizer: tok } = loadModel(values.checkpoint);
    const prompt = positionals[0];
    let ids: number[];
    if (values.raw) ids = tok.encode(prompt);
    else {
      ids = encodeChat(tok, [{ role: 'user', content: prompt }], { addGenerationPrompt: true });
      if (values.think === 'on') ids.push(THINK_ID);
      else if (values.think === 'off') ids.push(THINK_ID, END_THINK_ID);
      else if (values.think !== 'free') throw new PonderError(`--think must be free, on or off, not '${values.think}'`);
    }
    const [g] = generate(model, [ids], {
      maxNewTokens: num('max-tokens', values['max-tokens'], 128, { int: true, min: 1 }),
      temperature: num('temperature', values.temperature, 0, { min: 0 }),
      topK: num('top-k', values['top-k'], 0, { int: true, min: 0 }),
      topP: num('top-p', values['top-p'], 1, { min: 0, max: 1 }),
      seed: num('seed', values.seed, 0, { int: true }),
      stopTokens: values.raw ? [] : [EOS_ID], vocabLimit: tok.vocabSize,
    });
    const body = g.tokens[g.tokens.length - 1] === EOS_ID ? g.tokens.slice(0, -1) : g.tokens;
    const prefix = values.think === 'on' ? '<think>' : values.think === 'off' ? '<think></think>' : '';
    const text = prefix + tok.decode(body);
    if (values.raw) {
      console.log(prompt + text);
      return 0;
    }
    const p = parseThink(text);
    if (p.reasoning !== null) console.log(`\x1b[2mthinking:\n${p.reasoning}\x1b[0m`);
    console.log(p.answer);
    if (g.finish === 'length') console.error('(stopped at --max-tokens)');
    return 0;
  },
};
