/**
 * A horizontal bar chart of one table's medians, as SVG text (no dependency): one bar per row
 * with a value, a thin line for its min – max spread, troupe's rows in one colour and peers in
 * another, rows without a value listed as "not run". Pure: unit-tested on a given table.
 */

import type { RoundsTable } from './types.js';

const ROW_H = 26;
const LABEL_W = 300;
const BAR_W = 420;
const VALUE_W = 110;
const TOP = 34;
const TROUPE = '#2f6fdf';
const PEER = '#9aa3ad';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function plain(label: string): string {
  return label.replace(/`/g, '');
}

export function renderBarChart(t: RoundsTable, format: (v: number) => string): string {
  const rows = t.rows;
  const max = Math.max(0, ...rows.map((r) => (r.value === undefined ? 0 : r.value.max)));
  const scale = max > 0 ? BAR_W / max : 0;
  const width = LABEL_W + BAR_W + VALUE_W;
  const height = TOP + rows.length * ROW_H + 12;
  const better = t.better === 'lower' ? 'lower is better' : 'higher is better';
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(plain(t.title))}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="20" font-size="13" font-weight="bold">${esc(plain(t.title))}</text>`,
    `<text x="${width - 8}" y="20" text-anchor="end" fill="#555">${esc(`${t.unit}, median; line: min – max; ${better}`)}</text>`,
  ];
  rows.forEach((r, i) => {
    const y = TOP + i * ROW_H;
    const mid = y + ROW_H / 2;
    out.push(`<text x="${LABEL_W - 8}" y="${mid + 4}" text-anchor="end">${esc(plain(r.label))}</text>`);
    if (r.value === undefined) {
      out.push(`<text x="${LABEL_W + 4}" y="${mid + 4}" fill="#999" font-style="italic">not run (see table)</text>`);
      return;
    }
    const w = Math.max(1, r.value.median * scale);
    const color = r.role === 'troupe' ? TROUPE : PEER;
    out.push(`<rect x="${LABEL_W}" y="${y + 5}" width="${w.toFixed(1)}" height="${ROW_H - 10}" fill="${color}"/>`);
    const x1 = LABEL_W + r.value.min * scale;
    const x2 = LABEL_W + r.value.max * scale;
    out.push(`<line x1="${x1.toFixed(1)}" y1="${mid}" x2="${x2.toFixed(1)}" y2="${mid}" stroke="#222" stroke-width="1.5"/>`);
    out.push(`<text x="${LABEL_W + BAR_W + 6}" y="${mid + 4}">${esc(format(r.value.median))}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
