// `ponder serve --model x.gguf` runs on the quantised runner (the GGUF's weights in place): the
// official openai client gets the same greedy reply, reasoning and answer, as from the float32
// model of the same weights (the Hugging Face folder the GGUF was written from), and /v1/models
// says which runtime answers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { startServe } from '../serve-child.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import OpenAI from 'openai';
import { writeR1Folder } from './model-folder.ts';
import { readHfFolder } from '../../src/io/hf.ts';
import { writeGgufModel } from '../../src/io/gguf-model.ts';

const skip = process.env.PONDER_BACKEND === 'ts' ? 'spawns two servers: native backend only' : undefined;
const root = mkdtempSync(join(tmpdir(), 'ponder-serve-runner-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
});

/** Starts `ponder serve --model PATH` on a free port; resolves with its URL and everything it said on stderr so far. */
function serve(model: string, name: string, env: Record<string, string> = {}): Promise<{ url: string; log: string }> {
  return startServe(['--model', model, '--moderation', 'off', '--data-dir', join(root, `data-${name}`)], env, children);
}

test('serve --model x.gguf answers through the quantised runner with the float32 model\'s greedy reply', { skip, timeout: 60_000 }, async () => {
  const folder = join(root, 'tiny-r1-qwen2'), gguf = join(root, 'tiny-r1-qwen2-f32.gguf');
  writeR1Folder(folder);
  writeGgufModel(gguf, readHfFolder(folder), 'f32');
  const [quant, f32] = await Promise.all([serve(gguf, 'gguf'), serve(folder, 'hf', { PONDER_RUNTIME: 'f32' })]);
  assert.match(quant.log, /tiny-r1-qwen2-f32\.gguf: the quantised runner \(f32 weights memory-mapped, used in place\)/);
  assert.doesNotMatch(f32.log, /quantised runner/);

  const client = (url: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'EMPTY' });
  const [qModels, fModels] = [await client(quant.url).models.list(), await client(f32.url).models.list()];
  assert.equal((qModels.data[0] as unknown as { runtime: string }).runtime, 'quantised-runner');
  assert.equal((fModels.data[0] as unknown as { runtime: string }).runtime, 'f32');

  for (const question of ['What is 12 * 34?', 'Name a colour.']) {
    const ask = (url: string, model: string) => client(url).chat.completions.create({
      model, messages: [{ role: 'user', content: question }], temperature: 0, max_tokens: 40,
    });
    const [q, f] = await Promise.all([ask(quant.url, 'tiny-r1-qwen2-f32'), ask(f32.url, 'tiny-r1-qwen2')]);
    const text = (r: typeof q) => ({ reasoning: (r.choices[0].message as unknown as { reasoning_content?: string }).reasoning_content, content: r.choices[0].message.content, finish: r.choices[0].finish_reason });
    assert.ok(q.usage!.completion_tokens > 5, 'the reply is long enough to compare');
    assert.deepEqual(text(q), text(f));
    assert.deepEqual(q.usage, f.usage);
  }
});
