// Rollouts: for each prompt, a group of G completions sampled from the current policy, decoded
// and parsed into reasoning and answer.
import type { Transformer } from '../model/transformer.ts';
import { generate } from '../infer/generate.ts';
import { parseThink, type ParsedThink } from '../infer/think.ts';
import { decodeReply, EOS_ID, opensThink, type ChatFormat, type TextTokenizer } from '../tokenizer/index.ts';
import type { Problem } from '../tasks/types.ts';
import { promptIds, forcedPrefix, bannedFirst, type ThinkingMode } from './prompt.ts';

export interface Rollout {
  problem: Problem;
  /** Index of the group (prompt) this completion belongs to. */
  group: number;
  prompt: number[];
  completion: number[];
  /** Decoded completion with special tokens, as the parser and a person read it. */
  text: string;
  parsed: ParsedThink;
  /** Stopped by the length limit before the end-of-text token. */
  truncated: boolean;
  /** The completion reasons: its think block is not empty. */
  reasons: boolean;
}

export interface RolloutOptions {
  groupSize: number;
  maxNewTokens: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  mode?: ThinkingMode;
  /** Sequences generated together (a memory/speed knob; results do not depend on it). */
  batchSize?: number;
  /** A pretrained model's chat format (its template, EOS and think ids); default ponder's own. */
  format?: ChatFormat;
}

const THINKING = { free: 'free', on: 'enabled', off: 'disabled' } as const;

export function rollouts(policy: Transformer, tok: TextTokenizer, problems: Problem[], o: RolloutOptions): Rollout[] {
  const mode = o.mode ?? 'free';
  const f = o.format;
  const stop = f ? f.stopIds : [EOS_ID];
  const items: { problem: Problem; group: number; prompt: number[] }[] = [];
  problems.forEach((problem, group) => {
    const prompt = f ? f.promptIds([{ role: 'user', content: problem.question }], THINKING[mode]) : promptIds(tok, problem.question, mode);
    for (let g = 0; g < o.groupSize; g++) items.push({ problem, group, prompt });
  });
  const out: Rollout[] = [];
  const chunk = o.batchSize ?? items.length;
  for (let s = 0; s < items.length; s += chunk) {
    const part = items.slice(s, s + chunk);
    const gens = generate(policy, part.map((i) => i.prompt), {
      maxNewTokens: o.maxNewTokens, temperature: o.temperature ?? 1, topP: o.topP, stopTokens: stop,
      seed: (o.seed ?? 0) + s, padToken: 0, vocabLimit: tok.vocabSize,
      banFirst: f ? (mode === 'on' && f.think ? [f.think.close] : undefined) : bannedFirst(mode),
    });
    gens.forEach((g, i) => {
      const it = part[i];
      const body = stop.includes(g.tokens[g.tokens.length - 1]) ? g.tokens.slice(0, -1) : g.tokens;
      // A template may open <think> in the prompt (R1's always does): the text starts inside it.
      const opened = f !== undefined && opensThink(it.prompt, f.think);
      const text = f ? (opened ? '<think>' : '') + decodeReply(f, body) : forcedPrefix(mode) + tok.decode(body);
      const parsed = parseThink(text);
      out.push({
        ...it, completion: g.tokens, text, parsed, truncated: g.finish !== 'stop',
        reasons: (parsed.reasoning ?? '').trim() !== '',
      });
    });
  }
  return out;
}
