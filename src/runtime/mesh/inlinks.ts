/**
 * A thread's incoming links: one ring per producer thread, read in order, with the port the
 * producer posts its large (or transferring) messages on. A marker record waits for its port
 * message; a record that cannot be delivered (its port message died with this ring's previous
 * reader, or its bytes do not decode) is handed to `undeliverable` and skipped, never retried.
 */
import type { MessagePort } from 'node:worker_threads';
import { TroupeError } from '../../actors/errors.js';
import { F_CREDIT, F_POSTED, KIND_MASK } from '../constants.js';
import type { PortFrom, PostedMessage } from '../protocol.js';
import type { Codec } from './codec.js';
import { empty } from '../arrays.js';
import { DoorbellRinger } from './doorbell.js';
import { M_READ, RingReader } from './ring-reader.js';

/**
 * Gets each record, decoded. `value` is the message (or reply, or system message); `at` is the
 * record's place in its ring (for `pin`, `start`, `finish`), or -1 for one that is not in a ring.
 * A record a dead consumer of the ring had queued comes again with M_READ in `kind`.
 */
export type Deliver = (from: number, target: number, sender: number, corr: number, kind: number, value: unknown, at: number) => void;
/**
 * A record that cannot be delivered, skipped so the link reads on: its port message died with the
 * ring's previous consumer (`worker-died`), or its bytes do not decode (`undecodable`, with the
 * error and the bytes' size).
 */
export type Undeliverable = (from: number, target: number, sender: number, corr: number, kind: number,
  reason: 'worker-died' | 'undecodable', bytes: number, error: Error | null) => void;

/** The error an undeliverable record's ask (or reply's ask) is settled with. `where`: the target, in words. */
export function undeliverableError(reason: 'worker-died' | 'undecodable', where: string, bytes: number, error: Error | null): TroupeError {
  if (reason === 'worker-died') return new TroupeError('ERR_TROUPE_WORKER_FAILED', `the worker of ${where} died before it read this message`);
  if (error instanceof TroupeError) return error;
  return new TroupeError('ERR_TROUPE_UNDECODABLE_MESSAGE', `a message of ${bytes} bytes for ${where} does not decode: ${error?.message}`, { cause: error });
}

class Inlink {
  readonly reader: RingReader;
  /** Port messages that arrived before their marker was read. */
  readonly stash = new Map<number, PostedMessage>();
  /** The producer's doorbell: rung when we free space it asked for. */
  readonly producer: DoorbellRinger;
  readonly onRecord: (target: number, sender: number, corr: number, kind: number, bytes: Uint8Array, start: number, len: number, at: number) => boolean;
  /** Ports the producer's messages come on (a replaced producer adds one; the old one closes itself). */
  readonly ports: MessagePort[] = [];
  /**
   * Port messages with a lower sequence number went to the ring's previous consumer, which died:
   * their markers are read as lost. -1: not known yet (the producer says it on the new port).
   */
  lostBelow = 0;
  /** In Inlinks' `freeing` list. */
  freeing = false;
  constructor(readonly from: number, ring: SharedArrayBuffer, producerDoorbell: SharedArrayBuffer, links: Inlinks, pinning: boolean) {
    this.reader = new RingReader(ring, pinning);
    this.producer = new DoorbellRinger(producerDoorbell);
    this.onRecord = (target, sender, corr, kind, bytes, start, len, at) => links.take(this, target, sender, corr, kind, bytes, start, len, at);
  }
}

export interface InlinksOptions {
  codec: Codec;
  /** Records read from one ring per pump turn. */
  readBudget: number;
  deliver: Deliver;
  undeliverable: Undeliverable;
  /** A pump turn is needed (a port message came). */
  schedule(): void;
  /**
   * Records stay in their ring until their messages are finished (`pin`, `start`, `finish`), so
   * that a replacement of this thread reads again what it had queued (a host; not main).
   */
  pinning?: boolean;
}

export class Inlinks {
  private readonly links: Inlink[] = [];
  /** The link from each thread, by thread index. */
  private readonly byFrom: (Inlink | undefined)[] = [];
  /** Links whose head may move: records finished since the last `release`. */
  private readonly freeing: Inlink[] = [];

  constructor(private readonly o: InlinksOptions) {}

  /**
   * Attaches the consumer side of a ring from `from`. `replaced`: this thread replaces the ring's
   * previous consumer, which died; it reads on from the head that one stored.
   */
  attach(from: number, ring: SharedArrayBuffer, port: MessagePort, producerDoorbell: SharedArrayBuffer, replaced = false, lostBelow?: number): void {
    const link = new Inlink(from, ring, producerDoorbell, this, this.o.pinning === true);
    if (replaced) link.lostBelow = lostBelow ?? -1;
    this.listen(link, port);
    this.links.push(link);
    this.byFrom[from] = link;
    this.o.schedule();
  }

  /** The producer at the other end of our link from `from` was replaced: its port messages come on `port` too. */
  relink(from: number, port: MessagePort, lostBelow?: number): void {
    const link = this.byFrom[from];
    if (link === undefined) { port.close(); return; }
    // Still waiting for a producer that died before it said where its numbering resumes.
    if (link.lostBelow === -1 && lostBelow !== undefined) link.lostBelow = lostBelow;
    this.listen(link, port);
    this.o.schedule();
  }

