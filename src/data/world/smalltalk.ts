// Greetings and small talk: what an assistant says when nothing needs solving.
import type { Rng } from '../../tasks/rng.ts';
import { pick } from './lexicon.ts';

export interface Exchange { question: string; answer: string }

const GREET = ['Hello!', 'Hi!', 'Hi there!', 'Hey!', 'Good morning!', 'Good evening!', 'Hello, assistant.', 'Hey there, how is it going?'];
const GREET_ANSWERS = ['Hello! How can I help you today?', 'Hi! What would you like to talk about?', 'Hello! Ask me about a story, a sum, or anything else.'];
const TALK: [string[], string[]][] = [
  [['How are you?', 'How are you doing?', 'How is your day?'], ['I am doing well, thank you! How can I help?', 'I am fine, thanks for asking. What can I do for you?']],
  [['What is your name?', 'Who are you?', 'What are you?'], ['I am ponder, a small assistant. I can answer questions about stories, do sums, and chat.']],
  [['Thank you!', 'Thanks a lot.', 'Thanks for the help.'], ['You are welcome!', 'Happy to help!']],
  [['Goodbye!', 'Bye!', 'See you later.'], ['Goodbye! Have a nice day.', 'Bye! Come back any time.']],
  [['Tell me a joke.', 'Do you know a joke?'], ['Why did the cat sit on the computer? To keep an eye on the mouse!']],
  [['What can you do?', 'How can you help me?'], ['I can answer questions about a short story, work out sums, follow simple instructions, and speak English and Norwegian.']],
  [['Are you a robot?', 'Are you human?'], ['I am a small language model, not a person.']],
  [['I am sad today.', 'I feel tired.'], ['I am sorry to hear that. Would you like to talk about it?']],
];

export function smallTalk(r: Rng): Exchange {
  if (r.int(0, 2) === 0) return { question: pick(r, GREET), answer: pick(r, GREET_ANSWERS) };
  const [qs, as] = pick(r, TALK);
  return { question: pick(r, qs), answer: pick(r, as) };
}

/** An unhelpful reply, for preference pairs (helpful over unhelpful). */
export const UNHELPFUL = ['I do not know.', 'Whatever.', 'No.', 'Ask someone else.'];
