// Pretraining text for the tiny world: plain prose, no chat turns. Children's stories (the
// existing generator), short scenes of people moving and carrying things (the story questions'
// world, without questions), "The boy went to the school."-style sentences (so the next-word
// explorer has places to predict after "The boy went to the"), Norwegian sentences, and worked
// sums. Training words only (lexicon TRAIN) and invented names and objects (invented.ts) in the scenes.
import { Rng as TensorRng } from '../../tensor/random.ts';
import type { Rng } from '../../tasks/rng.ts';
import { story as childrensStory } from '../stories.ts';
import { pick, cap, TRAIN } from './lexicon.ts';
import { storyItem } from './story.ts';
import { trainingLexicon, INVENTED_SHARE, ENGLISH_LIKE_SHARE } from './invented.ts';
import { languageItem } from './norwegian.ts';
import { smallTalk } from './smalltalk.ts';
import { getTask } from '../../tasks/registry.ts';
import type { TrainingSampler } from '../../tasks/heldout.ts';

const SUBJECTS = ['The boy', 'The girl', 'The man', 'The woman', 'The dog', 'The cat', 'My friend', 'The teacher', 'Grandma', 'The children'];
const VERBS = ['went to the', 'walked to the', 'ran to the', 'came back from the', 'played at the', 'stayed at the'];

function scene(r: Rng): string {
  const n = 2 + r.int(0, 3), out: string[] = [];
  for (let i = 0; i < n; i++) {
    const who = r.int(0, 1) ? pick(r, SUBJECTS) : pick(r, TRAIN.names);
    out.push(`${who} ${pick(r, VERBS)} ${pick(r, TRAIN.places)}.`);
  }
  return out.join(' ');
}

/** n documents of mixed prose (deterministic in seed and n); sums come from a sampler that skips the held-out products. */
export function narrativeTexts(r: Rng, n: number, seed: number, sums: TrainingSampler, englishLikeShare = ENGLISH_LIKE_SHARE): string[] {
  const tr = new TensorRng(seed), mult = getTask('long-multiplication');
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = r.int(0, 9);
    // Worked sums are a third: products are the skill that needs the most practice.
    if (k < 2) out.push(childrensStory(tr));
    else if (k < 3) out.push(scene(r));
    else if (k < 5) out.push(storyItem(r, trainingLexicon(r, INVENTED_SHARE, true, englishLikeShare), r.int(0, 1) === 0).question.split('\n')[0]!);
    else if (k < 6) out.push(languageItem(r, 'no').answer + ' ' + languageItem(r, 'no').answer);
    else if (k < 9) { const p = sums.sample(3); out.push(`${p.question} ${mult.solveWithSteps(p).split('\n').join(' ')}`); }
    else out.push(cap(smallTalk(r).answer));
  }
  return out;
}
