// Moderation policy: what a request's filter enforces. One per API key, with a default; the whole
// layer is switched off for local use with PONDER_MODERATION=off (moderation events are then not
// produced at all). A policies file is JSON:
//
//   { "default": { "enabled": true, "threshold": 0.5 },
//     "keys": { "<api key id>": { "categories": ["pii", "self-harm"], "thresholds": { "violence": 0.8 } } } }
import { readFileSync } from 'node:fs';
import { PonderError } from '../errors.ts';

export interface Policy {
  /** Off: nothing is checked, nothing flagged. */
  enabled: boolean;
  /** Categories enforced; undefined means every category the rules and classifier know. */
  categories?: string[];
  /** Classifier score at or above which a category is flagged (rules flag regardless). */
  threshold: number;
  /** Per-category thresholds overriding `threshold`. */
  thresholds: Record<string, number>;
  /** Which sides are filtered: the user's input, the model's output. */
  input: boolean;
  output: boolean;
}

export const DEFAULT_POLICY: Policy = Object.freeze({
  enabled: true, threshold: 0.5, thresholds: {}, input: true, output: true,
}) as Policy;

export const OFF_POLICY: Policy = Object.freeze({ ...DEFAULT_POLICY, enabled: false }) as Policy;

/** True unless PONDER_MODERATION is off/0/false/no (case-insensitive); other values are errors. */
export function moderationEnabledByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.PONDER_MODERATION;
  if (v === undefined || v === '') return true;
  const s = v.toLowerCase();
  if (['off', '0', 'false', 'no'].includes(s)) return false;
  if (['on', '1', 'true', 'yes'].includes(s)) return true;
  throw new PonderError(`PONDER_MODERATION must be on or off, got '${v}'`);
}

function checkThreshold(v: unknown, where: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new PonderError(`${where} must be a number in [0, 1], got ${JSON.stringify(v)}`);
  return v;
}

/** A policy from a partial JSON object over a base; unknown fields and bad values are errors. */
export function parsePolicy(obj: unknown, base: Policy = DEFAULT_POLICY, where = 'policy'): Policy {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new PonderError(`${where} must be an object`);
  const o = obj as Record<string, unknown>;
  const p: Policy = { ...base, thresholds: { ...base.thresholds } };
  for (const [k, v] of Object.entries(o)) {
    switch (k) {
      case 'enabled': case 'input': case 'output':
        if (typeof v !== 'boolean') throw new PonderError(`${where}.${k} must be true or false, got ${JSON.stringify(v)}`);
        p[k] = v;
        break;
      case 'categories':
        if (!Array.isArray(v) || !v.every((c) => typeof c === 'string')) throw new PonderError(`${where}.categories must be a list of category names`);
        p.categories = [...v];
        break;
      case 'threshold':
        p.threshold = checkThreshold(v, `${where}.threshold`);
        break;
      case 'thresholds':
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PonderError(`${where}.thresholds must be an object of category -> number`);
        for (const [c, t] of Object.entries(v)) p.thresholds[c] = checkThreshold(t, `${where}.thresholds.${c}`);
        break;
      default:
        throw new PonderError(`${where}: unknown field "${k}" (enabled, categories, threshold, thresholds, input, output)`);
    }
  }
  return p;
}

/** Policies by API key id, with a default for keys not listed (and for key-less local use). */
export class PolicyBook {
  readonly defaultPolicy: Policy;
  readonly keys: Map<string, Policy>;
  /** False when PONDER_MODERATION=off: every lookup answers OFF_POLICY. */
  readonly enabled: boolean;

  constructor(defaultPolicy: Policy = DEFAULT_POLICY, keys = new Map<string, Policy>(), enabled = moderationEnabledByEnv()) {
    this.defaultPolicy = defaultPolicy;
    this.keys = keys;
    this.enabled = enabled;
  }

  forKey(keyId: string | null | undefined): Policy {
    if (!this.enabled) return OFF_POLICY;
    return (keyId ? this.keys.get(keyId) : undefined) ?? this.defaultPolicy;
  }

  static parse(obj: unknown, source = '<policies>', enabled = moderationEnabledByEnv()): PolicyBook {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new PonderError(`${source}: policies must be a JSON object`);
    const o = obj as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== 'default' && k !== 'keys') throw new PonderError(`${source}: unknown field "${k}" (default, keys)`);
    const def = o.default === undefined ? DEFAULT_POLICY : parsePolicy(o.default, DEFAULT_POLICY, `${source}: default`);
    const keys = new Map<string, Policy>();
    if (o.keys !== undefined) {
      if (typeof o.keys !== 'object' || o.keys === null || Array.isArray(o.keys)) throw new PonderError(`${source}: "keys" must be an object of key id -> policy`);
      for (const [id, p] of Object.entries(o.keys)) keys.set(id, parsePolicy(p, def, `${source}: keys.${id}`));
    }
    return new PolicyBook(def, keys, enabled);
  }

  static load(path: string, enabled = moderationEnabledByEnv()): PolicyBook {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new PonderError(`cannot read moderation policies '${path}': ${(e as Error).message}`);
    }
    return PolicyBook.parse(json, path, enabled);
  }
}
