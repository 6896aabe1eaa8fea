// The tiny world's words, split in two: training words, and held-out words that never appear in
// any training text (pretraining, instruction tuning, preferences, RL prompts). Story questions
// about held-out names, places and objects can only be answered by reading the story, not by
// recalling it. test/data/world.test.ts scans the generated training data for every held-out word.
import type { Rng } from '../../tasks/rng.ts';

export interface Lexicon { names: readonly string[]; places: readonly string[]; objects: readonly string[] }

export const TRAIN: Lexicon = {
  names: ['Tom', 'Lily', 'Ben', 'Anna', 'Max', 'Nora', 'Leo', 'Ella', 'Sam', 'Ida', 'Jack', 'Zoe', 'Finn', 'Mia', 'Omar', 'Sara',
    'Emil', 'Alma', 'Hugo', 'Vera', 'Oskar', 'Liv', 'Noah', 'Emma', 'Theo', 'Ava'],
  places: ['garden', 'park', 'kitchen', 'school', 'beach', 'forest', 'farm', 'lake', 'market', 'library', 'hill', 'barn',
    'bedroom', 'station', 'river', 'shop', 'playground', 'zoo', 'village', 'harbour'],
  objects: ['apple', 'ball', 'book', 'key', 'hat', 'kite', 'box', 'cup', 'lamp', 'map', 'drum', 'shoe', 'coin', 'cake',
    'doll', 'bag', 'pen', 'bell', 'sock', 'plate'],
};

/** Held out: used only to generate evaluation items. Chosen to share no word with TRAIN or the tasks' generators. */
export const HELD_OUT: Lexicon = {
  names: ['Quentin', 'Yusra', 'Bodil', 'Kasimir', 'Wendela', 'Ottilie', 'Ugo', 'Xenia', 'Priya', 'Gideon', 'Rosalind', 'Tobias'],
  places: ['quarry', 'bakery', 'orchard', 'cellar', 'attic', 'meadow', 'lighthouse', 'greenhouse', 'workshop', 'pier'],
  objects: ['violin', 'lantern', 'compass', 'kettle', 'scarf', 'ladder', 'basket', 'trumpet', 'blanket', 'candle'],
};

export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[r.int(0, xs.length - 1)]!;

/** k distinct items. */
export function pickDistinct<T>(r: Rng, xs: readonly T[], k: number): T[] {
  const pool = [...xs], out: T[] = [];
  for (let i = 0; i < k; i++) out.push(pool.splice(r.int(0, pool.length - 1), 1)[0]!);
  return out;
}

export const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
