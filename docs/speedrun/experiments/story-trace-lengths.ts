// Experiment (docs/speedrun/story-errors.md): do the story traces fit the model? Tokens of the
// several-step story questions' reasoning (as generated: <think>, reasoning, </think>, answer,
// end of text) against the generation budget (evalTokens, 96), and of whole SFT conversations
// against the context (max_seq_len 256: a longer one is skipped by ponder sft), for the 'chain'
// and 'walk' traces, with the probe preset's world (seed 1) and its tokenizer.
//   npx tsx docs/speedrun/experiments/story-trace-lengths.ts [preset]
import { ASSISTANT_PRESETS } from '../../../src/pipeline/assistant.ts';
import { buildWorld } from '../../../src/data/world/index.ts';
import { trainBpe, encodeChat } from '../../../src/tokenizer/index.ts';
import type { StoryTrace } from '../../../src/data/world/story.ts';

const preset = ASSISTANT_PRESETS[process.argv[2] ?? 'probe']!;
const worlds = Object.fromEntries((['chain', 'walk'] as StoryTrace[]).map((t) => [t, buildWorld({ seed: 1, ...preset.world, storyTrace: t })]));
// The speedrun's tokenizer, trained as assistant.ts trains it (on the chain world: the walk probe reuses its base).
const base = worlds.chain!;
const tok = trainBpe([...base.pretrainTexts.slice(0, 20000), ...base.sft.slice(0, 8000).flatMap((c) => c.messages.flatMap((m) => [m.content, m.reasoning ?? '']))], preset.vocabSize);

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), q = (f: number) => s[Math.min(s.length - 1, Math.floor(f * s.length))]!;
  return `median ${q(0.5)}, p90 ${q(0.9)}, p99 ${q(0.99)}, max ${s[s.length - 1]}`;
};
const over = (xs: number[], n: number) => `${xs.filter((x) => x > n).length} of ${xs.length} over ${n}`;
for (const [trace, w] of Object.entries(worlds)) {
  // Generated tokens: <think> + reasoning + </think> + answer + end of text.
  const gen = w.eval.story.map((s) => tok.encode(s.reasoning).length + tok.encode(s.answer).length + 3);
  const stories = w.sft.filter((c) => c.messages[1]?.reasoning?.includes(' So the '));
  const whole = stories.map((c) => encodeChat(tok, c.messages).length);
  console.log(`${trace}: held-out generation ${stats(gen)} (${over(gen, preset.evalTokens)}); SFT several-step conversations ${stats(whole)} (${over(whole, preset.model.max_seq_len + 1)})`);
}
console.log(`example (held-out): ${worlds.walk!.eval.story[0]!.question}\n  chain: ${worlds.chain!.eval.story[0]!.reasoning}\n  walk:  ${worlds.walk!.eval.story[0]!.reasoning}`);
