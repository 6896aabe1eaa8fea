import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, logRequestLine, newRequestId, requestLogger, contentLoggingEnabled } from '../../src/server/log.ts';

const SECRET_PROMPT = 'my bank password is hunter2';
const SECRET_ANSWER = 'the answer is 42, secretly';
const SECRET_THOUGHT = 'let me think about hunter2';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (s: string) => { lines.push(s); } } };
}

function oneRequest(logContent: boolean | undefined) {
  const { lines, destination } = capture();
  const log = createLogger({ destination, logContent });
  const id = newRequestId();
  logRequestLine(log, {
    requestId: id, method: 'POST', route: '/v1/chat/completions', status: 200, latencyMs: 123.4567,
    keyId: 'key_abc', model: 'ponder-tiny', stream: true, promptTokens: 11, completionTokens: 7, reasoningTokens: 5,
    messages: [{ role: 'user', content: SECRET_PROMPT }], content: SECRET_ANSWER, reasoningContent: SECRET_THOUGHT,
  });
  assert.equal(lines.length, 1);
  assert.ok(lines[0].endsWith('\n'), 'one JSON object per line');
  return { id, raw: lines[0], line: JSON.parse(lines[0]) };
}

test('a request line is JSON with request id, route, status, latency and tokens, and no message text by default', () => {
  const saved = process.env.PONDER_LOG_CONTENT;
  delete process.env.PONDER_LOG_CONTENT;
  try {
    const { id, raw, line } = oneRequest(undefined);
    assert.match(id, /^req_[0-9a-f]{24}$/);
    assert.equal(line.request_id, id);
    assert.equal(line.level, 'info');
    assert.equal(line.msg, 'request');
    assert.equal(line.method, 'POST');
    assert.equal(line.route, '/v1/chat/completions');
    assert.equal(line.status, 200);
    assert.equal(line.latency_ms, 123.457);
    assert.equal(line.key_id, 'key_abc');
    assert.deepEqual([line.prompt_tokens, line.completion_tokens, line.reasoning_tokens], [11, 7, 5]);
    assert.ok(!Number.isNaN(Date.parse(line.time)), `time is ISO: ${line.time}`);
    for (const k of ['messages', 'content', 'reasoning_content']) assert.equal(k in line, false, `${k} must not be logged`);
    for (const s of [SECRET_PROMPT, SECRET_ANSWER, SECRET_THOUGHT, 'hunter2']) assert.ok(!raw.includes(s), `'${s}' leaked: ${raw}`);
  } finally {
    if (saved !== undefined) process.env.PONDER_LOG_CONTENT = saved;
  }
});

test('PONDER_LOG_CONTENT=1 keeps message text', () => {
  const saved = process.env.PONDER_LOG_CONTENT;
  process.env.PONDER_LOG_CONTENT = '1';
  try {
    assert.equal(contentLoggingEnabled(), true);
    const { line } = oneRequest(undefined);
    assert.deepEqual(line.messages, [{ role: 'user', content: SECRET_PROMPT }]);
    assert.equal(line.content, SECRET_ANSWER);
    assert.equal(line.reasoning_content, SECRET_THOUGHT);
  } finally {
    if (saved === undefined) delete process.env.PONDER_LOG_CONTENT; else process.env.PONDER_LOG_CONTENT = saved;
  }
  assert.equal(contentLoggingEnabled({ PONDER_LOG_CONTENT: '0' }), false);
});

test('child request loggers carry the request id; nested content is stripped, other fields kept', () => {
  const { lines, destination } = capture();
  const log = requestLogger(createLogger({ destination, logContent: false }), 'req_fixed');
  log.warn({ choice: { index: 0, message: { role: 'assistant', content: SECRET_ANSWER }, finish_reason: 'stop' } }, 'choice');
  const line = JSON.parse(lines[0]);
  assert.equal(line.request_id, 'req_fixed');
  assert.equal(line.level, 'warn');
  assert.deepEqual(line.choice, { index: 0, message: { role: 'assistant' }, finish_reason: 'stop' });
  assert.ok(!lines[0].includes(SECRET_ANSWER));
});
