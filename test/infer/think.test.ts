import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseThink, r1ZeroPrompt, ThinkStreamParser, type ParsedThink, type ThinkEvent } from '../../src/infer/think.ts';
import { Rng } from '../../src/tasks/rng.ts';

const P = (reasoning: string | null, answer: string, closed: boolean, wellFormed: boolean): ParsedThink =>
  ({ reasoning, answer, closed, wellFormed });

test('parseThink: the well-formed case, with whitespace around tags', () => {
  assert.deepEqual(parseThink('<think>2+2=4</think>4'), P('2+2=4', '4', true, true));
  assert.deepEqual(parseThink('\n  <think>\n add them\n up \n</think>\n\nThe answer is 4.\n'),
    P('add them\n up', 'The answer is 4.', true, true));
  assert.deepEqual(parseThink('<think></think>4'), P('', '4', true, true));
  assert.deepEqual(parseThink('<think>r</think>'), P('r', '', true, true)); // well-formed, empty answer
});

test('parseThink: missing, unclosed, repeated and stray tags', () => {
  assert.deepEqual(parseThink('just 4'), P(null, 'just 4', false, false));
  assert.deepEqual(parseThink(''), P(null, '', false, false));
  assert.deepEqual(parseThink('<think>still thinking about 4'), P('still thinking about 4', '', false, false));
  assert.deepEqual(parseThink('<think>a</think> 5 <think>b</think> 6'), P('a\nb', '5\n6', true, false));
  assert.deepEqual(parseThink('<think>a<think>b</think>6'), P('a\nb', '6', true, false));
  assert.deepEqual(parseThink('<think>a</think>5</think>6'), P('a', '5\n6', true, false));
  assert.deepEqual(parseThink('Sure! <think>a</think> 6'), P('a', 'Sure!\n6', true, false));
  assert.deepEqual(parseThink('reasoning</think>6'), P(null, 'reasoning\n6', false, false));
  assert.deepEqual(parseThink('<think>a</think>6<think>b'), P('a\nb', '6', false, false));
  // text that looks like a tag but is not one is ordinary text
  assert.deepEqual(parseThink('<think>x < y and <thin</think>a <b>'), P('x < y and <thin', 'a <b>', true, true));
  assert.deepEqual(parseThink('<THINK>a</THINK>'), P(null, '<THINK>a</THINK>', false, false));
});

test('parseThink: a prompt that already opened <think>', () => {
  const o = { startsInThink: true };
  assert.deepEqual(parseThink('reasoning</think>6', o), P('reasoning', '6', true, true));
  assert.deepEqual(parseThink('still going', o), P('still going', '', false, false));
  assert.deepEqual(parseThink('<think>a</think>6', o), P('a', '6', true, false));
});

function stream(chunks: string[], opts = {}): { events: ThinkEvent[]; parser: ThinkStreamParser } {
  const parser = new ThinkStreamParser(opts);
  const events = chunks.flatMap((c) => parser.feed(c));
  events.push(...parser.finish());
  return { events, parser };
}
const joined = (events: ThinkEvent[], type: ThinkEvent['type']) => events.filter((e) => e.type === type).map((e) => e.text).join('');

const CASES = [
  '<think>2+2=4</think>4',
  '\n <think>\n add  them \n</think>\n\nThe answer is 4. \n',
  '<think>a</think> 5 <think>b</think> 6',
  '<think>x < y and <thin</think>a <b> </thi',
  'Sure! <think>a</think> 6',
  '<think>unclosed <',
  'no tags at all',
  '<think>a<think>b</think>6</think>7',
];

test('stream parser: every split point into two chunks gives the batch result', () => {
  for (const text of CASES) {
    const want = parseThink(text);
    for (let i = 0; i <= text.length; i++) {
      const { events, parser } = stream([text.slice(0, i), text.slice(i)]);
      assert.deepEqual(parser.result(), want, `${JSON.stringify(text)} split at ${i}`);
      assert.equal(joined(events, 'content'), want.answer);
      assert.equal(joined(events, 'reasoning'), want.reasoning ?? '');
      assert.ok(events.every((e) => e.text !== ''));
    }
  }
});

test('stream parser: every pair of split points inside the tags, and one char at a time', () => {
  const text = '<think>abc</think>xyz';
  const want = parseThink(text);
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j++) {
      const { parser } = stream([text.slice(0, i), text.slice(i, j), text.slice(j)]);
      assert.deepEqual(parser.result(), want, `splits ${i},${j}`);
    }
  }
  for (const t of CASES) assert.deepEqual(stream([...t]).parser.result(), parseThink(t), t);
});

test('stream parser: random chunkings of random tag soup agree with parseThink', () => {
  const rng = new Rng(5);
  const pieces = ['<think>', '</think>', '<', '</', 'thi', 'nk>', ' ', '\n', 'a', 'b c', '5', '<th'];
  for (let n = 0; n < 300; n++) {
    const text = Array.from({ length: rng.int(0, 12) }, () => rng.pick(pieces)).join('');
    const chunks: string[] = [];
    for (let i = 0; i < text.length;) { const k = rng.int(1, 4); chunks.push(text.slice(i, i + k)); i += k; }
    const startsInThink = rng.int(0, 1) === 1;
    const { events, parser } = stream(chunks, { startsInThink });
    const want = parseThink(text, { startsInThink });
    assert.deepEqual(parser.result(), want, JSON.stringify(chunks));
    assert.equal(joined(events, 'content'), want.answer);
  }
});

test('stream parser: reasoning is emitted before the close tag arrives, then content', () => {
  const p = new ThinkStreamParser();
  assert.deepEqual(p.feed('<think>step one'), [{ type: 'reasoning', text: 'step one' }]);
  assert.deepEqual(p.feed(' and two </th'), [{ type: 'reasoning', text: ' and two' }]);
  assert.deepEqual(p.feed('ink> 42'), [{ type: 'content', text: '42' }]);
  assert.deepEqual(p.finish(), []);
  assert.throws(() => p.feed('more'));
});

test('r1ZeroPrompt puts the question in the R1-Zero template', () => {
  const s = r1ZeroPrompt('  What is 2 + 2?  ');
  assert.ok(s.includes('<think> reasoning process here </think> answer here'));
  assert.ok(s.endsWith('User: What is 2 + 2?\nAssistant:'));
});

test("R1-style replies: the template opened <think>\\n, the reply reasons, closes and answers; streamed in pieces as parsed whole", () => {
  // DeepSeek-R1's template ends the prompt with "<｜Assistant｜><think>\n": the reply starts inside the block.
  const reply = 'Okay, the user asks about water on an electrical fire.\nWater conducts.\n</think>\n\nNo. Cut the power and use a CO2 extinguisher.';
  const whole = parseThink(reply, { startsInThink: true });
  assert.deepEqual(whole, P('Okay, the user asks about water on an electrical fire.\nWater conducts.', 'No. Cut the power and use a CO2 extinguisher.', true, true));
  // Tokens as a byte-level model emits them: the tag may arrive split.
  const chunks = ['Okay', ', the user', ' asks about water on an electrical fire.\nWater', ' conducts.\n</th', 'ink>', '\n\n', 'No.', ' Cut the power and use a CO2 extinguisher.'];
  const { events, parser } = stream(chunks, { startsInThink: true });
  assert.equal(joined(events, 'reasoning'), whole.reasoning);
  assert.equal(joined(events, 'content'), whole.answer);
  assert.ok(events.findIndex((e) => e.type === 'content') > events.findLastIndex((e) => e.type === 'reasoning'));
  assert.deepEqual(parser.result(), whole);
});
