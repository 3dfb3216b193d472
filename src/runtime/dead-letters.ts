/**
 * The system's dead letters, kept on main in a bounded store (the newest `capacity` entries),
 * with a count per reason that is never trimmed. Every thread sends its dead letters here.
 *
 * Reasons: `mailbox-full`, `dropped-oldest` (overflow policies), `actor-failed` (the handler
 * threw; `error` says what), `actor-stopped` (mail left when it stopped), `no-such-actor`,
 * `circuit-open` (the target's breaker is open), `stop-timeout` (its handler outlived a stop's
 * shutdownMs), `late-reply` (a reply after its ask timed out or was aborted, or for an ask of an
 * earlier run of this node), `no-reply-to` (ctx.reply with
 * no one to answer), `pool-full` (a pool's queue was full), `worker-died` (one entry per dead
 * worker, `message.lost` = how many messages its mailboxes held).
 *
 * With NATS also: `not-exposed` (mail from another node for an actor not exposed to it, or for
 * an exposed name not exposed here), `stale-ref` (mail for an actor of an earlier run of this
 * node, with no exposed name to find its successor by), `outbox-full` (no room to leave),
 * `node-unreachable` (could not leave, or an at-most-once message the server never confirmed),
 * `unencodable`, `unexpected-reply` (a reply from a node that was not asked), and for bad input
 * from the wire `bad-message`, `unsupported-version`, `oversized`, `spoofed`. The DLQ backstop
 * writes `max-deliveries` records to the stream directly.
 */
import { TroupeError, fromWireError } from '../actors/errors.js';
import type { DeadLetterWire } from './wire.js';
import type { StoredDeadLetter } from '../bridge/dlq.js';

/** Where dead letters are kept durably (the NATS DLQ stream), when the system has one. @internal */
export interface DeadLetterStore {
  list(filter: DeadLetterFilter): Promise<StoredDeadLetter[]>;
  replay(filter: DeadLetterFilter): Promise<{ replayed: number; skipped: number }>;
  purge(filter: DeadLetterFilter): Promise<number>;
}

export interface DeadLetter {
  reason: string;
  /** The target's path (or address, `@thread.id`, when the actor is gone). */
  target: string;
  sender: string | null;
  message: unknown;
  /** The error that made it a dead letter, rebuilt with its name, message and code. */
  error?: Error;
  /** For `actor-failed`: the error's category and severity, and how many retries it had. */
  category?: string;
  severity?: string;
  retries?: number;
  time: number;
}

export interface DeadLetterFilter {
  reason?: string;
  target?: string;
  since?: number;
  limit?: number;
}

export class DeadLetters {
  /** How many entries the store keeps (older ones are counted, then dropped). */
  readonly capacity: number;
  private readonly entries: DeadLetter[] = [];
  private readonly byReason = new Map<string, number>();
  private readonly listeners = new Set<(d: DeadLetter) => void>();
  private total = 0;
  /** @internal set when the system has NATS. */
  store: DeadLetterStore | null = null;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  private durable(): DeadLetterStore {
    if (this.store === null) {
      throw new TroupeError('ERR_TROUPE_NODE_UNREACHABLE', 'dead letters are kept durably only with NATS: createActorSystem({ nats: { servers } }) or TROUPE_NATS_URL');
    }
    return this.store;
  }

  /** Dead letters in the DLQ stream (every node's, oldest first; `limit`, default 100, keeps the newest). Needs NATS. */
  stored(filter: DeadLetterFilter = {}): Promise<StoredDeadLetter[]> {
    return this.durable().list(filter);
  }

  /** Sends the matching stored dead letters back to their targets and removes them from the stream. Needs NATS. */
  replay(filter: DeadLetterFilter = {}): Promise<{ replayed: number; skipped: number }> {
    return this.durable().replay(filter);
  }

  /** Deletes the matching stored dead letters (all, with no filter); resolves with how many. Needs NATS. */
  purge(filter: DeadLetterFilter = {}): Promise<number> {
    return this.durable().purge(filter);
  }

  /** Dead letters received so far (all of them, not only those still kept). */
  get count(): number {
    return this.total;
  }

  /** Counts by reason, e.g. `{ 'mailbox-full': 3 }`. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.byReason);
  }

  /** Kept entries that match, oldest first; `limit` keeps the newest ones. */
  list(filter: DeadLetterFilter = {}): DeadLetter[] {
    const kept = this.entries.length > this.capacity ? this.entries.slice(-this.capacity) : this.entries;
    let out = kept.filter((d) =>
      (filter.reason === undefined || d.reason === filter.reason) &&
      (filter.target === undefined || d.target === filter.target) &&
      (filter.since === undefined || d.time >= filter.since));
    if (filter.limit !== undefined && out.length > filter.limit) out = out.slice(out.length - filter.limit);
    return out;
  }

  /** Calls `fn` for every new dead letter; returns the unsubscribe function. */
  subscribe(fn: (d: DeadLetter) => void): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  /** @internal */
  add(w: DeadLetterWire): void {
    const d: DeadLetter = { reason: w.reason, target: w.target, sender: w.sender, message: w.message, time: w.time };
    if (w.error) d.error = fromWireError(w.error);
    if (w.category !== undefined) d.category = w.category;
    if (w.severity !== undefined) d.severity = w.severity;
    if (w.retries !== undefined) d.retries = w.retries;
    this.total++;
    this.byReason.set(d.reason, (this.byReason.get(d.reason) ?? 0) + 1);
    this.entries.push(d);
    // Trim in bulk: one splice per `capacity` additions, not one per entry.
    if (this.entries.length >= 2 * this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    for (const fn of this.listeners) {
      try { fn(d); } catch { /* a listener's bug must not lose the next dead letter */ }
    }
  }
}
