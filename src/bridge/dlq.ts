/**
 * The dead-letter stream `<P>_DLQ`: every dead letter of every node, subject
 * `<P>.dlq.<reason>.<node>`, the original message as the payload (encoded as messages are) and
 * what happened in headers: reason, target, sender, node, error category/severity/message/code,
 * retries, deliveries, first and last time. Used by the system (`system.deadLetters.stored /
 * replay / purge`) and by the CLI (`troupe dlq list | replay | purge`).
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { DeadLetterFilter, StoredDeadLetter } from '../runtime/main/dead-letters.js';

export type { StoredDeadLetter } from '../runtime/main/dead-letters.js';
import { sanitizeToken } from '../runtime/node-id.js';
import { scanStream, type ScannedMsg } from './scan.js';


export const H = {
  reason: 'Troupe-Reason',
  target: 'Troupe-Target',
  sender: 'Troupe-Sender',
  node: 'Troupe-Node',
  errorMessage: 'Troupe-Error-Message',
  errorCode: 'Troupe-Error-Code',
  category: 'Troupe-Error-Category',
  severity: 'Troupe-Error-Severity',
  retries: 'Troupe-Retries',
  deliveries: 'Troupe-Deliveries',
  firstTime: 'Troupe-First-Time',
  lastTime: 'Troupe-Last-Time',
  /** The run of the node that dead-lettered it (its `@t.i` addresses are of that run). */
  incarnation: 'Troupe-Incarnation',
} as const;

/** Where a stored dead letter goes back to: an address on its node's run (`@t.i`), or a top-level name (`/user/<name>`). */
export function replayTarget(d: StoredDeadLetter): { node: string; incarnation: number; thread: number; id: number } | { name: string } | null {
  const addr = /^@(\d+)\.(\d+)$/.exec(d.target);
  if (addr) return { node: d.node, incarnation: d.incarnation, thread: Number(addr[1]), id: Number(addr[2]) };
  const named = /^\/user\/([^/]+)$/.exec(d.target);
  return named ? { name: named[1]! } : null;
}

export class DeadLetterStream {
  constructor(
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    private readonly decode: (bytes: Uint8Array) => unknown,
  ) {}

  /** Stored dead letters that match, oldest first; `limit` (default 100) keeps the newest. */
  async list(filter: DeadLetterFilter = {}): Promise<StoredDeadLetter[]> {
    const limit = filter.limit ?? 100;
    const out: StoredDeadLetter[] = [];
    for await (const d of this.scan(filter)) {
      out.push(d);
      if (out.length > 2 * limit) out.splice(0, out.length - limit);
    }
    return out.slice(-limit);
  }

  /** Deletes the stored dead letters that match (all of them with no filter); returns how many. */
  async purge(filter: DeadLetterFilter = {}): Promise<number> {
    if (filter.reason === undefined && filter.target === undefined && filter.since === undefined && filter.limit === undefined) {
      const r = await this.jsm.streams.purge(this.stream);
      return r.purged;
    }
    let n = 0;
    for (const d of await this.list({ ...filter, limit: filter.limit ?? Number.MAX_SAFE_INTEGER })) {
      if (await this.jsm.streams.deleteMessage(this.stream, d.seq, false).catch(() => false)) n++;
    }
    return n;
  }

  /**
   * Sends each matching dead letter back to its target with `send` (oldest first), and deletes
   * it from the stream once sent: a second replay does not send it again.
   */
  async replay(filter: DeadLetterFilter, send: (d: StoredDeadLetter) => Promise<boolean>): Promise<{ replayed: number; skipped: number }> {
    const todo = await this.list({ ...filter, limit: filter.limit ?? 10_000 });
    let replayed = 0;
    let skipped = 0;
    for (const d of todo) {
      if (await send(d)) {
        replayed++;
        await this.jsm.streams.deleteMessage(this.stream, d.seq, false).catch(() => false);
      } else {
        skipped++;
      }
    }
    return { replayed, skipped };
  }

  /** Oldest first: the reason is the subject's, `since` the stream's start time; the target is in a header. */
  private async *scan(filter: DeadLetterFilter): AsyncGenerator<StoredDeadLetter> {
    const subject = filter.reason !== undefined ? `${this.stream.slice(0, -'_DLQ'.length)}.dlq.${sanitizeToken(filter.reason)}.>` : undefined;
    // (No `last` shortcut here: replay and purge delete records, so the last N sequence numbers may hold fewer.)
    for await (const m of scanStream(this.jsm, this.stream, { subject, since: filter.since })) {
      const d = this.read(m);
      if (filter.reason !== undefined && d.reason !== filter.reason) continue;
      if (filter.target !== undefined && d.target !== filter.target) continue;
      yield d;
    }
  }

  private read(m: ScannedMsg): StoredDeadLetter {
    const h = (k: string) => m.headers?.get(k) || undefined;
    let message: unknown;
    try { message = this.decode(m.data); } catch { message = undefined; }
    const num = (k: string) => { const v = h(k); return v === undefined ? undefined : Number(v); };
    const errorMessage = h(H.errorMessage);
    const d: StoredDeadLetter = {
      seq: m.seq, reason: h(H.reason) ?? '?', target: h(H.target) ?? '?', sender: h(H.sender) ?? null, node: h(H.node) ?? '?',
      incarnation: Number(h(H.incarnation) ?? 0) >>> 0,
      message, raw: m.data, firstTime: num(H.firstTime) ?? m.time.getTime(), lastTime: num(H.lastTime) ?? m.time.getTime(),
    };
    if (errorMessage !== undefined) {
      d.error = { message: errorMessage };
      if (h(H.errorCode)) d.error.code = h(H.errorCode);
      if (h(H.category)) d.error.category = h(H.category);
      if (h(H.severity)) d.error.severity = h(H.severity);
    }
    const retries = num(H.retries);
    if (retries !== undefined) d.retries = retries;
    const deliveries = num(H.deliveries);
    if (deliveries !== undefined) d.deliveries = deliveries;
    return d;
  }
}
