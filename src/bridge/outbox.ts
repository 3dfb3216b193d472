/**
 * The outbox: everything this node publishes goes through it, in order. While NATS is
 * unreachable it holds up to `outboxCapacity` messages (health: degraded); a caller that finds no
 * room (`hasRoom`) dead-letters the message itself (`outbox-full`): the outbox never throws at a
 * sender. While connected it refuses nothing: a burst larger than the outbox waits its turn, and
 * flow control slows its senders (sender.ts), as on any path.
 *
 * JetStream (at-least-once): a publish carries a `Nats-Msg-Id` (msg-ids.ts), so a retry after an
 * ambiguous timeout is deduplicated by the stream; it is retried with the same id, with backoff,
 * until the stream acknowledges it. At most PUBLISH_WINDOW wait for their acks at once; a failed
 * one goes back to its place in the queue (queue.ts).
 *
 * Core NATS (at-most-once): the outbox is flushed at the end of the caller's synchronous burst
 * (or sooner, when it gets long), so that messages to the same node can share one core NATS
 * message: a frame (envelope.ts). Core NATS has no ack, and nats.js no reconnect buffer (a publish
 * into a connection that just died is gone): a core message is done only when the PONG of a flush
 * after it says the server has it, and failed if the connection drops first.
 */
import type { Logger } from 'pino';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { BridgeConfig } from './config.js';
import type { Link } from './connection.js';
import { frame } from './envelope.js';
import { Queue } from './queue.js';

/** What a sender sees of the outbox. */
export interface Publisher {
  /** Room for one more? Always while connected. (A caller that finds none dead-letters its message: `outbox-full`.) */
  readonly hasRoom: boolean;
  /**
   * Queues a publish; `done(true)` once the stream has it (core NATS: once the server confirmed
   * it has it), `done(false)` if it cannot be sent. The caller checks `hasRoom` first.
   */
  publish(subject: string, data: Uint8Array, o: PublishOptions, done: (ok: boolean, err?: Error) => void): void;
}

export interface PublishOptions {
  /** The stream's dedupe id (JetStream only). */
  msgId?: string | null;
  headers?: MsgHdrs;
  /** Core NATS (at-most-once), not JetStream. */
  core?: boolean;
}

interface OutboxItem {
  /** Its place in the outbox: a failed publish goes back where it was. */
  seq: number;
  subject: string;
  data: Uint8Array;
  msgId: string | null;
  headers: MsgHdrs | undefined;
  /** Core NATS (at-most-once), not JetStream. */
  core: boolean;
  attempts: number;
  done: (ok: boolean, err?: Error) => void;
}

/** JetStream publishes waiting for their acks at most. */
const PUBLISH_WINDOW = 256;
/** Largest frame of several core NATS messages (bytes). */
const FRAME_BYTES = 64 * 1024;

export class Outbox implements Publisher {
  private readonly queue = new Queue<OutboxItem>();
  private seq = 0;
  /** JetStream publishes waiting for their acks. */
  private inflight = 0;
  /** Core NATS messages published since the last flush, and the batches waiting for their flush's PONG. */
  private toConfirm: OutboxItem[] | null = null;
  private confirmQueued = false;
  private readonly confirmNow = () => { this.confirmQueued = false; this.confirm(); };
  private readonly unconfirmed = new Set<OutboxItem[]>();
  private unconfirmedCount = 0;
  /** Backing off after a failed publish. */
  private paused = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private flushQueued = false;
  /** Outbox length at which a publish flushes at once rather than at the end of the burst. */
  private readonly flushAt: number;
  private readonly flushNow = () => { this.flushQueued = false; this.flush(); };

  /** `headerLength`: of this node's payload header (envelope.ts), which a frame carries once. */
  constructor(private readonly link: Link, private readonly config: BridgeConfig, private readonly headerLength: number, private readonly log: Logger) {
    this.flushAt = Math.max(1, Math.min(256, Math.floor(config.outboxCapacity / 2)));
  }

  get hasRoom(): boolean {
    return this.link.connected || this.queue.length < this.config.outboxCapacity;
  }

  /** Messages not yet done: waiting, being published, or (core NATS) waiting for the server to confirm them. */
  get size(): number {
    return this.queue.length + this.inflight + this.unconfirmedCount;
  }

  /**
   * Messages that take room: waiting to leave, or published to a stream and waiting for its ack.
   * (Core NATS messages waiting for the server's PONG are on the wire already.)
   */
  get used(): number {
    return this.queue.length + this.inflight;
  }

