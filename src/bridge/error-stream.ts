/**
 * The error-event stream `<P>_ERRORS` (7 days, 100 000 events, subject
 * `<P>.errors.<severity>.<category>`, JSON so any client can read them), as the system's durable
 * ErrorEventStore (observability/error-events.ts).
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { matches, type ErrorEvent, type ErrorEventStore, type ErrorFilter } from '../observability/error-events.js';
import type { Names } from './config.js';
import type { Connection } from './connection.js';
import type { Publisher } from './outbox.js';
import { scanStream } from './scan.js';

export class ErrorStream implements ErrorEventStore {
  constructor(
    private readonly connection: Pick<Connection, 'connected' | 'ready' | 'jsm'>,
    private readonly outbox: Publisher,
    private readonly names: Names,
    private readonly log: Logger,
  ) {}

  get reachable(): boolean {
    return this.connection.connected && this.connection.jsm !== null;
  }

  /** Publishes `e` (false, for the log instead, until the streams are set up or while the outbox is full). */
  store(e: ErrorEvent): boolean {
    if (!this.connection.ready || !this.outbox.hasRoom) return false;
    const data = new TextEncoder().encode(JSON.stringify(e));
    this.outbox.publish(this.names.errors(e.severity, e.category), data, { msgId: `${e.node}.err.${e.id}` }, (ok) => {
      if (!ok) this.log[e.severity]({ event: e }, `error event (not stored): ${e.message}`);
    });
    return true;
  }

  recent(filter: ErrorFilter, limit: number): Promise<ErrorEvent[]> {
    return readErrorEvents(this.connection.jsm!, this.names, filter, limit);
  }
}

/** The stream's subjects, or only those of one severity (the subject's second-last token). */
export function errorSubjects(n: Names, severity?: string): string {
  return severity !== undefined ? `${n.errorsSubjects.slice(0, -1)}${severity}.*` : n.errorsSubjects;
}

/** An event as stored (JSON), or null for a message that is not one. */
export function decodeErrorEvent(data: Uint8Array): ErrorEvent | null {
  try {
    const e = JSON.parse(new TextDecoder().decode(data)) as unknown;
    return e !== null && typeof e === 'object' ? e as ErrorEvent : null;
  } catch {
    return null;
  }
}

/** Stored events that match `filter`, oldest first; the newest `limit` of them (ErrorStream.recent, and `troupe errors recent`). */
export async function readErrorEvents(jsm: JetStreamManager, n: Names, filter: ErrorFilter, limit: number): Promise<ErrorEvent[]> {
  const subject = filter.severity !== undefined ? errorSubjects(n, filter.severity) : undefined;
  const out: ErrorEvent[] = [];
  // Read from `since` on; with no filter but the limit, only the last `limit` messages.
  const onlyLimit = filter.severity === undefined && filter.actor === undefined && filter.since === undefined;
  for await (const m of scanStream(jsm, n.errorsStream, { subject, since: filter.since, ...(onlyLimit ? { last: limit } : {}) })) {
    const e = decodeErrorEvent(m.data);
    if (e === null || !matches(e, filter)) continue;
    out.push(e);
    if (out.length > 2 * limit) out.splice(0, out.length - limit);
  }
  return out.slice(-limit);
}
