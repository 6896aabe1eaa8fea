// Multi-step word problems (GSM8K-like, templated, integer answers). Difficulty = number of steps
// after the opening sentence (1..8). Every sentence comes from a template that is also a pattern,
// so a question can be read back to write its reasoning trace.
import { defaultVerify } from './answer.ts';
import type { Rng } from './rng.ts';
import { badQuestion, checkDifficulty, type Task } from './types.ts';

const NAMES = ['Mia', 'Liam', 'Ava', 'Noah', 'Emma', 'Lucas', 'Zoe', 'Omar', 'Ines', 'Ravi', 'Sara', 'Theo'];
const ITEMS = ['apples', 'marbles', 'stickers', 'cookies', 'books', 'pencils', 'cards', 'shells', 'stamps', 'coins'];
const MAX_VALUE = 5000;

type Vars = { name: string; friend: string; item: string; k: number; g: number };
interface StepKind {
  templates: string[];
  /** Chooses k and g for the current value, or null when this step does not fit. */
  choose(rng: Rng, v: number): { k: number; g: number } | null;
  apply(v: number, k: number, g: number): number;
  /** One trace line. */
  line(v: number, k: number, g: number): string;
}

const STEPS: StepKind[] = [
  { // gain
    templates: ['{name} finds {k} more {item}.', '{name} buys {k} more {item}.', '{friend} gives {name} {k} {item}.'],
    choose: (rng) => ({ k: rng.int(2, 30), g: 0 }),
    apply: (v, k) => v + k,
    line: (v, k) => `${v} + ${k} = ${v + k}`,
  },
  { // gain groups
    templates: ['{name} buys {g} packs of {item} with {k} {item} in each pack.', '{name} gets {g} boxes with {k} {item} in each box.'],
    choose: (rng, v) => { const g = rng.int(2, 6), k = rng.int(2, 12); return v + g * k <= MAX_VALUE ? { k, g } : null; },
    apply: (v, k, g) => v + g * k,
    line: (v, k, g) => `${v} + ${g} * ${k} = ${v} + ${g * k} = ${v + g * k}`,
  },
  { // lose
    templates: ['{name} gives {k} {item} to {friend}.', '{name} loses {k} {item}.', '{name} sells {k} {item}.'],
    choose: (rng, v) => (v > 2 ? { k: rng.int(1, Math.min(30, v - 1)), g: 0 } : null),
    apply: (v, k) => v - k,
    line: (v, k) => `${v} - ${k} = ${v - k}`,
  },
  { // multiply
    templates: ['{name} ends up with {g} times as many {item} as before.'],
    choose: (rng, v) => { const g = rng.int(2, 4); return v > 0 && v * g <= MAX_VALUE ? { k: 0, g } : null; },
    apply: (v, _k, g) => v * g,
    line: (v, _k, g) => `${v} * ${g} = ${v * g}`,
  },
  { // split
    templates: ['{name} splits the {item} into {g} equal groups and keeps one group.',
      '{name} shares the {item} equally with {friend}, so that each has the same number, and keeps one share.'],
    choose: (rng, v) => {
      const divisors = [2, 3, 4, 5, 6].filter((g) => v >= 2 * g && v % g === 0);
      return divisors.length ? { k: 0, g: rng.pick(divisors) } : null;
    },
    apply: (v, _k, g) => v / g,
    line: (v, _k, g) => `${v} / ${g} = ${v / g}`,
  },
];
// The "shares with {friend}" template always means 2 shares; keep the two in step.
const SHARE_TEMPLATE = STEPS[4]!.templates[1]!;

const INTRO = '{name} has {k} {item}.';
const QUESTION = 'How many {item} does {name} have now?';

function render(t: string, v: Vars): string {
  return t.replace(/\{(\w+)\}/g, (_, key: keyof Vars) => String(v[key]));
}

/** A template as a regex: numbers capture digits, names capture a capitalised word. */
function pattern(t: string): { re: RegExp; keys: (keyof Vars)[] } {
  const keys: (keyof Vars)[] = [];
  const src = t.split(/(\{\w+\})/).map((part) => {
    const m = /^\{(\w+)\}$/.exec(part);
    if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    keys.push(m[1] as keyof Vars);
    return m[1] === 'k' || m[1] === 'g' ? '(\\d+)' : m[1] === 'item' ? '([a-z]+)' : '([A-Z][a-z]+)';
  }).join('');
  return { re: new RegExp(`^${src}$`), keys };
}

function match(t: string, sentence: string): Partial<Vars> | null {
  const { re, keys } = pattern(t);
  const m = re.exec(sentence);
  if (!m) return null;
  const out: Record<string, string | number> = {};
  keys.forEach((key, i) => { out[key] = key === 'k' || key === 'g' ? Number(m[i + 1]) : m[i + 1]!; });
  return out as Partial<Vars>;
}

export const word: Task = {
  name: 'word',
  summary: 'a templated multi-step word problem; d = number of steps',
  difficulty: { min: 1, max: 8 },
  generate(rng, difficulty) {
    checkDifficulty(word, difficulty);
    const name = rng.pick(NAMES);
    let friend = rng.pick(NAMES);
    while (friend === name) friend = rng.pick(NAMES);
    const item = rng.pick(ITEMS);
    let v = rng.int(5, 40);
    const sentences = [render(INTRO, { name, friend, item, k: v, g: 0 })];
    for (let s = 0; s < difficulty; s++) {
      for (;;) {
        const kind = rng.pick(STEPS);
        const template = rng.pick(kind.templates);
        const chosen = template === SHARE_TEMPLATE
          ? (v >= 4 && v % 2 === 0 ? { k: 0, g: 2 } : null)
          : kind.choose(rng, v);
        if (!chosen) continue;
        v = kind.apply(v, chosen.k, chosen.g);
        sentences.push(render(template, { name, friend, item, ...chosen }));
        break;
      }
    }
    sentences.push(render(QUESTION, { name, friend, item, k: 0, g: 0 }));
    return { question: sentences.join(' '), answer: String(v), task: 'word' };
  },
  verify: defaultVerify,
  /** One line per step: "12 + 3 * 5 = 12 + 15 = 27", ending with the answer. */
  solveWithSteps(problem) {
    const sentences = problem.question.trim().split(/(?<=[.?])\s+/);
    const intro = match(INTRO, sentences[0] ?? '');
    if (!intro || sentences.length < 2 || !match(QUESTION, sentences[sentences.length - 1]!)) {
      throw badQuestion(problem.task, problem.question);
    }
    let v = intro.k!;
    const lines = [`start: ${v}`];
    for (const sentence of sentences.slice(1, -1)) {
      let done = false;
      for (const kind of STEPS) {
        for (const t of kind.templates) {
          const m = match(t, sentence);
          if (!m) continue;
          const g = t === SHARE_TEMPLATE ? 2 : m.g ?? 0;
          lines.push(kind.line(v, m.k ?? 0, g));
          v = kind.apply(v, m.k ?? 0, g);
          done = true;
          break;
        }
        if (done) break;
      }
      if (!done) throw badQuestion(problem.task, problem.question);
    }
    lines.push(String(v));
    return lines.join('\n');
  },
};
