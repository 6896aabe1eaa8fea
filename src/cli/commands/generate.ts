// `ponder generate --model X "prompt"`: complete a prompt (as a chat question by default) with any
// model: a Hugging Face folder, a .gguf file or a ponder checkpoint.
import { parseFlags, type Command } from '../command.ts';
import { complete, loadServedModel, modelPath, MODEL_FLAGS, needChat, num, type ServedModel } from '../shared.ts';
import { parseThink } from '../../infer/think.ts';
import { decodeReply, opensThink, type Thinking } from '../../tokenizer/index.ts';
import { PonderError } from '../../errors.ts';

const THINKING: Record<string, Thinking> = { free: 'free', on: 'enabled', off: 'disabled' };

/** The BOS a pretrained model's tokenizer puts before plain text (tokenizer_config.json add_bos_token), as transformers does. */
function rawBos(m: ServedModel): number[] {
  const cfg = m.tokenizerConfig;
  if (cfg?.add_bos_token !== true) return [];
  const bos = typeof cfg.bos_token === 'string' ? cfg.bos_token : (cfg.bos_token as { content?: unknown } | null)?.content;
  const id = typeof bos === 'string' ? m.tokenizer.tokenId(bos) : undefined;
  return id === undefined ? [] : [id];
}

export const command: Command = {
  name: 'generate',
  summary: 'complete a prompt with a model (chat question by default, --raw for plain text)',
  async run(argv) {
    const { values, positionals } = parseFlags(argv, {
      ...MODEL_FLAGS,
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
      console.log('usage: ponder generate [--model hf-folder|file.gguf|checkpoint] [--max-tokens 128] [--temperature 0] [--top-k 0]\n' +
        '                       [--top-p 1] [--seed 0] [--raw] [--think free|on|off] "prompt"\n' +
        '  --checkpoint is another name for --model; PONDER_MODEL sets the default (else the embedded model)');
      return values.help ? 0 : 2;
    }
    const thinking = THINKING[values.think];
    if (thinking === undefined) throw new PonderError(`--think must be free, on or off, not '${values.think}'`);
    const m = loadServedModel(modelPath(values));
    const tok = m.tokenizer;
    const prompt = positionals[0];
    const chat = values.raw ? null : needChat(m);
    const ids = chat ? chat.promptIds([{ role: 'user', content: prompt }], thinking) : [...rawBos(m), ...tok.encode(prompt)];
    if (ids.length === 0) throw new PonderError('the prompt is empty');
    const stop = chat?.stopIds ?? [];
    const g = await complete(m.model, ids, {
      maxNewTokens: num('max-tokens', values['max-tokens'], 128, { int: true, min: 1 }),
      temperature: num('temperature', values.temperature, 0, { min: 0 }),
      topK: num('top-k', values['top-k'], 0, { int: true, min: 0 }),
      topP: num('top-p', values['top-p'], 1, { min: 0, max: 1 }),
      seed: num('seed', values.seed, 0, { int: true }),
      stopTokens: stop, vocabLimit: tok.vocabSize,
    });
    if (!chat) {
      // A pretrained model's control tokens (its EOS) are no text; ponder's raw mode shows them, as it always has.
      console.log(prompt + tok.decode(g.tokens, { skipSpecial: m.info.format !== 'ponder' }));
      return 0;
    }
    const p = parseThink(decodeReply(chat, g.tokens), { startsInThink: opensThink(ids, chat.think) });
    if (p.reasoning !== null) console.log(`\x1b[2mthinking:\n${p.reasoning}\x1b[0m`);
    console.log(p.answer);
    if (g.finish === 'length') console.error('(stopped at --max-tokens)');
    return 0;
  },
};
