// Instructions with a checkable form: "Answer in one word", "Answer in capitals", "Answer with
// yes or no", "Answer with a number only", "Start your answer with Sure", "Answer in lowercase".
// The check reads only the form of the answer, not whether it is right.
import type { Rng } from '../../tasks/rng.ts';
import { pick } from './lexicon.ts';
import type { Exchange } from './smalltalk.ts';

export type Form = 'one-word' | 'capitals' | 'yes-no' | 'number' | 'sure' | 'lowercase';

const WORD_QS: [string, string][] = [
  ['What colour is the sky?', 'Blue'], ['What colour is grass?', 'Green'], ['What colour is snow?', 'White'],
  ['What animal says moo?', 'Cow'], ['What animal says woof?', 'Dog'], ['What animal says meow?', 'Cat'],
  ['What do bees make?', 'Honey'], ['What do we drink when we are thirsty?', 'Water'], ['What falls from clouds?', 'Rain'],
  ['What is the opposite of hot?', 'Cold'], ['What is the opposite of big?', 'Small'], ['What is the opposite of day?', 'Night'],
  ['Which season is the coldest?', 'Winter'], ['Which season is the warmest?', 'Summer'], ['What shines in the sky at night?', 'Moon'],
  ['What do cows give us?', 'Milk'], ['What do we read?', 'Books'], ['What do fish swim in?', 'Water'],
];
const YN_QS: [string, string][] = [
  ['Is the sun hot?', 'Yes'], ['Is snow cold?', 'Yes'], ['Can fish fly?', 'No'], ['Do cats bark?', 'No'], ['Is the sea salty?', 'Yes'],
  ['Is ice warm?', 'No'], ['Do birds have wings?', 'Yes'], ['Can a dog read?', 'No'], ['Is grass green?', 'Yes'], ['Is the moon made of cheese?', 'No'],
];
const SENTENCE: Record<string, string> = {
  Blue: 'The sky is blue.', Green: 'Grass is green.', White: 'Snow is white.', Cow: 'A cow says moo.', Dog: 'A dog says woof.',
  Cat: 'A cat says meow.', Honey: 'Bees make honey.', Water: 'We drink water.', Rain: 'Rain falls from clouds.', Cold: 'The opposite of hot is cold.',
  Small: 'The opposite of big is small.', Night: 'The opposite of day is night.', Winter: 'Winter is the coldest season.',
  Summer: 'Summer is the warmest season.', Moon: 'The moon shines at night.', Milk: 'Cows give us milk.', Books: 'We read books.',
};

const LEAD: Record<Form, string[]> = {
  'one-word': ['Answer in one word: ', 'Use a single word. ', 'One word only: '],
  capitals: ['Answer in capitals: ', 'Answer in capital letters: ', 'Reply in all caps: '],
  'yes-no': ['Answer with yes or no: ', 'Yes or no? ', 'Just say yes or no: '],
  number: ['Answer with a number only: ', 'Give only the number: ', 'Reply with just a number: '],
  sure: ['Start your answer with "Sure": ', 'Begin your reply with the word Sure. ', 'Say "Sure" first, then answer: '],
  lowercase: ['Answer in lowercase: ', 'Reply in small letters only: ', 'No capital letters, please: '],
};

export interface InstructionItem extends Exchange { form: Form }

export function instructionItem(r: Rng): InstructionItem {
  const form = pick(r, Object.keys(LEAD) as Form[]);
  const lead = pick(r, LEAD[form]);
  if (form === 'yes-no') {
    const [q, a] = pick(r, YN_QS);
    return { question: lead + q, answer: `${a}.`, form };
  }
  if (form === 'number') {
    const a = r.int(2, 30), b = r.int(2, 30);
    return { question: `${lead}What is ${a} plus ${b}?`, answer: String(a + b), form };
  }
  const [q, w] = pick(r, WORD_QS);
  const s = SENTENCE[w] ?? `${w}.`;
  const answer = form === 'one-word' ? `${w}.` : form === 'capitals' ? s.toUpperCase() : form === 'lowercase' ? s.toLowerCase() : `Sure! ${s}`;
  return { question: lead + q, answer, form };
}

/** Is an answer in the form asked for? */
export function followsForm(answer: string, form: Form): boolean {
  const a = answer.trim();
  const letters = a.replace(/[^A-Za-zÆØÅæøå]/g, '');
  switch (form) {
    case 'one-word': return /^[A-Za-zÆØÅæøå-]+[.!]?$/.test(a);
    case 'capitals': return letters.length > 0 && letters === letters.toUpperCase();
    case 'lowercase': return letters.length > 0 && letters === letters.toLowerCase();
    case 'yes-no': return /^(yes|no)[.!]?$/i.test(a);
    case 'number': return /^-?\d+$/.test(a);
    case 'sure': return /^sure\b/i.test(a);
  }
}
