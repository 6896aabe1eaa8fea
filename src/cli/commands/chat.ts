// `ponder chat`: talk to a model (HF folder, .gguf, ponder checkpoint) in the terminal; its
// thinking is shown dimmed, apart from the answer.
import { createInterface } from 'node:readline/promises';
import { parseFlags, type Command } from '../command.ts';
import { complete, loadServedModel, modelPath, MODEL_FLAGS, needChat, num, type ServedModel } from '../shared.ts';
import { ThinkStreamParser } from '../../infer/think.ts';
import { decodeReply, opensThink, type ChatFormat, type ChatMessage } from '../../tokenizer/index.ts';

export const command: Command = {
  name: 'chat',
  summary: 'interactive chat in the terminal, thinking shown apart from the answer',
  async run(argv) {
    const { values } = parseFlags(argv, {
      ...MODEL_FLAGS,
      temperature: { type: 'string' },
      'max-tokens': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    }, false);
    if (values.help) {
      console.log('usage: ponder chat [--model hf-folder|file.gguf|checkpoint] [--temperature 0] [--max-tokens 256]\n' +
        '  /reset starts over, /quit or Ctrl-D leaves; --checkpoint is another name for --model; PONDER_MODEL sets the default');
      return 0;
    }
    const m = loadServedModel(modelPath(values));
    const { model } = m;
    const chat = needChat(m);
    const temperature = num('temperature', values.temperature, 0, { min: 0 });
    const maxNew = num('max-tokens', values['max-tokens'], 256, { int: true, min: 1 });
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
    const history: ChatMessage[] = [];
    console.log('ponder chat: ask something (e.g. "What is 347 * 58?"); /reset, /quit');
    // Lines are read as a stream, so piped input (a script of questions) works as well as a terminal.
    const lines = rl[Symbol.asyncIterator]();
    for (;;) {
      process.stdout.write('you> ');
      const next = await lines.next();
      if (next.done) break; // input closed
      const line = next.value.trim();
      if (!process.stdin.isTTY) process.stdout.write(`${line}\n`);
      if (line === '/quit') break;
      if (line === '/reset') { history.length = 0; continue; }
      if (!line) continue;
      history.push({ role: 'user', content: line });
      const ids = fitHistory(history, chat, model.config.max_seq_len - 16);
      const reply = await streamReply(m, ids, { maxNewTokens: maxNew, temperature });
      history.push({ role: 'assistant', content: reply.answer });
      if (reply.finish === 'length') console.log('(stopped at --max-tokens)');
    }
    rl.close();
    return 0;
  },
};

/** The prompt of the most recent turns that fit in `limit` tokens (older turns dropped in pairs). */
function fitHistory(history: ChatMessage[], chat: ChatFormat, limit: number): number[] {
  let ids = chat.promptIds(history);
  while (ids.length > limit && history.length > 1) {
    history.splice(0, 2);
    ids = chat.promptIds(history);
  }
  return ids;
}

/** Generates a reply to ids, printing its thinking dimmed and its answer as they come. */
async function streamReply(m: ServedModel, ids: number[], o: { maxNewTokens: number; temperature: number }): Promise<{ answer: string; finish: string }> {
  const chat = needChat(m);
  const parser = new ThinkStreamParser({ startsInThink: opensThink(ids, chat.think) });
  let shown: 'reasoning' | 'content' | null = null;
  const out: number[] = [];
  let printed = '';
  const show = (evs: { type: 'reasoning' | 'content'; text: string }[]) => {
    for (const e of evs) {
      if (e.type !== shown) {
        process.stdout.write(e.type === 'reasoning' ? '\x1b[2mthinking: ' : `${shown ? '\x1b[0m\n' : ''}ponder> `);
        shown = e.type;
      }
      process.stdout.write(e.text);
    }
  };
  const g = await complete(m.model, ids, {
    maxNewTokens: o.maxNewTokens, temperature: o.temperature, stopTokens: chat.stopIds, seed: Date.now() % 100000, vocabLimit: m.tokenizer.vocabSize,
    onToken: (t) => {
      if (chat.stopIds.includes(t)) return;
      out.push(t);
      // Decode everything so far and stream the new suffix: multi-byte characters stay whole
      // (a trailing U+FFFD may be half a character: wait for the rest).
      const text = decodeReply(chat, out).replace(/\uFFFD$/, '');
      if (!text.startsWith(printed)) return;
      const fresh = text.slice(printed.length);
      printed = text;
      show(parser.feed(fresh));
    },
  });
  const rest = decodeReply(chat, out);
  if (rest.startsWith(printed)) show(parser.feed(rest.slice(printed.length)));
  show(parser.finish());
  process.stdout.write('\x1b[0m\n');
  return { answer: parser.result().answer, finish: g.finish };
}
