// Checkable problems: the public surface of src/tasks.
export { Rng, deriveSeed } from './rng.ts';
export type { Problem, Task } from './types.ts';
export { defaultVerify, extractFinalAnswer, extractLastNumber, normaliseText, parseNumber } from './answer.ts';
export { getTask, problemsTask, resolveTask, taskNames, verifyProblem } from './registry.ts';
export { heldOutSet, problemKey, TrainingSampler } from './heldout.ts';
export { loadJsonlProblems, parseJsonlProblems, writeJsonl, type LoadedProblems, type SkippedLine } from './jsonl.ts';
export { extractCountdownExpression } from './countdown.ts';
export { columnTrace, shapeProblem, shapesTask, shapeName, type Shape } from './columns.ts';
export { countdownSearch, countdownSearchTask, searchSolves } from './countdown-search.ts';
export { splitProblems, sampleSet, EVAL_DEFAULTS, FILE_HELD_OUT_FRACTION } from './heldout.ts';
export { defaultEvalSet, evalSetKeys } from './evalsets.ts';
