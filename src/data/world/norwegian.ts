// Questions in Norwegian (bokmål), answered in Norwegian, and their English twins answered in
// English: the model must answer in the language it is asked in.
import type { Rng } from '../../tasks/rng.ts';
import { pick, cap } from './lexicon.ts';
import type { Exchange } from './smalltalk.ts';

export interface LanguageItem extends Exchange { language: 'no' | 'en'; /** The same answer in the other language. */ other: string }

// [norsk, english, safe?]
const ACTIVITIES: [string, string, boolean][] = [
  ['slukke en elektrisk brann med vann', 'put out an electrical fire with water', false],
  ['bade alene i en kald innsjø om natten', 'swim alone in a cold lake at night', false],
  ['spise sopp du ikke kjenner', 'eat mushrooms you do not know', false],
  ['kjøre bil uten bilbelte', 'drive a car without a seat belt', false],
  ['gå på tynn is', 'walk on thin ice', false],
  ['la komfyren stå på om natten', 'leave the stove on at night', false],
  ['se rett på solen', 'look straight at the sun', false],
  ['drikke vann fra springen i Norge', 'drink tap water in Norway', true],
  ['gå en tur i skogen om dagen', 'go for a walk in the forest during the day', true],
  ['spise et eple med skallet på', 'eat an apple with the skin on', true],
  ['sykle med hjelm', 'ride a bike with a helmet', true],
  ['bade i havet om sommeren', 'swim in the sea in summer', true],
];
const COLOURS: [string, string, string, string][] = [
  ['gresset', 'grønt', 'the grass', 'green'], ['himmelen', 'blå', 'the sky', 'blue'], ['snøen', 'hvit', 'the snow', 'white'],
  ['solen', 'gul', 'the sun', 'yellow'], ['bananen', 'gul', 'the banana', 'yellow'], ['tomaten', 'rød', 'the tomato', 'red'],
  ['kullet', 'svart', 'the coal', 'black'], ['appelsinen', 'oransje', 'the orange', 'orange'],
];
const ANIMALS: [string, string, number, string, string][] = [
  ['katten', 'mjau', 4, 'the cat', 'meow'], ['hunden', 'voff', 4, 'the dog', 'woof'], ['kua', 'mø', 4, 'the cow', 'moo'],
  ['anda', 'kvakk', 2, 'the duck', 'quack'], ['sauen', 'mæ', 4, 'the sheep', 'baa'], ['hanen', 'kykeliky', 2, 'the rooster', 'cock-a-doodle-doo'],
  ['hesten', 'knegg', 4, 'the horse', 'neigh'], ['fuglen', 'kvitter', 2, 'the bird', 'tweet'],
];
const NUMBERS_NO = ['null', 'en', 'to', 'tre', 'fire', 'fem', 'seks', 'sju', 'åtte', 'ni', 'ti'];

type Maker = (r: Rng) => [string, string, string, string]; // [q no, a no, q en, a en]

const MAKERS: Maker[] = [
  (r) => {
    const [no, en, safe] = pick(r, ACTIVITIES);
    return [`Er det trygt å ${no}?`, safe ? `Ja, det er vanligvis trygt å ${no}.` : `Nei, det er vanligvis ikke trygt å ${no}.`,
      `Is it safe to ${en}?`, safe ? `Yes, it is usually safe to ${en}.` : `No, it is usually not safe to ${en}.`];
  },
  (r) => {
    const [no, fno, en, fen] = pick(r, COLOURS);
    return [`Hvilken farge har ${no}?`, `${cap(no)} er ${fno}.`, `What colour is ${en}?`, `${cap(en)} is ${fen}.`];
  },
  (r) => {
    const [no, lyd, , en, sound] = pick(r, ANIMALS);
    return [`Hva sier ${no}?`, `${cap(no)} sier ${lyd}.`, `What does ${en} say?`, `${cap(en)} says ${sound}.`];
  },
  (r) => {
    const [no, , legs, en] = pick(r, ANIMALS);
    return [`Hvor mange bein har ${no}?`, `${cap(no)} har ${NUMBERS_NO[legs]} bein.`, `How many legs does ${en} have?`, `${cap(en)} has ${legs} legs.`];
  },
  (r) => {
    const a = r.int(1, 40), b = r.int(1, 40);
    return [`Hva er ${a} pluss ${b}?`, `${a} pluss ${b} er ${a + b}.`, `What is ${a} plus ${b}?`, `${a} plus ${b} is ${a + b}.`];
  },
  (r) => {
    const a = r.int(10, 60), b = r.int(1, 9);
    return [`Hva er ${a} minus ${b}?`, `${a} minus ${b} er ${a - b}.`, `What is ${a} minus ${b}?`, `${a} minus ${b} is ${a - b}.`];
  },
  (r) => pick(r, [
    ['Hei! Hvordan har du det?', 'Hei! Jeg har det bra, takk. Hva kan jeg hjelpe deg med?', 'Hi! How are you?', 'Hi! I am doing well, thank you. How can I help you?'],
    ['Hva heter du?', 'Jeg heter ponder. Jeg er en liten assistent.', 'What is your name?', 'My name is ponder. I am a small assistant.'],
    ['Takk for hjelpen!', 'Bare hyggelig!', 'Thanks for the help!', 'You are welcome!'],
    ['Hva er hovedstaden i Norge?', 'Hovedstaden i Norge er Oslo.', 'What is the capital of Norway?', 'The capital of Norway is Oslo.'],
  ] as [string, string, string, string][]),
];

/** A question in Norwegian (language 'no') or English ('en') with its answer in the same language. */
export function languageItem(r: Rng, language: 'no' | 'en'): LanguageItem {
  const [qn, an, qe, ae] = pick(r, MAKERS)(r);
  return language === 'no' ? { question: qn, answer: an, language, other: ae } : { question: qe, answer: ae, language, other: an };
}
