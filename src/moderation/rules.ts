// Keyword and pattern rules by category, from a JSON config (configs/moderation.json):
//
//   { "categories": { "<name>": { "description"?: string, "keywords"?: string[],
//                                 "patterns"?: string[], "detectors"?: string[] } } }
//
// keywords: words or phrases matched on whole normalised tokens (normalize.ts); a word ending in
//   '*' matches any token that starts with it ("kill*" matches "killing", not "skill").
// patterns: regular expressions (Unicode, case-insensitive) over the normalised tokens joined by
//   single spaces, for markers a word list cannot express ("ignore (all )?previous instructions").
// detectors: named checks from detectors.ts (credit_card, us_ssn), run on the folded text.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PonderError } from '../errors.ts';
import { DETECTORS } from './detectors.ts';
import { normalize, phraseTokens, type Normalized } from './normalize.ts';

export const DEFAULT_RULES_FILE = fileURLToPath(new URL('../../configs/moderation.json', import.meta.url));

interface Word { text: string; prefix: boolean }

interface CategoryRules {
  name: string;
  keywords: { source: string; words: Word[] }[];
  patterns: { source: string; re: RegExp }[];
  detectors: string[];
}

export interface RuleHit {
  category: string;
  /** Which rule fired: "keyword:<phrase>", "pattern:<regex>" or "detector:<name>". */
  rule: string;
  /** The normalised text it fired on. */
  match: string;
}

export class RuleSet {
  readonly categories: CategoryRules[];

  constructor(categories: CategoryRules[]) {
    this.categories = categories;
  }

  get categoryNames(): string[] {
    return this.categories.map((c) => c.name);
  }

  /** Every rule that fires on text (at most one hit per rule), in config order. */
  check(text: string, pre?: Normalized): RuleHit[] {
    const n = pre ?? normalize(text);
    const joined = n.variants.map((v) => v.join(' '));
    const hits: RuleHit[] = [];
    for (const c of this.categories) {
      for (const k of c.keywords) {
        const m = findPhrase(n.variants, k.words);
        if (m !== null) hits.push({ category: c.name, rule: `keyword:${k.source}`, match: m });
      }
      for (const p of c.patterns) {
        for (const j of joined) {
          p.re.lastIndex = 0;
          const m = p.re.exec(j);
          if (m) { hits.push({ category: c.name, rule: `pattern:${p.source}`, match: m[0] }); break; }
        }
      }
      for (const d of c.detectors) {
        const found = DETECTORS[d](n.folded);
        if (found.length > 0) hits.push({ category: c.name, rule: `detector:${d}`, match: found[0].match });
      }
    }
    return hits;
  }
}

function wordMatches(w: Word, tok: string): boolean {
  return w.prefix ? tok.startsWith(w.text) : tok === w.text;
}

/**
 * The first place (in any variant) where the phrase's words occur as consecutive tokens, or as
 * one token that is the words run together (spelled out letters lose the spaces: "killmyself").
 */
function findPhrase(variants: string[][], words: Word[]): string | null {
  const glued = words.length > 1 && !words.some((w) => w.prefix) ? words.map((w) => w.text).join('') : null;
  for (const toks of variants) {
    if (glued !== null) { const g = toks.find((t) => t === glued); if (g) return g; }
    outer: for (let i = 0; i + words.length <= toks.length; i++) {
      for (let k = 0; k < words.length; k++) if (!wordMatches(words[k], toks[i + k])) continue outer;
      return toks.slice(i, i + words.length).join(' ');
    }
  }
  return null;
}

function stringList(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s.trim() !== '')) {
    throw new PonderError(`${where} must be a list of non-empty strings`);
  }
  return v as string[];
}

/** Builds a RuleSet from a parsed config object; `source` names the file in errors. */
export function parseRules(config: unknown, source = '<config>'): RuleSet {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new PonderError(`${source}: the moderation config must be a JSON object`);
  const cats = (config as { categories?: unknown }).categories;
  if (typeof cats !== 'object' || cats === null || Array.isArray(cats)) throw new PonderError(`${source}: "categories" must be an object of category name -> rules`);
  const out: CategoryRules[] = [];
  for (const [name, spec] of Object.entries(cats)) {
    const where = `${source}: category "${name}"`;
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new PonderError(`${where} must be an object`);
    const s = spec as Record<string, unknown>;
    for (const key of Object.keys(s)) {
      if (!['description', 'keywords', 'patterns', 'detectors'].includes(key)) throw new PonderError(`${where}: unknown field "${key}" (description, keywords, patterns, detectors)`);
    }
    const keywords = stringList(s.keywords, `${where} keywords`).map((source) => {
      const words = source.trim().split(/\s+/).flatMap((w) => {
        const prefix = w.endsWith('*');
        const toks = phraseTokens(prefix ? w.slice(0, -1) : w);
        if (toks.length === 0) throw new PonderError(`${where}: keyword "${source}" has a word without letters or digits`);
        return toks.map((t, i) => ({ text: t, prefix: prefix && i === toks.length - 1 }));
      });
      return { source, words };
    });
    const patterns = stringList(s.patterns, `${where} patterns`).map((p) => {
      try {
        return { source: p, re: new RegExp(p, 'iu') };
      } catch (e) {
        throw new PonderError(`${where}: bad pattern ${JSON.stringify(p)}: ${(e as Error).message}`);
      }
    });
    const detectors = stringList(s.detectors, `${where} detectors`);
    for (const d of detectors) if (!(d in DETECTORS)) throw new PonderError(`${where}: unknown detector "${d}" (${Object.keys(DETECTORS).join(', ')})`);
    out.push({ name, keywords, patterns, detectors });
  }
  if (out.length === 0) throw new PonderError(`${source}: no categories`);
  return new RuleSet(out);
}

export function loadRules(path = DEFAULT_RULES_FILE): RuleSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PonderError(`cannot read moderation rules '${path}': ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new PonderError(`moderation rules '${path}' are not valid JSON: ${(e as Error).message}`);
  }
  return parseRules(json, path);
}
