import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertDisjoint, CORPUS_TASKS, corpusExcludedKeys, defaultCorpus } from '../../src/data/corpus.ts';
import { defaultEvalSet } from '../../src/tasks/evalsets.ts';
import { getTask, taskNames } from '../../src/tasks/registry.ts';
import { problemKey } from '../../src/tasks/heldout.ts';

test('the default corpus holds no problem of any default evaluation set it could collide with', () => {
  const docs = defaultCorpus({ stories: 5, problems: 5000 });
  const questions = docs.map((d) => /^Question: (.*)$/m.exec(d)?.[1]).filter((q): q is string => q !== undefined);
  assert.ok(questions.length >= 4995);
  const excluded = corpusExcludedKeys();
  // Every built-in task's default set at every corpus difficulty (when the space allows one).
  let checked = 0;
  for (const name of taskNames()) {
    const t = getTask(name);
    for (const { difficulty } of CORPUS_TASKS) {
      if (difficulty < t.difficulty.min) continue;
      let set;
      try { set = defaultEvalSet(t, difficulty); } catch (e) { assert.match(String(e), /distinct problems/); continue; }
      assert.ok(set.every((p) => excluded.has(problemKey(p))), `${name} d${difficulty}`);
      checked++;
    }
  }
  assert.ok(checked >= 18, `only ${checked} sets checked`);
  assert.ok(questions.every((q) => !excluded.has(problemKey({ question: q }))));
  // The check itself fires on a leak.
  const leak = defaultEvalSet(getTask('addition'), 3)[0]!;
  assert.throws(() => assertDisjoint([leak], excluded), /held-out problem/);
});
