// Metrics as JSON lines: one object per step, appended, so a crashed run keeps what it logged.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

export class MetricsLog {
  constructor(readonly path: string) {}

  append(row: Record<string, unknown>): void {
    appendFileSync(this.path, JSON.stringify(row) + '\n');
  }

  /** Keeps only rows with step <= lastStep (used when resuming from an older checkpoint). */
  truncateAfter(lastStep: number): void {
    if (!existsSync(this.path)) return;
    const rows = MetricsLog.read(this.path).filter((r) => typeof r.step === 'number' && (r.step as number) <= lastStep);
    writeFileSync(this.path, rows.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  static read(path: string): Record<string, unknown>[] {
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
