/**
 * One frame of `troupe top`, as a pure function of what the server said: a header (health, the
 * workers' busy share and heap, the totals), then the busiest actors as a table that fits the
 * terminal. Columns drop out, least useful first, before the path gets narrower than PATH_MIN;
 * paths are cut from the left (their end tells most), every line to the width, the table to the
 * height. Throughput comes from two reports' `processed` (`rates`).
 */
import type { ActorRow, ActorsReport, SystemHealth } from '../observability/types.js';
import { compact, cutEnd, cutStart, levelColour, mib, paint, percent, right } from './format.js';

/** What a frame shows. */
export interface TopState {
  url: string;
  health: SystemHealth;
  actors: ActorsReport;
  /** Messages a second per actor path, since the previous report (none on the first frame: '-'). */
  rates: ReadonlyMap<string, number>;
  /** Why the last refresh failed (the frame shows the last answer that came). */
  error?: string;
}

/** The terminal's size; Infinity where nothing bounds it (`--once` into a pipe). */
export interface Size { columns: number; rows: number }

/** Lines above the table: three of header, a blank (or the refresh error). */
export const HEADER_LINES = 4;
/** The path column is not made narrower than this while there are columns to drop. */
export const PATH_MIN = 16;

/**
 * Messages a second per actor, from `processed` in two reports (by report time). Only actors in
 * both; a count that went down (another actor now has the path) gives none.
 */
export function rates(prev: ActorsReport | null, now: ActorsReport): Map<string, number> {
  const out = new Map<string, number>();
  if (prev === null) return out;
  const dt = (now.time - prev.time) / 1000;
  if (!(dt > 0)) return out;
  const before = new Map(prev.actors.map((a) => [a.path, a.processed]));
  for (const a of now.actors) {
    const p = before.get(a.path);
    if (p !== undefined && a.processed >= p) out.set(a.path, (a.processed - p) / dt);
  }
  return out;
}

interface Column {
  title: string;
  width: number;
  cell(a: ActorRow, rate: number | undefined): string;
  /** Lower drops first when the terminal is narrow; PATH never drops. */
  keep: number;
  /** Text left-aligned (numbers are right-aligned). */
  text?: boolean;
}

function columns(rows: readonly ActorRow[]): Column[] {
  const typeWidth = Math.min(20, Math.max(4, ...rows.map((a) => a.type.length)));
  const num = (title: string, width: number, keep: number, v: (a: ActorRow) => number): Column =>
    ({ title, width: Math.max(width, title.length), keep, cell: (a) => compact(v(a)) });
  return [
    { title: 'TYPE', width: typeWidth, keep: 3, text: true, cell: (a) => cutEnd(a.type, typeWidth) },
    { title: 'W', width: 4, keep: 5, cell: (a) => (a.worker < 0 ? 'pool' : String(a.worker)) },
    num('MAILBOX', 7, 9, (a) => a.mailbox),
    { title: 'MSG/S', width: 7, keep: 8, cell: (_a, r) => (r === undefined ? '-' : r < 10 ? String(Math.round(r * 10) / 10) : compact(r)) },
    num('PROCESSED', 9, 7, (a) => a.processed),
    num('FAILED', 6, 4, (a) => a.failed),
    num('RESTARTS', 8, 2, (a) => a.restarts),
    { title: 'BREAKER', width: 9, keep: 1, text: true, cell: (a) => a.breaker ?? '-' },
  ];
}

function headerLines(s: TopState): string[] {
  const h = s.health;
  const a = s.actors;
  const time = new Date(a.time).toISOString().slice(11, 19);
  const shown = a.actors.length < a.total ? `${a.actors.length} of ${a.total}` : String(a.total);
  const workers = a.workers.map((w) => `w${w.worker}${w.dedicated ? '(d)' : ''} ${w.alive ? `${percent(w.busy)} ${mib(w.heapUsed)}/${mib(w.heapTotal)}M` : 'dead'}`);
  return [
    `troupe top · ${h.status} · actors ${shown} · backpressured ${a.backpressured} · ${time} · ${s.url}`,
    `workers ${h.workers.alive}/${h.workers.total}${workers.length > 0 ? ` · ${workers.join(' · ')}` : ''}`,
    `processed ${h.processed} · failed ${h.failed} · dead letters ${h.deadLetters} · restarts ${h.restarts} · open breakers ${h.openBreakers}` +
      (h.nats !== undefined ? ` · nats ${h.nats.connected ? 'connected' : 'disconnected'}` : ''),
    s.error !== undefined ? `! ${s.error}` : '',
  ];
}

/** The frame's lines (no newlines in them), fitted to `size`; coloured (ANSI) when `colour`. */
export function renderTop(s: TopState, size: Size, colour = false): string[] {
  const rows = s.actors.actors;
  const all = columns(rows);
  const longest = Math.max(4, ...rows.map((a) => a.path.length));
  // Drop columns, least useful first, until the path gets at least PATH_MIN (or all it needs).
  let cols = all;
  const widthOf = (cs: Column[]) => cs.reduce((n, c) => n + c.width + 1, 0);
  while (cols.length > 0 && size.columns - widthOf(cols) < Math.min(PATH_MIN, longest)) {
    const drop = cols.reduce((lo, c) => (c.keep < lo.keep ? c : lo));
    cols = cols.filter((c) => c !== drop);
  }
  const pathWidth = Math.max(4, Math.min(longest, size.columns - widthOf(cols)));
  const fit = (l: string) => cutEnd(l, size.columns);
  const line = (path: string, cells: string[]) =>
    fit([path.padEnd(pathWidth), ...cells.map((c, i) => (cols[i]!.text ? c.padEnd(cols[i]!.width) : right(c, cols[i]!.width)))].join(' ').trimEnd());
  const out = [...headerLines(s).map(fit), line('PATH', cols.map((c) => c.title))];
  const room = Number.isFinite(size.rows) ? Math.max(0, size.rows - out.length) : rows.length;
  for (const a of rows.slice(0, room)) {
    out.push(line(cutStart(a.path, pathWidth), cols.map((c) => c.cell(a, s.rates.get(a.path)))));
  }
  if (!colour) return out;
  // Coloured after fitting (the escapes take no columns): the status word, and the error line.
  const status = s.health.status;
  out[0] = out[0]!.replace(` · ${status} · `, ` · ${paint(status, levelColour(status), true)} · `);
  if (s.error !== undefined) out[3] = paint(out[3]!, 'red', true);
  return out;
}
