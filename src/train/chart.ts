// Line charts as standalone SVG: what a person looks at instead of a column of numbers.
import { writeFileSync, renameSync } from 'node:fs';

export interface Series {
  name: string;
  points: [number, number][];
  color?: string;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Fix the y range (e.g. [0, 1] for accuracies). */
  yRange?: [number, number];
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
  return ticks;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function lineChartSvg(series: Series[], o: ChartOptions): string {
  const W = o.width ?? 640, H = o.height ?? 360, L = 64, R = 16, T = 52, Bm = 48;
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const x0 = xs.length ? Math.min(...xs) : 0, x1 = xs.length ? Math.max(...xs) : 1;
  let [y0, y1] = o.yRange ?? [ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1];
  if (y1 === y0) { y0 -= 1; y1 += 1; }
  const px = (x: number) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (y: number) => H - Bm - ((y - y0) / (y1 - y0)) * (H - T - Bm);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${esc(o.title)}</text>`,
  ];
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e7eb"/>`,
      `<text x="${L - 6}" y="${py(t) + 4}" text-anchor="end" fill="#374151">${+t.toPrecision(4)}</text>`);
  }
  for (const t of niceTicks(x0, x1)) {
    parts.push(`<text x="${px(t)}" y="${H - Bm + 16}" text-anchor="middle" fill="#374151">${+t.toPrecision(6)}</text>`);
  }
  parts.push(`<line x1="${L}" x2="${W - R}" y1="${H - Bm}" y2="${H - Bm}" stroke="#6b7280"/>`,
    `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - Bm}" stroke="#6b7280"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(16 ${(T + H - Bm) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  // The legend is one row between the title and the plot, so it never covers a line.
  let lx = L;
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    // Later series draw dashed, so a series hidden under an identical one still shows.
    const dash = i > 0 ? ' stroke-dasharray="6 3"' : '';
    if (pts.length) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8"${dash} points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    parts.push(`<rect x="${lx}" y="30" width="10" height="10" fill="${color}"/>`, `<text x="${lx + 14}" y="39">${esc(s.name)}</text>`);
    lx += 24 + s.name.length * 6.5;
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export function writeChart(path: string, series: Series[], o: ChartOptions): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, lineChartSvg(series, o));
  renameSync(tmp, path);
}
