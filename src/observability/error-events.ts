/**
 * Error events: what went wrong, as data. Actors report them (`ctx.reportError`), and every
 * supervision failure is one. `system.errors` keeps this node's recent ones, follows them live
 * and, without NATS (or while it is unreachable), writes them to the pino log. With NATS the
 * bridge is their durable store (`<P>_ERRORS`, 7 days, 100 000 events): it plugs in as an
 * `ErrorEventStore`, so nothing here depends on NATS.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { invalidArgument } from '../actors/errors.js';
import { CATEGORIES, SEVERITIES, type ErrorCategory, type Severity } from '../supervision/classify.js';
import { HourlyErrorCounts, totalsOf } from './error-totals.js';
import type { ErrorTotals } from './types.js';

/** Where error events are kept durably (the NATS bridge implements it). @internal */
export interface ErrorEventStore {
  /** Takes an event to keep; false when it cannot now (the caller logs it instead). */
  store(e: ErrorEvent): boolean;
  /** Whether the store is reachable now (an event taken while it is not waits, and is logged too). */
  readonly reachable: boolean;
  /** Stored events that match, oldest first (every node's); `limit` keeps the newest. */
  recent(filter: ErrorFilter, limit: number): Promise<ErrorEvent[]>;
}

export interface ErrorReport {
  severity?: Severity;
  category?: ErrorCategory;
  message: string;
  details?: Record<string, unknown>;
  /** Ties events of one request together; a new id when omitted. */
  correlationId?: string;
}

export interface ErrorEvent {
  id: string;
  severity: Severity;
  category: ErrorCategory;
  message: string;
  details: Record<string, unknown>;
  /** The actor's path ('' when reported from outside any actor). */
  actor: string;
  node: string;
  correlationId: string;
  time: number;
}

export interface ErrorFilter {
  since?: number;
  severity?: Severity;
  actor?: string;
  limit?: number;
}

/** Checks a report (from ctx.reportError) and fills in what is left out. */
export function errorEvent(r: ErrorReport, actor: string, node: string): ErrorEvent {
  if (r === null || typeof r !== 'object') throw invalidArgument('report', 'an object: { severity, category, message, details }', r);
  if (typeof r.message !== 'string') throw invalidArgument('report.message', 'a string', r.message);
  const severity = r.severity ?? 'error';
  const category = r.category ?? 'unknown';
  if (!SEVERITIES.includes(severity)) throw invalidArgument('report.severity', SEVERITIES.join(', '), severity);
  if (!CATEGORIES.includes(category)) throw invalidArgument('report.category', CATEGORIES.join(', '), category);
  return {
    id: randomUUID(), severity, category, message: r.message, details: r.details ?? {}, actor, node,
    correlationId: r.correlationId ?? randomUUID(), time: Date.now(),
  };
}

/** Whether `e` passes `f` (the durable store filters the same way). */
export function matches(e: ErrorEvent, f: ErrorFilter): boolean {
  return (f.since === undefined || e.time >= f.since) && (f.severity === undefined || e.severity === f.severity) &&
    (f.actor === undefined || e.actor === f.actor);
}

export class ErrorEvents implements AsyncIterable<ErrorEvent> {
  private readonly local: ErrorEvent[] = [];
  private readonly waiters = new Set<(e: ErrorEvent) => void>();
  /** @internal set when the system has a durable store (NATS). */
  store: ErrorEventStore | null = null;
  /** This node's events per hour, for 24 h; and the last totals read from the store, with when. */
  private readonly hourly = new HourlyErrorCounts();
  private storeTotals: { at: number; totals: ErrorTotals } | null = null;

  constructor(private readonly log: Logger, private readonly capacity = 1000) {}

  /** @internal records an event: the store (or the log, without one), and live readers. */
  add(e: ErrorEvent): void {
    this.local.push(e);
    this.hourly.count(e);
    if (this.local.length > 2 * this.capacity) this.local.splice(0, this.local.length - this.capacity);
    const store = this.store;
    if (store !== null && store.store(e)) {
      if (!store.reachable) this.log[e.severity]({ event: e }, `error event (store unreachable; queued): ${e.message}`);
    } else {
      this.log[e.severity]({ event: e }, `error event: ${e.message}`);
    }
    for (const w of this.waiters) w(e);
  }

  /**
   * Recent events, oldest first: from the durable store (every node's) when there is one and it
   * is reachable, else this node's own (the last 1000).
   */
  async recent(filter: ErrorFilter = {}): Promise<ErrorEvent[]> {
    const limit = filter.limit ?? 100;
    const store = this.store;
    if (store === null || !store.reachable) return this.local.filter((e) => matches(e, filter)).slice(-limit);
    return store.recent(filter, limit);
  }

  /**
   * Totals over the last 24 hours by severity, category and actor, with a count per hour: from the
   * durable store (every node's; read at most every 30 s, up to its newest 100 000 events) when
   * there is one and it is reachable, else this node's own.
   */
  async totals(): Promise<ErrorTotals> {
    const store = this.store;
    if (store === null || !store.reachable) return this.hourly.totals();
    const now = Date.now();
    if (this.storeTotals === null || now - this.storeTotals.at > 30_000) {
      const events = await store.recent({ since: now - 24 * 3_600_000 }, 100_000);
      this.storeTotals = { at: now, totals: totalsOf(events, now) };
    }
    return this.storeTotals.totals;
  }

  /** Follows this node's events as they happen (until the loop breaks). */
  [Symbol.asyncIterator](): AsyncIterator<ErrorEvent> {
    const queue: ErrorEvent[] = [];
    let wake: (() => void) | null = null;
    const onEvent = (e: ErrorEvent) => { queue.push(e); wake?.(); };
    this.waiters.add(onEvent);
    return {
      next: async () => {
        while (queue.length === 0) await new Promise<void>((r) => { wake = r; });
        wake = null;
        return { value: queue.shift()!, done: false };
      },
      return: async () => {
        this.waiters.delete(onEvent);
        return { value: undefined, done: true };
      },
    };
  }
}
