// Experiment (docs/speedrun/story-errors.md): why a checkpoint misses held-out story questions.
// Greedy answers (thinking free, 96 tokens, as the report card) to the 300 held-out story
// questions of seed 1, each sorted into one kind:
//   correct
//   copy    the answer's place is not a word of the story ("quarry" written "carru")
//   select  a place of the story, but the wrong one (fact selection or tracking)
//   other   no "At the X." answer
// and, for every miss, whether the reasoning's sentences are all verbatim sentences of the story
// (else a name, object or place was mis-copied on the way). Also correct answers per held-out place.
//   PONDER_THREADS=1 npx tsx docs/speedrun/experiments/story-errors.ts /tmp/sr2/run/sft/checkpoint
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { buildEvalSets } from '../../../src/data/world/index.ts';
import { HELD_OUT } from '../../../src/data/world/lexicon.ts';
import { rollouts } from '../../../src/rl/rollout.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: story-errors.ts CHECKPOINT_DIR');
const ck = loadCheckpoint(dir);
const items = buildEvalSets(1, 300).story;
const rs = rollouts(ck.model, ck.tokenizer, items, { groupSize: 1, maxNewTokens: 96, temperature: 0, batchSize: 128 });

const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ').replace(/[.!]+$/, '');
const kinds = new Map<string, number>(), perPlace = new Map<string, [number, number]>();
const bump = (k: string) => kinds.set(k, (kinds.get(k) ?? 0) + 1);
rs.forEach((r, i) => {
  const item = items[i]!, story = item.question.split('\n')[0]!;
  const words = new Set(story.toLowerCase().replace(/\./g, '').split(' '));
  const sentences = new Set(story.split(/(?<=\.) /));
  const place = /at the (\S+?)\.?$/i.exec(r.parsed.answer.trim())?.[1]?.toLowerCase();
  const ok = norm(r.parsed.answer) === norm(item.answer);
  const kind = ok ? 'correct' : !place ? 'other' : words.has(place) ? 'select' : 'copy';
  const facts = (r.text.split('</think>')[0] ?? '').replace('<think>', '').trim().split(/(?<=\.) /).filter((s) => s && !s.startsWith('So '));
  bump(kind === 'correct' ? kind : `${kind}, reasoning ${facts.every((s) => sentences.has(s)) ? 'verbatim' : 'mis-copied'}`);
  const gold = /At the (\w+)/.exec(item.answer)![1]!, e = perPlace.get(gold) ?? [0, 0];
  perPlace.set(gold, [e[0] + Number(ok), e[1] + 1]);
});
console.log([...kinds].sort().map(([k, n]) => `${k}: ${n}`).join('\n'));
console.log(`correct by place: ${HELD_OUT.places.map((p) => `${p} ${perPlace.get(p)?.[0] ?? 0}/${perPlace.get(p)?.[1] ?? 0}`).join(', ')}`);
