// The product's moderation layer: keyword/pattern rules, a trained classifier, policies, the
// streaming output filter and the /v1/moderations handler.
export { normalize, foldText, type Normalized } from './normalize.ts';
export { luhnValid, creditCards, DETECTORS } from './detectors.ts';
export { RuleSet, loadRules, parseRules, DEFAULT_RULES_FILE, type RuleHit } from './rules.ts';
export { TextClassifier, trainClassifier, type ClassifierConfig } from './classifier.ts';
export { CLASSES, generateDataset, datasetToJsonl, type Example } from './dataset.ts';
export { evaluate, prf, type PRF, type Report } from './metrics.ts';
export { Moderator, moderate, defaultModerator, DEFAULT_CLASSIFIER_FILE, MIN_CLASSIFIER_WORDS, type ModerationResult } from './moderate.ts';
export { DEFAULT_POLICY, OFF_POLICY, PolicyBook, parsePolicy, moderationEnabledByEnv, type Policy } from './policy.ts';
export { StreamFilter, PART_SEPARATOR, type StreamPart } from './stream.ts';
export { handleModerations, MODERATION_MODEL, type HttpResult } from './http.ts';
export { readDataset, trainOnExamples, evaluateHeldOut, classify, DEFAULT_DATA_FILE } from './train.ts';
export { firstFlagged, moderateSliced, slices, SLICE_CHARS } from './slices.ts';
