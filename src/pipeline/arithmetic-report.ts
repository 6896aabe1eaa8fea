// report.md of the arithmetic preset: accuracy per shape before and after RL (thinking forced on
// both times), what changed in the reasoning, and a reading of what the held-out sets can show.
import { join } from 'node:path';
import { renameSync, writeFileSync } from 'node:fs';
import { formatDuration } from '../train/progress.ts';
import { MetricsLog } from '../train/metrics.ts';
import { shapeName } from '../tasks/columns.ts';
import { HELD_VALUES, longestTrainedOperand, unseenKind } from './arithmetic-data.ts';
import type { ArithmeticResult, ShapeResult } from './arithmetic.ts';
import type { ErrorKind } from './arithmetic-analysis.ts';
import type { CountdownResult } from './arithmetic-countdown.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;

/** Mean accuracy over the named shapes of a result list. */
export function meanAccuracy(rs: readonly ShapeResult[], shapes: readonly string[]): number {
  const xs = rs.filter((r) => shapes.includes(r.shape)).map((r) => r.stats.accuracy);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}


function tokensLabel(t: ArithmeticResult['tokenizer']): string {
  if (t.kind === 'chars') return `one token per character (${t.vocabSize} tokens, no merges)`;
  if (t.kind === 'places') return `BPE whose digits carry their place value (${t.vocabSize} tokens: ten per place, places counted from the units plus an offset drawn per training document, 0 at evaluation)`;
  return `BPE, ${t.vocabSize} tokens`;
}

function errorCell(e: Record<ErrorKind, number>): string {
  const parts = Object.entries(e).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  return parts.length ? parts.join(', ') : '-';
}

export function writeArithmeticReport(r: ArithmeticResult): string {
  const UNSEEN_NAMES = r.plan.unseen.map(shapeName), RL_SHAPE = r.plan.rl;
  const rows = r.base.map((b, i) => {
    const a = r.afterRl[i]!;
    const pretrained = r.plan.pretrain.some((s) => shapeName(s) === b.shape), rlShape = b.shape === shapeName(RL_SHAPE);
    const unseen = r.plan.unseen.find((s) => shapeName(s) === b.shape);
    const between = (r.plan.between ?? []).some((s) => shapeName(s) === b.shape);
    const kind = unseen ? `never trained (${unseenKind(r.plan, unseen)})` : between ? 'in no training problem (no longer than trained operands)' : b.shape.includes('held') ? 'held multiplicands'
      : pretrained && rlShape ? 'pretrained + RL' : rlShape ? 'RL only' : 'pretrained';
    return `| ${b.shape} | ${kind} | ${pct(b.stats.accuracy)} | ${pct(a.stats.accuracy)} | ${signed(a.stats.accuracy - b.stats.accuracy)} | ` +
      `${b.stats.meanTokens.toFixed(0)} → ${a.stats.meanTokens.toFixed(0)} | ${b.stats.meanSteps.toFixed(1)} → ${a.stats.meanSteps.toFixed(1)} | ` +
      `${b.stats.meanChecks.toFixed(1)} → ${a.stats.meanChecks.toFixed(1)} | ${errorCell(b.stats.errors)} | ${errorCell(a.stats.errors)} |`;
  });
  const trainedNames = r.plan.trained.map(shapeName);
  const rl = shapeName(RL_SHAPE);
  const find = (rs: ShapeResult[], s: string) => rs.find((x) => x.shape === s)!.stats.accuracy;
  const rlRows = MetricsLog.read(join(r.outDir, r.rlDir, 'metrics.jsonl'));
  const lines = [
    '# Arithmetic that transfers: report', '',
    `Model: ${r.params.toLocaleString()} parameters. Wall time: ${formatDuration(r.seconds)}. ` +
      `Pretraining: ${r.pretrain.steps} steps at ${r.pretrain.tokensPerSecond.toFixed(0)} tokens/s, validation loss ${r.pretrain.valLoss.toFixed(3)}, ` +
      `${r.trainingProblems.toLocaleString()} training problems. GRPO: ${r.rlSteps} steps on ${rl} products, answer-only reward.`, '',
    `Held out (greedy, thinking forced on): ${Object.entries(r.heldOutCounts).map(([k, n]) => `${k} ${n}`).join(', ')}. ` +
      `Held multiplicands (never written in any training line, nor reversed): ${HELD_VALUES.join(', ')}. ` +
      `Longest operand of any training problem: ${longestTrainedOperand(r.plan)} digits.`, '',
      `Tokens: ${tokensLabel(r.tokenizer)}; every digit is its own token (checked in code). Positions: the longest held-out reference (prompt + trace) is ` +
      `${r.context.longestReference} tokens; pretraining windows are ${r.context.seqLen} tokens of packed documents, so ` +
      `${r.context.longestReference <= r.context.seqLen ? 'no evaluated trace needs a position or distance that training did not have' : 'the longest traces need positions beyond the trained window'}.`, '',
    '| shape | in training | base | after RL | change (points) | tokens | lines | result lines right | base errors (first wrong line) | errors after RL |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows, '',
    `Mean over never-trained shapes (${UNSEEN_NAMES.join(', ')}): base ${pct(meanAccuracy(r.base, UNSEEN_NAMES))}, after RL ${pct(meanAccuracy(r.afterRl, UNSEEN_NAMES))}. ` +
      `Mean over trained shapes (${trainedNames.join(', ')}): base ${pct(meanAccuracy(r.base, trainedNames))}, after RL ${pct(meanAccuracy(r.afterRl, trainedNames))}. ` +
      `RL shape ${rl}: ${pct(find(r.base, rl))} → ${pct(find(r.afterRl, rl))} (${signed(find(r.afterRl, rl) - find(r.base, rl))} points).`, '',
    '![RL reward](rl/reward.svg)', '', '![RL length](rl/length.svg)', '',
  ];
  if (rlRows.length) {
    const first = rlRows[0]!, last = rlRows[rlRows.length - 1]!;
    lines.push(`RL: training accuracy ${Number(first.accuracy).toFixed(3)} → ${Number(last.accuracy).toFixed(3)}, completion length ${Number(first.completion_length).toFixed(0)} → ${Number(last.completion_length).toFixed(0)} tokens.`, '');
  }
  lines.push('## Samples (greedy, thinking forced on)', '');
  for (const [label, rs] of [['base', r.base], ['after RL', r.afterRl]] as const) {
    for (const s of rs.filter((x) => x.shape === rl || x.shape === UNSEEN_NAMES[UNSEEN_NAMES.length - 1])) {
      const e = s.examples[0];
      if (e) lines.push(`${label}, ${s.shape} (${e.correct ? 'right' : 'wrong'}):`, '', '```', e.question, e.completion, '```', '');
    }
  }
  if (r.countdown) lines.push(...countdownSection(r.outDir, r.countdown));
  const path = join(r.outDir, 'report.md');
  writeFileSync(`${path}.tmp`, lines.join('\n'));
  renameSync(`${path}.tmp`, path);
  return path;
}

