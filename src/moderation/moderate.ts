// The moderation decision: keyword rules first (a hit flags its category outright), then the
// classifier's per-category probabilities against the policy's thresholds.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TextClassifier } from './classifier.ts';
import { normalize } from './normalize.ts';
import { DEFAULT_POLICY, type Policy } from './policy.ts';
import { loadRules, type RuleHit, type RuleSet } from './rules.ts';

/**
 * Below this many words the classifier's score alone flags nothing: a word or two ("a", "thanks")
 * carry too little to judge, and hashed n-grams of a short text land on arbitrary buckets. The
 * rules still apply to short texts ("sarin" is caught by its keyword).
 */
export const MIN_CLASSIFIER_WORDS = 3;

export const DEFAULT_CLASSIFIER_FILE = fileURLToPath(new URL('../../models/moderation/classifier.safetensors', import.meta.url));

export interface ModerationResult {
  flagged: boolean;
  /** Every known category -> flagged under the policy. */
  categories: Record<string, boolean>;
  /** Every known category -> score in [0, 1]: 1 for a rule hit, else the classifier's probability. */
  scores: Record<string, number>;
  /** The first rule that fired in a flagged category, if any. */
  rule?: RuleHit;
  /** Every rule hit, enforced or not. */
  hits: RuleHit[];
}

export class Moderator {
  readonly rules: RuleSet;
  readonly classifier: TextClassifier | null;

  constructor(rules: RuleSet, classifier: TextClassifier | null = null) {
    this.rules = rules;
    this.classifier = classifier;
  }

  /** Rule categories, then classifier classes not already named (never 'safe'). */
  get categoryNames(): string[] {
    const names = [...this.rules.categoryNames];
    for (const c of this.classifier?.config.classes.slice(1) ?? []) if (!names.includes(c)) names.push(c);
    return names;
  }

  moderate(text: string, policy: Policy = DEFAULT_POLICY): ModerationResult {
    return this.moderateMany([text], policy)[0];
  }

  /** Batched: one classifier forward for all texts. */
  moderateMany(texts: string[], policy: Policy = DEFAULT_POLICY): ModerationResult[] {
    const names = this.categoryNames;
    const empty = (): ModerationResult => ({
      flagged: false, hits: [],
      categories: Object.fromEntries(names.map((c) => [c, false])),
      scores: Object.fromEntries(names.map((c) => [c, 0])),
    });
    if (!policy.enabled) return texts.map(empty);
    const probs = this.classifier ? this.classifier.predict(texts) : null;
    const classes = this.classifier?.config.classes ?? [];
    const enforced = (c: string) => policy.categories === undefined || policy.categories.includes(c);
    return texts.map((text, i) => {
      const r = empty();
      const norm = normalize(text);
      r.hits = this.rules.check(text, norm);
      const judged = norm.variants[0].length >= MIN_CLASSIFIER_WORDS;
      if (probs) classes.forEach((c, k) => { if (k > 0) r.scores[c] = probs[i][k]; });
      for (const h of r.hits) r.scores[h.category] = 1;
      for (const c of names) {
        const byRule = r.hits.some((h) => h.category === c);
        const t = policy.thresholds[c] ?? policy.threshold;
        r.categories[c] = enforced(c) && (byRule || (judged && probs !== null && classes.includes(c) && r.scores[c] >= t));
      }
      r.flagged = names.some((c) => r.categories[c]);
      r.rule = r.hits.find((h) => r.categories[h.category]);
      if (!r.rule) delete r.rule;
      return r;
    });
  }
}

let shared: Moderator | null = null;

/** The shipped moderator: configs/moderation.json and, when present, the shipped classifier. */
export function defaultModerator(): Moderator {
  shared ??= new Moderator(loadRules(), existsSync(DEFAULT_CLASSIFIER_FILE) ? TextClassifier.load(DEFAULT_CLASSIFIER_FILE) : null);
  return shared;
}

/** moderate(text) with the shipped rules and classifier. */
export function moderate(text: string, policy: Policy = DEFAULT_POLICY): ModerationResult {
  return defaultModerator().moderate(text, policy);
}
