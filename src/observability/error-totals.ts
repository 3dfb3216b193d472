/**
 * Error events counted over the last 24 hours, by hour: by severity, category and actor. Main
 * counts its node's events as they come (without NATS, the only record once the last 1,000 are
 * gone); with NATS, totals come from the error stream (every node's), read at most every 30 s.
 */
import type { ErrorEvent } from './error-events.js';
import type { ErrorTotals } from './types.js';

const HOUR = 3_600_000;
const HOURS = 24;
/** Actors kept per hour, and shown: the most frequent. */
const MAX_ACTORS = 200;
const SHOWN_ACTORS = 20;

interface Hour {
  start: number;
  total: number;
  bySeverity: Map<string, number>;
  byCategory: Map<string, number>;
  byActor: Map<string, number>;
}

function bump(m: Map<string, number>, key: string, cap = Infinity): void {
  const n = m.get(key);
  if (n !== undefined) m.set(key, n + 1);
  else if (m.size < cap) m.set(key, 1);
}

/** This node's events, counted per hour for 24 hours. */
export class HourlyErrorCounts {
  private readonly hours: Hour[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  count(e: ErrorEvent): void {
    const start = Math.floor(e.time / HOUR) * HOUR;
    let h = this.hours[this.hours.length - 1];
    if (h === undefined || h.start !== start) {
      h = { start, total: 0, bySeverity: new Map(), byCategory: new Map(), byActor: new Map() };
      this.hours.push(h);
      this.hours.sort((a, b) => a.start - b.start);
      this.prune();
    }
    h.total++;
    bump(h.bySeverity, e.severity);
    bump(h.byCategory, e.category);
    bump(h.byActor, e.actor, MAX_ACTORS);
  }

  totals(): ErrorTotals {
    this.prune();
    return fold(this.hours, this.now(), 'local');
  }

  private prune(): void {
    const oldest = Math.floor(this.now() / HOUR) * HOUR - (HOURS - 1) * HOUR;
    while (this.hours.length > 0 && this.hours[0]!.start < oldest) this.hours.shift();
  }
}

/** Totals of a list of events (from the NATS stream) over the 24 hours before `now`. */
export function totalsOf(events: readonly ErrorEvent[], now: number): ErrorTotals {
  const counts = new HourlyErrorCounts(() => now);
  for (const e of events) if (e.time > now - HOURS * HOUR) counts.count(e);
  return { ...counts.totals(), source: 'nats' };
}

function fold(hours: readonly Hour[], now: number, source: ErrorTotals['source']): ErrorTotals {
  const current = Math.floor(now / HOUR) * HOUR;
  const hourly = new Array<number>(HOURS).fill(0);
  const bySeverity: Record<string, number> = {};
  const byCategory: Record<string, number> = {};
  const byActor = new Map<string, number>();
  let total = 0;
  for (const h of hours) {
    const i = HOURS - 1 - (current - h.start) / HOUR;
    if (i < 0 || i >= HOURS) continue;
    hourly[i] = hourly[i]! + h.total;
    total += h.total;
    for (const [k, n] of h.bySeverity) bySeverity[k] = (bySeverity[k] ?? 0) + n;
    for (const [k, n] of h.byCategory) byCategory[k] = (byCategory[k] ?? 0) + n;
    for (const [k, n] of h.byActor) byActor.set(k, (byActor.get(k) ?? 0) + n);
  }
  const top = [...byActor].sort((a, b) => b[1] - a[1]).slice(0, SHOWN_ACTORS);
  return { since: current - (HOURS - 1) * HOUR, total, bySeverity, byCategory, byActor: Object.fromEntries(top), hourly, source };
}