  publish(subject: string, data: Uint8Array, o: PublishOptions, done: (ok: boolean, err?: Error) => void): void {
    if (this.link.closing) {
      done(false, new Error('the NATS bridge is closed'));
      return;
    }
    this.queue.push({ seq: ++this.seq, subject, data, msgId: o.msgId ?? null, headers: o.headers, core: o.core ?? false, attempts: 0, done });
    // At the end of the caller's synchronous burst, so that core messages can share frames; but
    // a long burst goes now, not into the outbox's room for when NATS is down.
    if (this.queue.length >= this.flushAt) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushNow);
    }
  }

  /** Publishes what waits, as far as the connection and the window allow (on connect, and after each ack). */
  flush(): void {
    const link = this.link;
    if (!link.connected || this.paused || link.closing && this.queue.length === 0) return;
    while (link.connected && !this.paused && this.inflight < PUBLISH_WINDOW && this.queue.length > 0) {
      const item = this.queue.shift();
      if (item.core) {
        this.publishCore(item);
        continue;
      }
      this.inflight++;
      link.js!.publish(item.subject, item.data, { msgID: item.msgId ?? undefined, headers: item.headers, timeout: this.config.publishTimeoutMs }).then(
        () => { this.inflight--; item.done(true); this.flush(); },
        (err: Error) => {
          this.inflight--;
          if (link.closing || !retryable(err)) {
            // Refused for good (too large, a bad subject, ...): it would block everything behind it.
            this.log.error({ err: err.message, subject: item.subject }, 'NATS publish refused; not retried');
            item.done(false, err);
            this.flush();
            return;
          }
          // Ambiguous (timeout) or no stream yet: the same msg id again later; the stream drops a duplicate.
          item.attempts++;
          this.queue.putBack(item);
          if (item.attempts === 1 || item.attempts % 20 === 0) this.log.warn({ err: err.message, subject: item.subject, attempts: item.attempts }, 'NATS publish failed; retrying');
          this.pauseFor(Math.min(5000, 50 * 2 ** Math.min(item.attempts, 7)));
        },
      );
    }
    // One flush for the whole burst (a flush writes to the socket at once: one per chunk would
    // split the burst's frames into many small writes).
    if (this.toConfirm !== null && !this.confirmQueued) {
      this.confirmQueued = true;
      queueMicrotask(this.confirmNow);
    }
  }

  /**
   * A core NATS (at-most-once) message, and those right behind it in the outbox for the same
   * subject: several go as one frame (one payload header, then their envelopes; up to
   * FRAME_BYTES). Per NATS message, the client and the receiving node pay more than for the
   * envelope itself. (Every core message in the outbox is a payload of this node's.)
   */
  private publishCore(first: OutboxItem): void {
    const nc = this.link.nc!;
    let batch: OutboxItem[] | null = null;
    let bytes = first.data.length;
    const limit = Math.min(FRAME_BYTES, this.config.maxPayloadBytes, nc.info?.max_payload ?? FRAME_BYTES);
    while (first.headers === undefined && this.queue.length > 0) {
      const next = this.queue.peek();
      if (!next.core || next.subject !== first.subject || next.headers !== undefined || bytes + next.data.length > limit) break;
      (batch ??= [first]).push(this.queue.shift());
      bytes += next.data.length;
    }
    const data = batch === null ? first.data : frame(batch.map((b) => b.data), this.headerLength, bytes);
    const items = batch ?? [first];
    try {
      nc.publish(first.subject, data, first.headers ? { headers: first.headers } : undefined);
    } catch (err) {
      for (const b of items) b.done(false, err as Error);
      return;
    }
    (this.toConfirm ??= []).push(...items);
  }

  /**
   * A flush (PING) behind the core messages published since the last one: its PONG says the
   * server has read them all. nats.js rejects it when the connection drops first (it then drops
   * what it had not written), and those messages fail.
   */
  private confirm(): void {
    const batch = this.toConfirm;
    const nc = this.link.nc;
    if (batch === null || nc === null) return;
    this.toConfirm = null;
    this.unconfirmed.add(batch);
    this.unconfirmedCount += batch.length;
    const settle = (ok: boolean, err?: Error) => {
      if (!this.unconfirmed.delete(batch)) return;
      this.unconfirmedCount -= batch.length;
      for (const b of batch) b.done(ok, err);
    };
    nc.flush().then(() => settle(true),
      (err: Error) => settle(false, new Error(`the connection to NATS dropped before the server confirmed it had the message (${err.message})`)));
  }

  private pauseFor(ms: number): void {
    if (this.paused) return;
    this.paused = true;
    this.retryTimer = setTimeout(() => { this.paused = false; this.retryTimer = null; this.flush(); }, ms);
    this.retryTimer.unref();
  }

  /** Resolves true when the outbox is empty, false after timeoutMs. */
  async drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.size > 0) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  // Closing, in three steps around the connection's (remote.ts): stop retrying, fail what never
  // left, and after the connection closed, fail the core messages its last PONG did not confirm.

  /** Retries no more: a publish backing off stays where it is. */
  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  /** Fails what still waits to leave. */
  failWaiting(): void {
    while (this.queue.length > 0) this.queue.shift().done(false, new Error('the bridge closed'));
  }

  /** Fails the core messages whose flush never came back (the connection was down): not confirmed. */
  failUnconfirmed(): void {
    for (const batch of this.unconfirmed) for (const b of batch) b.done(false, new Error('the bridge closed before the server confirmed the message'));
    this.unconfirmed.clear();
    this.unconfirmedCount = 0;
  }
}

/**
 * Worth retrying with the same msg id: a timeout (maybe stored), no stream/responders yet, a lost
 * connection. nats.js reports a publish nobody answered (no stream for the subject yet, or
 * JetStream restarting, as it does when the server reloads its config) as `JetStreamNotEnabled`,
 * "jetstream is not enabled".
 * @internal exported for tests
 */
export function retryable(err: Error): boolean {
  const text = `${err.name} ${err.message}`.toLowerCase();
  if (text.includes('max_payload') || text.includes('maximum payload') || text.includes('invalid subject') || text.includes('bad subject')) return false;
  return /timeout|no ?responders|503|connection|closed|draining|disconnect|reconnect|not connected|jetstream (is )?not ?enabled|jetstreamnotenabled|stream not found/.test(text)
    || err.name === 'TimeoutError' || err.name === 'NoRespondersError' || err.name === 'RequestError' || err.name === 'ConnectionError';
}

/** Headers for a publish: each entry that is set, as a string. */
export function headersOf(entries: Record<string, string | number | undefined | null>): MsgHdrs {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(entries)) if (v !== undefined && v !== null) h.set(k, String(v));
  return h;
}
