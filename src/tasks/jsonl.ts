// Problems as JSONL: one {"question": ..., "answer": ..., "task"?: ...} per line.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { PonderError } from '../errors.ts';
import type { Problem } from './types.ts';

export interface SkippedLine { line: number; reason: string }
export interface LoadedProblems { problems: Problem[]; skipped: SkippedLine[] }

/** Parses JSONL text; bad lines are skipped and reported by 1-based line number, never thrown. */
export function parseJsonlProblems(text: string, defaultTask = 'jsonl'): LoadedProblems {
  const problems: Problem[] = [];
  const skipped: SkippedLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return; // blank lines (and the final newline) are not problems
    let obj: unknown;
    try { obj = JSON.parse(raw); } catch (e) {
      skipped.push({ line, reason: `bad JSON: ${(e as Error).message}` });
      return;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      skipped.push({ line, reason: 'not a JSON object' });
      return;
    }
    const o = obj as Record<string, unknown>;
    const question = o.question;
    // A numeric answer is accepted as its decimal text.
    const answer = typeof o.answer === 'number' && Number.isFinite(o.answer) ? String(o.answer) : o.answer;
    if (typeof question !== 'string' || question.trim() === '') {
      skipped.push({ line, reason: 'missing or empty "question" (a string)' });
      return;
    }
    if (typeof answer !== 'string' || answer.trim() === '') {
      skipped.push({ line, reason: 'missing or empty "answer" (a string or number)' });
      return;
    }
    if (o.task !== undefined && typeof o.task !== 'string') {
      skipped.push({ line, reason: '"task" must be a string' });
      return;
    }
    problems.push({ question, answer, task: (o.task as string | undefined) ?? defaultTask });
  });
  return { problems, skipped };
}

export function loadJsonlProblems(path: string): LoadedProblems {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) {
    throw new PonderError(`cannot read problems file '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseJsonlProblems(text);
}

/** Writes records as JSONL atomically (temp file, then rename). */
export function writeJsonl(path: string, records: readonly object[]): void {
  const body = records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, body);
    renameSync(tmp, path);
  } catch (e) {
    throw new PonderError(`cannot write '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
