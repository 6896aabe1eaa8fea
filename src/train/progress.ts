// A one-line progress bar for long work: done/total, rate, ETA and any extra fields.
// On a terminal it redraws in place; in a log (CI, a pipe) it prints a line every few seconds.

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export class ProgressBar {
  private readonly start = performance.now();
  private lastPrint = 0;
  private readonly tty: boolean;

  constructor(readonly total: number, readonly label = '', readonly stream: NodeJS.WriteStream = process.stderr, readonly width = 24) {
    this.tty = Boolean(stream.isTTY);
  }

  /** Reports `done` units finished; fields are shown after the bar ("loss 2.31"). */
  update(done: number, fields: Record<string, string> = {}): void {
    const now = performance.now();
    const final = done >= this.total;
    if (!final && now - this.lastPrint < (this.tty ? 100 : 5000)) return;
    this.lastPrint = now;
    const elapsed = (now - this.start) / 1000;
    const rate = done / Math.max(elapsed, 1e-9);
    const eta = (this.total - done) / Math.max(rate, 1e-9);
    const filled = Math.round((this.width * Math.min(done, this.total)) / this.total);
    const bar = '█'.repeat(filled) + '░'.repeat(this.width - filled);
    const extra = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(' | ');
    const line = `${this.label}${this.label ? ' ' : ''}${bar} ${done}/${this.total} | ${extra}${extra ? ' | ' : ''}${rate.toFixed(2)}/s | ${final ? `done in ${formatDuration(elapsed)}` : `ETA ${formatDuration(eta)}`}`;
    if (this.tty) this.stream.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
    else this.stream.write(line + '\n');
  }
}