function countdownSection(outDir: string, c: CountdownResult): string[] {
  const rows = MetricsLog.read(join(outDir, c.rlDir, 'metrics.jsonl'));
  const lines = [
    '## Countdown (search)', '',
    `Base: pretrained ${c.pretrainSteps} steps on ${c.trainingDocuments.toLocaleString()} search traces in a random order; GRPO ${c.rlSteps} steps on 3- and 4-number instances, answer-only reward. Held out, greedy, thinking forced on:`, '',
    '| numbers | base | after RL | change (points) | tokens | tries (lines) |', '|---|---|---|---|---|---|',
    ...c.base.map((b, i) => {
      const a = c.afterRl[i]!;
      return `| ${b.numbers} | ${pct(b.accuracy)} | ${pct(a.accuracy)} | ${signed(a.accuracy - b.accuracy)} | ${b.meanTokens.toFixed(0)} → ${a.meanTokens.toFixed(0)} | ${b.meanTries.toFixed(1)} → ${a.meanTries.toFixed(1)} |`;
    }), '',
    `![Countdown reward](${c.rlDir}/reward.svg)`, '', `![Countdown reasoning length](${c.rlDir}/length.svg)`, '',
  ];
  if (rows.length) lines.push(`Reasoning length over RL: ${rows.filter((_, i) => i % Math.max(1, Math.floor(rows.length / 8)) === 0).map((x) => Number(x.completion_length).toFixed(0)).join(' → ')} tokens.`, '');
  for (const [label, es] of [['base', c.base], ['after RL', c.afterRl]] as const) {
    const e = es[es.length - 1]!.examples[0];
    if (e) lines.push(`${label}, ${es[es.length - 1]!.numbers} numbers (${e.correct ? 'right' : 'wrong'}):`, '', '```', e.question, e.completion, '```', '');
  }
  return lines;
}
