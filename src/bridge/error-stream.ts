/**
 * The error-event stream `<P>_ERRORS` (7 days, 100 000 events, subject
 * `<P>.errors.<severity>.<category>`, JSON so any client can read them), as the system's durable
 * ErrorEventStore (observability/error-events.ts).
 */
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

  async recent(filter: ErrorFilter, limit: number): Promise<ErrorEvent[]> {
    const n = this.names;
    // The severity is the subject's second-last token; read from `since` on; keep the newest `limit`.
    const subject = filter.severity !== undefined ? `${n.errorsSubjects.slice(0, -1)}${filter.severity}.*` : undefined;
    const out: ErrorEvent[] = [];
    const onlyLimit = filter.severity === undefined && filter.actor === undefined && filter.since === undefined;
    for await (const m of scanStream(this.connection.jsm!, n.errorsStream, { subject, since: filter.since, ...(onlyLimit ? { last: limit } : {}) })) {
      let e: ErrorEvent;
      try { e = JSON.parse(new TextDecoder().decode(m.data)) as ErrorEvent; } catch { continue; }
      if (!matches(e, filter)) continue;
      out.push(e);
      if (out.length > 2 * limit) out.splice(0, out.length - limit);
    }
    return out.slice(-limit);
  }
}
