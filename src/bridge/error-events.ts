/**
 * Error events: what went wrong, as data. Actors report them (`ctx.reportError`), and every
 * supervision failure is one. With NATS they go to the stream `<P>_ERRORS` (7 days, 100 000
 * events, subject `<P>.errors.<severity>.<category>`, JSON so any client can read them); without
 * it, or while NATS is unreachable, they go to the pino log. `system.errors.recent()` reads them
 * back; `for await (const e of system.errors)` follows this node's live events.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { invalidArgument } from '../actors/errors.js';
import { CATEGORIES, SEVERITIES, type ErrorCategory, type Severity } from '../supervision/classify.js';
import type { Bridge } from './bridge.js';
import { scanStream } from './scan.js';

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

function matches(e: ErrorEvent, f: ErrorFilter): boolean {
  return (f.since === undefined || e.time >= f.since) && (f.severity === undefined || e.severity === f.severity) &&
    (f.actor === undefined || e.actor === f.actor);
}

export class ErrorEvents implements AsyncIterable<ErrorEvent> {
  private readonly local: ErrorEvent[] = [];
  private readonly waiters = new Set<(e: ErrorEvent) => void>();
  /** @internal set when the system has a bridge. */
  bridge: Bridge | null = null;

  constructor(private readonly log: Logger, private readonly capacity = 1000) {}

  /** @internal records an event: the stream (or the log, without NATS), and live readers. */
  add(e: ErrorEvent): void {
    this.local.push(e);
    if (this.local.length > 2 * this.capacity) this.local.splice(0, this.local.length - this.capacity);
    const b = this.bridge;
    if (b !== null && b.ready && b.hasRoom) {
      const data = new TextEncoder().encode(JSON.stringify(e));
      b.publish(b.names.errors(e.severity, e.category), data, { msgId: `${e.node}.err.${e.id}` }, (ok) => {
        if (!ok) this.log[e.severity]({ event: e }, `error event (not stored): ${e.message}`);
      });
      if (!b.connected) this.log[e.severity]({ event: e }, `error event (NATS unreachable; queued): ${e.message}`);
    } else {
      this.log[e.severity]({ event: e }, `error event: ${e.message}`);
    }
    for (const w of this.waiters) w(e);
  }

  /**
   * Recent events, oldest first: from `<P>_ERRORS` (every node) when NATS is configured and
   * reachable, else this node's own (the last 1000).
   */
  async recent(filter: ErrorFilter = {}): Promise<ErrorEvent[]> {
    const limit = filter.limit ?? 100;
    const b = this.bridge;
    if (b === null || !b.connected || b.manager === null) return this.local.filter((e) => matches(e, filter)).slice(-limit);
    // The severity is the subject's second-last token; read from `since` on; keep the newest `limit`.
    const subject = filter.severity !== undefined ? `${b.names.errorsSubjects.slice(0, -1)}${filter.severity}.*` : undefined;
    const out: ErrorEvent[] = [];
    const onlyLimit = filter.severity === undefined && filter.actor === undefined && filter.since === undefined;
    for await (const m of scanStream(b.manager, b.names.errorsStream, { subject, since: filter.since, ...(onlyLimit ? { last: limit } : {}) })) {
      let e: ErrorEvent;
      try { e = JSON.parse(new TextDecoder().decode(m.data)) as ErrorEvent; } catch { continue; }
      if (!matches(e, filter)) continue;
      out.push(e);
      if (out.length > 2 * limit) out.splice(0, out.length - limit);
    }
    return out.slice(-limit);
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
