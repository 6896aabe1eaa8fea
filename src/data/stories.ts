// Generated English: short children's stories from a small grammar (in the spirit of TinyStories).
// Text that a tiny model can learn in minutes on a CPU, with no licence question and no download:
// every story is made from the seed. Names, places and objects stay consistent within a story.
import { Rng } from '../tensor/random.ts';

const NAMES = ['Lily', 'Tom', 'Mia', 'Ben', 'Sara', 'Max', 'Anna', 'Leo', 'Nora', 'Sam', 'Ella', 'Jack', 'Ida', 'Finn', 'Zoe', 'Omar'];
const ANIMALS = ['cat', 'dog', 'bird', 'rabbit', 'fox', 'bear', 'duck', 'frog', 'mouse', 'owl'];
const PLACES = ['the park', 'the forest', 'the garden', 'the beach', 'the farm', 'the lake', 'the hill', 'the village', 'the market', 'the old house'];
const OBJECTS = ['ball', 'kite', 'box', 'hat', 'book', 'boat', 'cake', 'flower', 'key', 'lamp', 'drum', 'map'];
const COLORS = ['red', 'blue', 'green', 'yellow', 'big', 'small', 'shiny', 'old', 'soft', 'little'];
const FEELINGS = ['happy', 'sad', 'scared', 'excited', 'tired', 'proud', 'curious', 'angry'];
const WEATHER = ['sunny', 'rainy', 'windy', 'cold', 'warm', 'quiet'];

interface Cast {
  hero: string;
  friend: string;
  pet: string;
  place: string;
  thing: string;
  color: string;
}

type Line = (c: Cast, r: Rng) => string;

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[r.int(xs.length)];
const pronoun = (name: string) => (['Lily', 'Mia', 'Sara', 'Anna', 'Nora', 'Ella', 'Ida', 'Zoe'].includes(name) ? 'she' : 'he');
const cap = (s: string) => s[0].toUpperCase() + s.slice(1);

const OPENINGS: Line[] = [
  (c) => `Once upon a time, there was a ${c.pet} named ${c.hero}.`,
  (c, r) => `One ${pick(r, WEATHER)} day, ${c.hero} went to ${c.place}.`,
  (c) => `${c.hero} was a little child who loved ${c.place}.`,
  (c, r) => `It was a ${pick(r, WEATHER)} morning, and ${c.hero} woke up early.`,
  (c) => `${c.hero} had a ${c.color} ${c.thing} that ${pronoun(c.hero)} loved very much.`,
];

const MIDDLES: Line[] = [
  (c) => `${cap(pronoun(c.hero))} found a ${c.color} ${c.thing} under a tree.`,
  (c) => `${c.hero} met ${c.friend} at ${c.place}.`,
  (c) => `"Can I play with your ${c.thing}?" asked ${c.friend}.`,
  (c, r) => `${c.hero} felt ${pick(r, FEELINGS)} when ${pronoun(c.hero)} saw the ${c.pet}.`,
  (c) => `The ${c.pet} ran away with the ${c.thing}.`,
  (c) => `${c.hero} and ${c.friend} looked everywhere for the ${c.thing}.`,
  (c) => `"Let us go to ${c.place} together," said ${c.hero}.`,
  (c, r) => `Then it started to rain, and the ${c.pet} was ${pick(r, FEELINGS)}.`,
  (c) => `${c.friend} shared a piece of cake with ${c.hero}.`,
  (c) => `They sang a song and danced near the ${c.thing}.`,
  (c, r) => `${c.hero} asked, "Why is the ${c.pet} so ${pick(r, FEELINGS)}?"`,
  (c) => `The ${c.pet} climbed up the hill and looked down at ${c.place}.`,
];

const ENDINGS: Line[] = [
  (c) => `In the end, ${c.hero} and ${c.friend} became best friends.`,
  (c) => `${c.hero} learned that sharing makes everyone happy.`,
  (c) => `They found the ${c.thing} and went home smiling.`,
  (c) => `From that day on, the ${c.pet} always stayed close to ${c.hero}.`,
  (c) => `${c.hero} went to bed happy, dreaming of ${c.place}.`,
  (c) => `"Thank you," said ${c.friend}, and they laughed together.`,
];

/** One story of 4 to 8 sentences. */
export function story(r: Rng): string {
  const hero = pick(r, NAMES);
  let friend = pick(r, NAMES);
  while (friend === hero) friend = pick(r, NAMES);
  const c: Cast = { hero, friend, pet: pick(r, ANIMALS), place: pick(r, PLACES), thing: pick(r, OBJECTS), color: pick(r, COLORS) };
  const lines = [pick(r, OPENINGS)(c, r)];
  const n = 2 + r.int(5);
  const used = new Set<number>();
  while (lines.length < 1 + n) {
    const i = r.int(MIDDLES.length);
    if (used.has(i)) continue;
    used.add(i);
    lines.push(MIDDLES[i](c, r));
  }
  lines.push(pick(r, ENDINGS)(c, r));
  return lines.join(' ');
}

export function stories(n: number, seed: number): string[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => story(r));
}
