// report.md: the speedrun's report card: what was trained, the before/after table on held-out
// problems, and the charts (pretraining loss; reward, accuracy, reasoning share, length over RL).
import { join } from 'node:path';
import { writeFileSync, renameSync } from 'node:fs';
import type { EvalResult } from '../eval/evaluate.ts';
import { MetricsLog } from '../train/metrics.ts';
import { formatDuration } from '../train/progress.ts';
import type { SpeedrunPreset } from './speedrun.ts';

export interface StageReport {
  name: string;
  evals: Record<string, EvalResult>;
  rlDir?: string;
  rlSteps?: number;
}

export interface ReportInput {
  preset: SpeedrunPreset;
  stages: StageReport[];
  seconds: number;
  params: number;
  pretrainTokensPerSecond: number;
  pretrainMfu: number;
  valLossA: number;
  valLossC: number;
}

const pct = (x: number | undefined | null) => (typeof x !== 'number' || Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);
/** A number from a metrics row (NaN was written as null in JSON). */
const num = (x: unknown, digits: number) => (typeof x === 'number' ? x.toFixed(digits) : '-');

export function writeReport(outDir: string, r: ReportInput): void {
  const p = r.preset;
  const start = r.stages[0].evals, zero = r.stages.find((s) => s.name.startsWith('R1-Zero'))?.evals;
  const lines: string[] = [
    '# ponder speedrun report', '',
    `Task: \`${p.task}\` at difficulty ${p.difficulty}; ${p.heldOut} held-out problems (never trained on). ` +
      `Model: ${r.params.toLocaleString()} parameters (d_model ${p.model.d_model}, ${p.model.n_layers} layers). ` +
      `Wall time: ${formatDuration(r.seconds)}.`, '',
    `Pretraining ran at ${r.pretrainTokensPerSecond.toFixed(0)} tokens/s (MFU ${(r.pretrainMfu * 100).toFixed(1)}%); ` +
      `validation loss ${r.valLossA.toFixed(3)} (base A, ${p.baseA.thinkFraction * 100}% reasoning documents), ` +
      `${r.valLossC.toFixed(3)} (base C, ${p.baseC.thinkFraction * 100}%).`, '',
    '## Before and after', '',
    `| model | greedy | pass@${p.evalK} | maj@${p.evalK} | reasons (greedy) | mean length | thinking forced on | thinking forced off |`,
    '|---|---|---|---|---|---|---|---|',
    ...r.stages.map((s) => {
      const f = s.evals.free;
      return `| ${s.name} | ${pct(f.pass1)} | ${pct(f.passK)} | ${pct(f.majK)} | ${pct(f.reasoningFraction)} | ${f.meanLength.toFixed(1)} | ${pct(s.evals.on.pass1)} | ${pct(s.evals.off.pass1)} |`;
    }),
    '',
  ];
  if (zero) {
    const gain = zero.free.pass1 - start.free.pass1;
    const vsForced = zero.free.pass1 - start.on.pass1;
    lines.push('## What RL changed', '',
      `GRPO moved greedy accuracy from ${pct(start.free.pass1)} to ${pct(zero.free.pass1)} (${gain >= 0 ? '+' : ''}${(gain * 100).toFixed(1)} points), ` +
        `and the share of answers that reason from ${pct(start.free.reasoningFraction)} to ${pct(zero.free.reasoningFraction)}. ` +
        `Against the base model with thinking forced on (${pct(start.on.pass1)}), the RL model is ${vsForced >= 0 ? '+' : ''}${(vsForced * 100).toFixed(1)} points: ` +
        (Math.abs(vsForced) < 0.05
          ? 'RL mostly taught the model to choose to reason; the reasoning itself is about as accurate as before.'
          : vsForced > 0
            ? 'RL also made the reasoning more accurate than the base model\'s forced reasoning.'
            : 'the RL model reasons less accurately than the base model forced to think.'),
      '');
  }
  lines.push('## Charts', '', '![pretraining loss](base-a/loss.svg)', '');
  for (const s of r.stages.filter((x) => x.rlDir)) {
    lines.push(`### ${s.name}`, '', `![reward](${s.rlDir}/reward.svg)`, '', `![length](${s.rlDir}/length.svg)`, '');
    const rows = MetricsLog.read(join(outDir, s.rlDir!, 'metrics.jsonl'));
    const sample = MetricsLog.read(join(outDir, s.rlDir!, 'samples.jsonl')).filter((x) => x.reward === 1).pop();
    if (rows.length) {
      const last = rows[rows.length - 1];
      lines.push(`${rows.length} RL steps; last step: reward ${num(last.reward, 3)}, reasoning ${pct(last.reasoning_fraction as number)}, ` +
        `completion ${num(last.completion_length, 1)} tokens, rollout ${num(last.rollout_tokens_per_s, 0)} tok/s, update ${num(last.update_tokens_per_s, 0)} tok/s.`, '');
    }
    if (sample) lines.push('A rewarded completion from the last steps:', '', '```', `${sample.question}`, `${sample.completion}`, '```', '');
  }
  lines.push('## Greedy examples after RL', '');
  for (const e of (zero ?? start).free.examples) lines.push('```', e.question, e.completion, `(${e.correct ? 'correct' : `wrong; expected ${e.answer}`})`, '```', '');
  const path = join(outDir, 'report.md');
  writeFileSync(`${path}.tmp`, lines.join('\n'));
  renameSync(`${path}.tmp`, path);
  writeFileSync(join(outDir, 'results.json'), JSON.stringify({ stages: r.stages.map((s) => ({ name: s.name, evals: Object.fromEntries(Object.entries(s.evals).map(([k, v]) => [k, { ...v, examples: undefined }])) })), seconds: r.seconds }, null, 2));
}
