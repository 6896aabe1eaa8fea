// `ponder sft` on an imported model with a real tokenizer: a tiny random Qwen2 with Qwen3's
// tokenizer.json and chat template. The loss on its conversations falls, the tuned model exports
// with `ponder export --format hf` carrying the same tokenizer files and template, and the
// exported folder, loaded again, answers a trained prompt as it was taught (the same logits and
// greedy reply as the checkpoint it came from).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command as sftCommand } from '../../src/cli/commands/sft.ts';
import { command as exportCommand } from '../../src/cli/commands/export.ts';
import { loadChatModel, type ChatModel } from '../../src/cli/shared.ts';
import { generate } from '../../src/infer/generate.ts';
import { parseThink } from '../../src/infer/think.ts';
import { Transformer } from '../../src/model/transformer.ts';
import { noGrad, withScope } from '../../src/tensor/index.ts';
import { decodeReply } from '../../src/tokenizer/index.ts';
import { encodeConversation, parseChatJsonl } from '../../src/train/sft.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import { realTokenizer, writeImportedModel } from '../train/imported.ts';

const heavy = process.env.PONDER_BACKEND === 'ts' ? 'training on a 150k-token vocabulary is too slow on the ts backend' : false;
const dir = mkdtempSync(join(tmpdir(), 'ponder-sft-imported-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const line = (q: string, a: string, r?: string) => JSON.stringify({ messages: [{ role: 'user', content: q }, { role: 'assistant', content: a, reasoning_content: r }] });
const VAL = line('What colour is the sky?', 'Blue.', 'Look up.');
const DATA = [VAL, line('What colour is grass?', 'Green.')].join('\n');

/** Mean negative log-likelihood per learnt token of the replies of `text` under m (the SFT mask of its own template), in float64. */
function replyLoss(m: ChatModel, text: string): number {
  const V = m.config.vocab_size;
  let sum = 0, n = 0;
  for (const c of parseChatJsonl(text).conversations) {
    for (const s of encodeConversation({ tokenizer: m.tokenizer, format: m.chat! }, c)) {
      const logits = noGrad(() => withScope(() => (m.model as Transformer).forward(Int32Array.from(s.ids.slice(0, -1)), 1, s.ids.length - 1).data.slice()));
      for (let i = 1; i < s.ids.length; i++) {
        if (!s.learn[i]) continue;
        const row = logits.subarray((i - 1) * V, i * V);
        let max = -Infinity, z = 0;
        for (const x of row) max = Math.max(max, x);
        for (const x of row) z += Math.exp(x - max);
        sum += max + Math.log(z) - row[s.ids[i]];
        n++;
      }
    }
  }
  return sum / n;
}

function greedy(m: ChatModel, q: string): string {
  const prompt = m.chat!.promptIds([{ role: 'user', content: q }]);
  const [g] = generate(m.model as Transformer, [prompt], { maxNewTokens: 24, temperature: 0, stopTokens: m.chat!.stopIds });
  return decodeReply(m.chat!, g.tokens);
}

test('sft --model <Qwen2 folder, Qwen3 tokenizer>: the reply loss falls; export --format hf keeps tokenizer and template; the export answers as taught', { skip: heavy }, async () => {
  const real = realTokenizer('qwen3');
  const src = writeImportedModel(join(dir, 'base'), 'qwen3').dir;
  writeFileSync(join(dir, 'chat.jsonl'), DATA);
  writeFileSync(join(dir, 'val.jsonl'), VAL);
  const out = join(dir, 'sft');
  assert.equal(await sftCommand.run(['--model', src, '--data', join(dir, 'chat.jsonl'), '--val', join(dir, 'val.jsonl'), '--out', out,
    '--steps', '60', '--batch', '2', '--lr', '3e-2', '--warmup', '2', '--eval-every', '30', '--checkpoint-every', '60']), 0);
  const rows = MetricsLog.read(join(out, 'metrics.jsonl'));
  const first = rows[0].loss as number, val = rows.at(-1)!.val_loss as number;
  assert.ok(first > 10 && val < 1, `loss on the replies ${first} -> ${val}`);

  const exported = join(dir, 'hf');
  assert.equal(await exportCommand.run(['--format', 'hf', '--model', join(out, 'final'), '--out', exported]), 0);
  const json = (f: string) => JSON.parse(readFileSync(join(exported, f), 'utf8'));
  assert.deepEqual(json('tokenizer.json'), real.json);
  assert.deepEqual(json('tokenizer_config.json'), real.config);
  assert.deepEqual(json('generation_config.json').eos_token_id, real.eos);
  const cfg = json('config.json'), orig = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['Qwen2ForCausalLM']);
  assert.deepEqual([cfg.bos_token_id, cfg.eos_token_id], [orig.bos_token_id, orig.eos_token_id], 'the source config.json\'s special ids, not generation_config\'s list');

  // The first step's loss is the starting model's; the last validation loss (a line of the data, alone in its row) the tuned model's.
  const again = loadChatModel(exported);
  assert.equal(again.chat?.kind, 'template');
  assert.deepEqual(again.chat!.stopIds, real.eos);
  const l = replyLoss(again, VAL);
  assert.ok(Math.abs(l - val) < 1e-4, `the export holds the tuned weights: its loss on the validation line ${l}, the run's ${val}`);
  const reply = greedy(again, 'What colour is the sky?');
  assert.deepEqual(parseThink(reply), { reasoning: 'Look up.', answer: 'Blue.', closed: true, wellFormed: true }, reply);
});
