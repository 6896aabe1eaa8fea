// Experiment (docs/speedrun/story-errors.md): why a checkpoint misses held-out story questions.
// Greedy answers (thinking free, 96 tokens, as the report card) to the 300 held-out story
// questions of seed 1, each sorted into one kind:
//   correct
//   copy    the answer's place is not a word of the story ("quarry" written "carru")
//   select  a place of the story, but the wrong one (fact selection or tracking)
//   other   no "At the X." answer
// and, for every miss, whether the reasoning's sentences are all verbatim sentences of the story
// (else a name, object or place was mis-copied on the way). Also correct answers per held-out place.
// With a second argument 'walk' (a model trained on the walk trace, story-walk.ts), each verbatim
// reasoning is also compared with the gold walk: equal, or where it first departs from it; with
// 'lookup' (story.ts lookupOrder), each verbatim miss by the first gold fact it gets wrong.
//   PONDER_THREADS=1 npx tsx docs/speedrun/experiments/story-errors.ts /tmp/sr2/run/sft/checkpoint [chain|lookup|walk]
import { loadCheckpoint } from '../../../src/io/checkpoint.ts';
import { buildEvalSets } from '../../../src/data/world/index.ts';
import { HELD_OUT } from '../../../src/data/world/lexicon.ts';
import { rollouts } from '../../../src/rl/rollout.ts';
import type { StoryTrace } from '../../../src/data/world/story.ts';

const dir = process.argv[2], trace = (process.argv[3] ?? 'chain') as StoryTrace;
if (!dir || !['chain', 'lookup', 'walk'].includes(trace)) throw new Error('usage: story-errors.ts CHECKPOINT_DIR [chain|lookup|walk]');
const ck = loadCheckpoint(dir);
const items = buildEvalSets(1, 300, trace).story;
const rs = rollouts(ck.model, ck.tokenizer, items, { groupSize: 1, maxNewTokens: 96, temperature: 0, batchSize: 128 });

const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ').replace(/[.!]+$/, '');
const kinds = new Map<string, number>(), perPlace = new Map<string, [number, number]>(), walks = new Map<string, number>();
const bump = (k: string, m = kinds) => m.set(k, (m.get(k) ?? 0) + 1);
/** How a verbatim reasoning departs from the gold one: at the start, by skipping or adding a sentence, or only in its conclusion. */
function departure(got: string[], gold: string[]): string {
  const k = got.findIndex((s, i) => s !== gold[i]);
  if (k < 0) return got.length === gold.length ? 'the gold walk, wrong conclusion' : 'stops early';
  if (k < 2) return 'wrong start (first take or where its taker stood)';
  return gold.slice(k).includes(got[k]!) ? 'skips a sentence it should copy' : 'copies a sentence it should skip';
}
/** The fact sentences of a reasoning, without its conclusion ("So the ... is at the ..."). */
const factsOf = (reasoning: string) => reasoning.trim().split(/(?<=\.) /).filter((s) => s && !s.startsWith('So '));
rs.forEach((r, i) => {
  const item = items[i]!, story = item.question.split('\n')[0]!;
  const words = new Set(story.toLowerCase().replace(/\./g, '').split(' '));
  const sentences = new Set(story.split(/(?<=\.) /));
  const place = /at the (\S+?)\.?$/i.exec(r.parsed.answer.trim())?.[1]?.toLowerCase();
  const ok = norm(r.parsed.answer) === norm(item.answer);
  const kind = ok ? 'correct' : !place ? 'other' : words.has(place) ? 'select' : 'copy';
  const facts = factsOf((r.text.split('</think>')[0] ?? '').replace('<think>', '')), goldFacts = factsOf(item.reasoning);
  const verbatim = facts.every((s) => sentences.has(s));
  bump(kind === 'correct' ? kind : `${kind}, reasoning ${verbatim ? 'verbatim' : 'mis-copied'}`);
  if (trace === 'walk' && verbatim) {
    bump(`${ok ? 'correct' : 'miss'}: ${facts.join(' ') === goldFacts.join(' ') ? 'the gold walk' + (ok ? '' : ', wrong conclusion') : departure(facts, goldFacts)}`, walks);
  }
  if (trace === 'lookup' && verbatim && !ok) {
    const k = facts.findIndex((s, j) => s !== goldFacts[j]);
    const what = (s: string | undefined) => (!s ? 'a fact too many' : s.includes(' took ') ? 'the take' : s.includes(' put down ') ? 'the put-down' : 'the move');
    bump(k < 0 ? (facts.length < goldFacts.length ? 'stops before the move' : 'the gold facts, wrong conclusion') : `first wrong fact: ${what(goldFacts[k])}`, walks);
  }
  const gold = /At the (\w+)/.exec(item.answer)![1]!, e = perPlace.get(gold) ?? [0, 0];
  perPlace.set(gold, [e[0] + Number(ok), e[1] + 1]);
});
console.log([...kinds].sort().map(([k, n]) => `${k}: ${n}`).join('\n'));
if (walks.size) console.log(`verbatim ${trace === 'walk' ? 'walks against the gold walk' : 'misses, by the first gold fact missed'}:\n  ${[...walks].sort().map(([k, n]) => `${k}: ${n}`).join('\n  ')}`);
console.log(`correct by place: ${HELD_OUT.places.map((p) => `${p} ${perPlace.get(p)?.[0] ?? 0}/${perPlace.get(p)?.[1] ?? 0}`).join(', ')}`);