  private listen(link: Inlink, port: MessagePort): void {
    port.on('message', (m: PostedMessage | PortFrom) => {
      if (m.seq === 0) { if (link.lostBelow === -1) link.lostBelow = (m as PortFrom).from; }
      else link.stash.set(m.seq, m as PostedMessage);
      this.o.schedule();
    });
    port.on('close', () => {
      const i = link.ports.indexOf(port);
      if (i >= 0) link.ports.splice(i, 1);
    });
    port.unref();
    link.ports.push(port);
  }

  /** @internal the ring reader's handler for one record. */
  take(link: Inlink, target: number, sender: number, corr: number, kind: number, bytes: Uint8Array, start: number, len: number, at: number): boolean {
    let value: unknown;
    // The kind, whether its sender asks for credit (flow.ts), and whether a dead consumer had it
    // queued; not how it came.
    const k = kind & (KIND_MASK | F_CREDIT);
    const o = this.o;
    try {
      if ((kind & F_POSTED) !== 0) {
        const seq = (bytes[start]! | (bytes[start + 1]! << 8) | (bytes[start + 2]! << 16) | (bytes[start + 3]! << 24)) >>> 0;
        const posted = link.stash.get(seq);
        if (posted === undefined) {
          // It went to the ring's previous consumer, which died: lost.
          if (link.lostBelow > 0 && seq < link.lostBelow) {
            o.undeliverable(link.from, target, sender, corr, k, 'worker-died', 0, null);
            return true;
          }
          // Its port message has not arrived yet (or we do not know yet whether it died): stop
          // here, keep order, and resume when it does.
          return false;
        }
        link.stash.delete(seq);
        if (posted.bytes === undefined) {
          o.undeliverable(link.from, target, sender, corr, k, 'undecodable', 0,
            new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', posted.failed ?? 'a port message without a message'));
          return true;
        }
        len = posted.bytes.length;
        value = o.codec.decode(posted.bytes, 0, len, posted.slots ?? null);
      } else {
        value = o.codec.decodeShared(bytes, start, len);
      }
    } catch (err) {
      // A record that does not decode is skipped, never retried: read again, it would fail again
      // (and a thread that died of it would die of it again after its replacement).
      o.undeliverable(link.from, target, sender, corr, k, 'undecodable', len, err as Error);
      return true;
    }
    o.deliver(link.from, target, sender, corr, k | (kind & M_READ), value, at);
    return true;
  }

  /** Keeps record `at` from thread `from` in its ring until `finish`: its message waits in a mailbox. */
  pin(from: number, at: number): void {
    this.byFrom[from]?.reader.pin(at);
  }

  /** Record `at`'s handler is running: if this thread dies now, it is dead-lettered, not read again. */
  start(from: number, at: number): void {
    this.byFrom[from]?.reader.start(at);
  }

  /** Record `at` is an ask its running handler has answered. */
  answered(from: number, at: number): void {
    this.byFrom[from]?.reader.answered(at);
  }

  /** Record `at`'s message is finished (run, or dead-lettered): its space is freed at the end of the turn (`release`). */
  finish(from: number, at: number): void {
    const link = this.byFrom[from];
    if (link === undefined || !link.reader.unpin(at) || link.freeing) return;
    link.freeing = true;
    this.freeing.push(link);
    this.o.schedule();
  }

  /** Frees the space of the records finished since the last call (once per pump turn), and tells producers waiting for it. */
  release(): void {
    const links = this.freeing;
    for (let i = 0; i < links.length; i++) {
      const link = links[i]!;
      link.freeing = false;
      if (link.reader.free() && link.reader.takeSpaceRequest()) link.producer.ring();
    }
    empty(links);
  }

  /**
   * Nothing to run here: lets go of the records held in rings whose producers wait for space
   * (RingReader.letGo), and tells them. Returns true if space was freed.
   */
  unstick(): boolean {
    let freed = false;
    for (const link of this.links) {
      if (!link.reader.letGo()) continue;
      freed = true;
      if (link.reader.takeSpaceRequest()) link.producer.ring();
    }
    return freed;
  }

  /** Reads every ring, up to the read budget each; returns how many records were taken. */
  read(): number {
    let n = 0;
    const budget = this.o.readBudget;
    const links = this.links;
    for (let i = 0; i < links.length; i++) {
      const link = links[i]!;
      n += link.reader.read(link.onRecord, budget);
      // The producer spilled and asked to hear about space: tell it (after head was stored), if
      // there is more (else the release that frees some tells it).
      if (link.reader.freedByRead && link.reader.takeSpaceRequest()) link.producer.ring();
    }
    return n;
  }

  /**
   * Reads now everything thread `from` has published to us (it died: nothing more comes from it
   * until its replacement starts, so what it said before dying is taken before we clean up).
   */
  drainFrom(from: number): void {
    const link = this.byFrom[from];
    if (link === undefined) return;
    while (link.reader.read(link.onRecord, this.o.readBudget) > 0) { /* until empty or waiting on a port message */ }
    if (link.reader.takeSpaceRequest()) link.producer.ring();
  }

  /** Whether a ring holds records (exact for this instant). */
  anyInput(): boolean {
    const links = this.links;
    for (let i = 0; i < links.length; i++) {
      if (links[i]!.reader.hasData()) return true;
    }
    return false;
  }

  close(): void {
    for (const link of this.links) for (const port of link.ports) port.close();
  }
}
