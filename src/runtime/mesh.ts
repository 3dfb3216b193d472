/**
 * A thread's end of the ring mesh: its outgoing links (one SPSC ring per destination thread,
 * created lazily), its incoming links, its doorbell, and the pump that moves records.
 *
 * The pump runs on the thread's event loop, never blocking it: each turn reads every incoming
 * ring (up to a budget), lets the owner run its work (a host runs actors), moves spilled records
 * into rings that have room, and publishes. With nothing to do it keeps polling for a while after
 * its last work (a reply usually comes within microseconds; see `spinLimit`), then parks on its
 * doorbell with `Atomics.waitAsync`.
 *
 * Per-pair order: a sender→receiver pair shares one ring; records that do not fit wait in the
 * link's spill and nothing passes them; messages that go over the link's port (transferables,
 * large payloads) leave a marker record in the ring and are taken when the marker is read.
 */
import { MessagePort, type Transferable } from 'node:worker_threads';
import { Codec } from './codec.js';
import { Doorbell, DoorbellRinger } from './doorbell.js';
import { Ring, RingReader, RingWriter } from './ring.js';
import { TroupeError, invalidArgument } from '../actors/errors.js';
import { Spill } from './spill.js';
import { F_POSTED, KIND_MASK, K_UNCOUNTED, MAIN_THREAD, S_OUTSTANDING } from './constants.js';
import type { PortFrom, PostedMessage, Tuning } from './protocol.js';
import type { RefTransport } from '../actors/ref.js';

/** Gets each record, decoded. `value` is the message (or reply, or system message). */
export type Deliver = (from: number, target: number, sender: number, corr: number, kind: number, value: unknown) => void;
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


class Outlink {
  writer: RingWriter | null = null;
  port: MessagePort | null = null;
  ringer: DoorbellRinger | null = null;
  readonly spill = new Spill();
  /** Posted messages made before the link existed, sent when it arrives (before any record). */
  readonly unposted: { msg: PostedMessage; transfer: Transferable[] }[] = [];
  postSeq = 0;
  dirty = false;
  requested = false;
  /** The ring was full and we told the consumer to ring us when it frees space... */
  blocked = false;
  /** ... for a record of this many bytes. */
  need = 0;
  constructor(readonly to: number) {}
}

class Inlink {
  readonly reader: RingReader;
  /** Port messages that arrived before their marker was read. */
  readonly stash = new Map<number, PostedMessage>();
  /** The producer's doorbell: rung when we free space it asked for. */
  readonly producer: DoorbellRinger;
  readonly onRecord: (target: number, sender: number, corr: number, kind: number, bytes: Uint8Array, start: number, len: number) => boolean;
  /** Ports the producer's messages come on (a replaced producer adds one; the old one closes itself). */
  readonly ports: MessagePort[] = [];
  /**
   * Port messages with a lower sequence number went to the ring's previous consumer, which died:
   * their markers are read as lost. -1: not known yet (the producer says it on the new port).
   */
  lostBelow = 0;
  constructor(readonly from: number, ring: SharedArrayBuffer, producerDoorbell: SharedArrayBuffer, node: MeshNode) {
    this.reader = new RingReader(ring);
    this.producer = new DoorbellRinger(producerDoorbell);
    this.onRecord = (target, sender, corr, kind, bytes, start, len) => node.takeRecord(this, target, sender, corr, kind, bytes, start, len);
  }
}

export interface MeshOptions {
  thread: number;
  doorbell: SharedArrayBuffer;
  tuning: Tuning;
  transport: RefTransport | null;
  deliver: Deliver;
  /** Called instead of `deliver` for a record that cannot be delivered (see Undeliverable). */
  undeliverable: Undeliverable;
  /** The thread's counters: S_OUTSTANDING counts user records sent and not yet published. */
  stats: Float64Array;
  /** The node this thread belongs to ('' without NATS): refs are stamped with it on the way out. */
  node?: string;
  /** Asks whoever allocates rings (main) for a link toward `to`. */
  requestLink(to: number): void;
  /** The owner's own work for one turn (a host runs its actors); returns how much it did. */
  work?: () => number;
  /** Whether the owner has work queued (so the pump must not park). */
  hasWork?: () => boolean;
}

/**
 * About what parking costs a thread: an `Atomics.waitAsync` wake-up took 27–56 µs at the median
 * on this project's 2-core VM (main notifying a parked worker).
 */
const PARK_COST_MS = 0.05;
/** Longest a polling thread keeps its event loop waiting (timers, sockets) between looks (ms). */
const SPIN_SLICE_MS = 0.02;

export class MeshNode {
  readonly thread: number;
  readonly codec: Codec;
  readonly doorbell: Doorbell;
  private readonly tuning: Tuning;
  private readonly deliver: Deliver;
  private readonly undeliverable: Undeliverable;
  /** Larger payloads go over the port: above `largeBytes`, or too large for a ring record. */
  private readonly ringPayloadMax: number;
  private readonly stats: Float64Array;
  private readonly requestLink: (to: number) => void;
  private readonly work: () => number;
  private readonly hasWork: () => boolean;
  private readonly outlinks: (Outlink | undefined)[] = [];
  private readonly inlinks: Inlink[] = [];
  private readonly dirty: Outlink[] = [];
  private publishQueued = false;
  private pumpQueued = false;
  private parked = false;
  private lastWork = 0;
  /** When the last work was done, if no turn has found work since (else -1). */
  private idleSince = -1;
  /** Of the recent waits for work, how many more were longer than PARK_COST_MS than not (0–8). */
  private longGaps = 0;
  private running = true;
  /** Rings our own doorbell while we are parked: a lost notify costs at most `parkMs`. */
  private readonly backstop: ReturnType<typeof setInterval>;
  private readonly publishAll = () => this.publish();
  private readonly pump = () => this.turn();

  constructor(o: MeshOptions) {
    this.thread = o.thread;
    this.tuning = o.tuning;
    this.codec = new Codec(o.transport, o.node ?? '');
    this.doorbell = new Doorbell(o.doorbell);
    this.deliver = o.deliver;
    this.undeliverable = o.undeliverable;
    this.ringPayloadMax = Math.min(o.tuning.largeBytes, Ring.maxPayloadOf(Ring.roundedCapacity(o.tuning.ringBytes)));
    this.stats = o.stats;
    this.requestLink = o.requestLink;
    this.work = o.work ?? (() => 0);
    this.hasWork = o.hasWork ?? (() => false);
    this.backstop = setInterval(() => { if (this.parked) this.doorbell.ringSelf(); }, o.tuning.parkMs);
    this.backstop.unref();
  }

  // ------------------------------------------------------------------------------------------
  // Links

  /** Attaches the producer side of a ring toward `to`, then moves anything waiting into it. */
  attachOut(to: number, ring: SharedArrayBuffer, port: MessagePort, consumerDoorbell: SharedArrayBuffer): void {
    const link = this.outlink(to);
    link.writer = new RingWriter(ring, K_UNCOUNTED);
    // A fresh ring starts at 0, after any messages posted before it existed; a replaced producer's
    // ring holds its predecessor's last number.
    link.postSeq = link.writer.postSeqAtLeast(link.postSeq);
    link.port = port;
    link.ringer = new DoorbellRinger(consumerDoorbell);
    port.unref();
    for (const p of link.unposted) {
      try {
        port.postMessage(p.msg, p.transfer);
      } catch (err) {
        // Its marker is in the ring already: the consumer must hear why it gets nothing, or it
        // would wait for this message forever (and every record behind it with it).
        const failed: PostedMessage = { seq: p.msg.seq, failed: `it could not be posted: ${(err as Error)?.message ?? String(err)}` };
        port.postMessage(failed);
      }
    }
    link.unposted.length = 0;
    this.moveSpill(link);
    this.markDirty(link);
    this.schedule();
  }

  /**
   * Attaches the consumer side of a ring from `from`. `replaced`: this thread replaces the ring's
   * previous consumer, which died; it reads on from the head that one stored.
   */
  attachIn(from: number, ring: SharedArrayBuffer, port: MessagePort, producerDoorbell: SharedArrayBuffer, replaced = false, lostBelow?: number): void {
    const link = new Inlink(from, ring, producerDoorbell, this);
    if (replaced) link.lostBelow = lostBelow ?? -1;
    this.listen(link, port);
    this.inlinks.push(link);
    this.schedule();
  }

  private listen(link: Inlink, port: MessagePort): void {
    port.on('message', (m: PostedMessage | PortFrom) => {
      if (m.seq === 0) { if (link.lostBelow === -1) link.lostBelow = (m as PortFrom).from; }
      else link.stash.set(m.seq, m as PostedMessage);
      this.schedule();
    });
    port.on('close', () => {
      const i = link.ports.indexOf(port);
      if (i >= 0) link.ports.splice(i, 1);
    });
    port.unref();
    link.ports.push(port);
  }

  /**
   * The consumer at the other end of our link toward `to` died and was replaced: port messages
   * go to the new one from now on, and the first says which sequence number they start at
   * (whatever went on the old port died with the old consumer).
   */
  relinkOut(to: number, port: MessagePort): void {
    const link = this.outlink(to);
    link.port?.close();
    link.port = port;
    port.unref();
    const from: PortFrom = { seq: 0, from: link.postSeq + 1 };
    port.postMessage(from);
    this.schedule();
  }

  /** The producer at the other end of our link from `from` was replaced: its port messages come on `port` too. */
  relinkIn(from: number, port: MessagePort, lostBelow?: number): void {
    const link = this.inlinks.find((l) => l.from === from);
    if (link === undefined) { port.close(); return; }
    // Still waiting for a producer that died before it said where its numbering resumes.
    if (link.lostBelow === -1 && lostBelow !== undefined) link.lostBelow = lostBelow;
    this.listen(link, port);
    this.schedule();
  }

  private outlink(to: number): Outlink {
    let link = this.outlinks[to];
    if (link === undefined) {
      link = new Outlink(to);
      this.outlinks[to] = link;
    }
    return link;
  }

  // ------------------------------------------------------------------------------------------
  // Sending

  /**
   * Sends a record toward thread `to`. Encodes `value`; it goes over the link's port when it
   * holds transferables or a SharedArrayBuffer, or is too large for the ring. Throws
   * ERR_TROUPE_UNENCODABLE_MESSAGE (or ERR_TROUPE_INVALID_ARGUMENT for a bad transfer list)
   * before anything is queued.
   */
  send(to: number, target: number, sender: number, corr: number, kind: number, value: unknown, transfer?: readonly Transferable[]): void {
    if (transfer !== undefined && transfer.length > 0) {
      this.postValue(to, target, sender, corr, kind, value, transfer);
      return;
    }
    const bytes = this.codec.tryEncode(value);
    if (bytes === null) this.postValue(to, target, sender, corr, kind, value, []);
    else this.sendEncoded(to, target, sender, corr, kind, bytes);
  }

  /**
   * Sends a value already encoded by a codec (a message from another node, say): no decoding
   * and encoding again on the way through. Refs inside are read by the receiving thread's codec.
   */
  sendEncoded(to: number, target: number, sender: number, corr: number, kind: number, bytes: Uint8Array): void {
    if (bytes.length > this.ringPayloadMax) {
      // A buffer of its own to transfer (an encoder's output is a view into a buffer it shares
      // with other messages: transferring that one detached them all).
      const copy = new Uint8Array(bytes);
      this.post(to, target, sender, corr, kind, { seq: 0, bytes: copy }, [copy.buffer]);
      return;
    }
    this.write(this.outlink(to), target, sender, corr, kind, bytes, bytes.length);
  }

  private postValue(to: number, target: number, sender: number, corr: number, kind: number, value: unknown, transfer: readonly Transferable[]): void {
    checkTransfer(transfer);
    const { bytes, slots } = this.codec.encodeForPost(value, transfer);
    const msg: PostedMessage = { seq: 0, bytes };
    if (slots.length > 0) msg.slots = slots;
    this.post(to, target, sender, corr, kind, msg, [bytes.buffer, ...transfer] as Transferable[]);
  }

  private post(to: number, target: number, sender: number, corr: number, kind: number, msg: PostedMessage, transfer: Transferable[]): void {
    const link = this.outlink(to);
    msg.seq = link.writer !== null ? (link.postSeq = link.writer.nextPostSeq()) : ++link.postSeq;
    // The port message goes first; the marker that orders it among ring records follows.
    if (link.port) {
      try {
        link.port.postMessage(msg, transfer);
      } catch (err) {
        // Nothing was queued (no marker): the sender hears it now. (Its sequence number is
        // skipped; markers only name numbers that were posted.)
        throw new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', `the message could not be sent: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      }
    } else {
      link.unposted.push({ msg, transfer });
    }
    const seq = new Uint8Array(4);
    new DataView(seq.buffer).setUint32(0, msg.seq, true);
    this.write(link, target, sender, corr, kind | F_POSTED, seq, 4);
  }

  private write(link: Outlink, target: number, sender: number, corr: number, kind: number, bytes: Uint8Array, len: number): void {
    if ((kind & KIND_MASK) < K_UNCOUNTED) this.stats[S_OUTSTANDING]!++;
    const w = link.writer;
    if (w !== null && link.spill.length === 0 && w.tryWrite(target, sender, corr, kind, bytes, 0, len)) {
      this.markDirty(link);
      // A long synchronous burst: publish now so the consumer can start while we keep writing.
      if (w.unpublished > this.tuning.ringBytes >>> 2) this.publishLink(link);
      return;
    }
    link.spill.push(target, sender, corr, kind, bytes, len);
    if (w === null) {
      if (!link.requested) { link.requested = true; this.requestLink(link.to); }
      return;
    }
    // The ring is full: publish what it holds so the consumer drains it, and come back for the rest.
    this.publishLink(link);
    this.schedule();
  }

  private markDirty(link: Outlink): void {
    if (!link.dirty) {
      link.dirty = true;
      this.dirty.push(link);
    }
    if (!this.publishQueued) {
      this.publishQueued = true;
      queueMicrotask(this.publishAll);
    }
  }

  /** Publishes every ring written since the last publish (once per microtask checkpoint). */
  publish(): void {
    this.publishQueued = false;
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) {
      const link = dirty[i]!;
      link.dirty = false;
      this.publishLink(link);
    }
    dirty.length = 0;
  }

  private publishLink(link: Outlink): void {
    const w = link.writer!;
    if (w.publish()) {
      this.stats[S_OUTSTANDING]! -= w.takeCounted();
      link.ringer!.ring();
    }
  }

  /** Moves spilled records into the ring; returns true if the spill is now empty. */
  private moveSpill(link: Outlink): boolean {
    const w = link.writer;
    if (w === null || link.spill.length === 0) return link.spill.length === 0;
    for (;;) {
      const need = link.spill.drainInto(w);
      this.markDirty(link);
      if (need === 0) { link.blocked = false; return true; }
      // Full: ask the consumer to ring us when it frees space, unless it already has.
      if (!w.waitForSpace(need)) { link.blocked = true; link.need = need; this.publishLink(link); return false; }
    }
  }

  /** Records waiting in spills, over all links (the producer side's backlog). */
  get spilled(): number {
    let n = 0;
    for (const link of this.outlinks) if (link) n += link.spill.length + link.unposted.length;
    return n;
  }

  // ------------------------------------------------------------------------------------------
  // Receiving

  /** @internal the ring reader's handler for one record. */
  takeRecord(link: Inlink, target: number, sender: number, corr: number, kind: number, bytes: Uint8Array, start: number, len: number): boolean {
    let value: unknown;
    const k = kind & KIND_MASK;
    try {
      if ((kind & F_POSTED) !== 0) {
        const seq = (bytes[start]! | (bytes[start + 1]! << 8) | (bytes[start + 2]! << 16) | (bytes[start + 3]! << 24)) >>> 0;
        const posted = link.stash.get(seq);
        if (posted === undefined) {
          // It went to the ring's previous consumer, which died: lost.
          if (link.lostBelow > 0 && seq < link.lostBelow) {
            this.undeliverable(link.from, target, sender, corr, k, 'worker-died', 0, null);
            return true;
          }
          // Its port message has not arrived yet (or we do not know yet whether it died): stop
          // here, keep order, and resume when it does.
          return false;
        }
        link.stash.delete(seq);
        if (posted.bytes === undefined) {
          this.undeliverable(link.from, target, sender, corr, k, 'undecodable', 0,
            new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', posted.failed ?? 'a port message without a message'));
          return true;
        }
        len = posted.bytes.length;
        value = this.codec.decode(posted.bytes, 0, len, posted.slots ?? null);
      } else {
        value = this.codec.decodeShared(bytes, start, len);
      }
    } catch (err) {
      // A record that does not decode is skipped, never retried: read again, it would fail again
      // (and a thread that died of it would die of it again after its replacement).
      this.undeliverable(link.from, target, sender, corr, k, 'undecodable', len, err as Error);
      return true;
    }
    this.deliver(link.from, target, sender, corr, k, value);
    return true;
  }

  private readIncoming(): number {
    let n = 0;
    const budget = this.tuning.readBudget;
    const links = this.inlinks;
    for (let i = 0; i < links.length; i++) {
      const link = links[i]!;
      n += link.reader.read(link.onRecord, budget);
      // The producer spilled and asked to hear about space: tell it (after head was stored).
      if (link.reader.takeSpaceRequest()) link.producer.ring();
    }
    return n;
  }

  /**
   * Reads now everything thread `from` has published to us (it died: nothing more comes from it
   * until its replacement starts, so what it said before dying is taken before we clean up).
   */
  drainFrom(from: number): void {
    const link = this.inlinks.find((l) => l.from === from);
    if (link === undefined) return;
    while (link.reader.read(link.onRecord, this.tuning.readBudget) > 0) { /* until empty or waiting on a port message */ }
    if (link.reader.takeSpaceRequest()) link.producer.ring();
  }

  /** Whether an incoming ring holds records (exact for this instant). */
  private anyInput(): boolean {
    const links = this.inlinks;
    for (let i = 0; i < links.length; i++) {
      if (links[i]!.reader.hasData()) return true;
    }
    return false;
  }

  /**
   * For each ring we are blocked on: asks its consumer (again) to ring us when it frees space,
   * and returns true if the space is already there. Called after `doorbell.prepare()`, never
   * before: a consumer takes the request when it frees *some* space, which may be too little.
   * A request armed before we announced sleep can thus be taken, with no ring (we looked
   * awake) and too little space, and nothing would ever wake us. Armed after, the consumer
   * that takes it sees us asleep and rings. (Regression: 1M tells through a 4 KiB ring hung.)
   */
  private armSpaceRequests(): boolean {
    const outs = this.outlinks;
    for (let i = 0; i < outs.length; i++) {
      const link = outs[i];
      if (link !== undefined && link.blocked && link.writer!.waitForSpace(link.need)) return true;
    }
    return false;
  }

  // ------------------------------------------------------------------------------------------
  // The pump

  /** Makes sure a pump turn is coming. Cheap to call often. */
  schedule(): void {
    if (!this.pumpQueued && this.running) {
      this.pumpQueued = true;
      setImmediate(this.pump);
    }
  }

  private turn(): void {
    this.pumpQueued = false;
    if (!this.running) return;
    // After an idle turn: when this one began, for how long work kept us waiting (the handlers'
    // own time below must not count as waiting).
    const began = this.idleSince >= 0 ? performance.now() : 0;
    let did = this.readIncoming();
    did += this.work();
    let blocked = false;
    for (const link of this.outlinks) {
      if (link && link.spill.length > 0 && !this.moveSpill(link)) blocked = true;
    }
    this.publish();
    const now = performance.now();
    if (did > 0 || this.hasWork()) {
      if (this.idleSince >= 0) {
        // Did work keep us waiting longer than a park costs (parked or not)? Counted with
        // hysteresis, so one stall (a GC pause) does not change how we poll.
        if (began - this.idleSince > PARK_COST_MS) { if (this.longGaps < 8) this.longGaps++; } else if (this.longGaps > 0) this.longGaps--;
        this.idleSince = -1;
      }
      this.lastWork = now;
      this.schedule();
      return;
    }
    if (this.idleSince < 0) this.idleSince = this.lastWork;
    // Idle. Keep polling for a moment (replies come fast), unless we only wait for ring space.
    const spinUntil = this.lastWork + this.spinLimit();
    if (!blocked && now < spinUntil) {
      // Poll the rings here for a few microseconds before yielding to the event loop: each yield
      // (setImmediate) allocates, and yielding a million times a second made a young-generation
      // GC every 50 ms or so on a node answering remote asks. (The clock allocates too: it is
      // read once per 64 looks.)
      const until = Math.min(now + SPIN_SLICE_MS, spinUntil);
      poll: do {
        for (let i = 0; i < 64; i++) if (this.anyInput()) break poll;
      } while (performance.now() < until);
      this.schedule();
      return;
    }
    this.park();
  }

  /**
   * How long to poll before parking. Polling pays while work comes back within about what a park
   * and wake-up costs (PARK_COST_MS): then the thread polls for all of `spinMs`, riding out the
   * odd longer gap. When work has lately come further apart (remote messages, a request every
   * half millisecond), polling would burn a core per thread to save a wake-up, and take that core
   * from the threads and processes (the NATS server, say) that produce the work: a worker then
   * polls only PARK_COST_MS, once most of its recent waits were longer than that. Main always
   * polls for `spinMs`: it is one thread, and it waits for the replies of the workers it just
   * wrote to.
   */
  private spinLimit(): number {
    if (this.thread === MAIN_THREAD || this.longGaps < 6) return this.tuning.spinMs;
    return Math.min(this.tuning.spinMs, PARK_COST_MS);
  }

  /** Parks until a ring: announce sleep, re-check everything that could wake us, then wait. */
  private park(): void {
    this.doorbell.prepare();
    if (this.anyInput() || this.hasWork() || this.armSpaceRequests()) {
      this.doorbell.wake();
      this.schedule();
      return;
    }
    // A wait already pending ends on the next ring (the seq it waits on is still current, or
    // it was rung and is resolving) and schedules us: no second one.
    if (this.parked) return;
    const wait = this.doorbell.park();
    if (wait === null) {
      this.doorbell.wake();
      this.schedule();
      return;
    }
    this.parked = true;
    void wait.then(() => {
      this.parked = false;
      this.doorbell.wake();
      this.lastWork = performance.now();
      this.schedule();
    });
  }

  /**
   * Empties every spill (a thread closing at shutdown: its rings toward closed threads will not
   * drain). Each record is handed to `fn` — its payload decoded, or null for one whose message
   * went over a port (or does not decode) — so the owner can dead-letter it.
   */
  discardSpilled(fn: (to: number, target: number, sender: number, corr: number, kind: number, value: unknown) => void): void {
    for (const link of this.outlinks) {
      if (link === undefined || link.spill.length === 0) continue;
      link.spill.takeAll((target, sender, corr, kind, bytes, start, len) => {
        const k = kind & KIND_MASK;
        if (k < K_UNCOUNTED) this.stats[S_OUTSTANDING]!--;
        let value: unknown = null;
        if ((kind & F_POSTED) === 0) try { value = this.codec.decode(bytes, start, len); } catch { value = null; }
        fn(link.to, target, sender, corr, k, value);
      });
      link.unposted.length = 0;
    }
  }

  /** Whether every incoming ring is empty and nothing waits in a spill (a moment's truth). */
  quiet(): boolean {
    return !this.anyInput() && this.spilled === 0;
  }

  /** Stops the pump and closes the ports. */
  close(): void {
    this.running = false;
    clearInterval(this.backstop);
    for (const link of this.inlinks) for (const port of link.ports) port.close();
    for (const link of this.outlinks) link?.port?.close();
    this.doorbell.ringSelf();
  }
}

/** A transfer list postMessage will take: ArrayBuffers and MessagePorts, each once, none detached. */
function checkTransfer(transfer: readonly unknown[]): void {
  if (!Array.isArray(transfer)) throw invalidArgument('transfer', 'an array of ArrayBuffers and MessagePorts', transfer);
  const seen = new Set<unknown>();
  for (const t of transfer) {
    if (t instanceof ArrayBuffer) {
      // A detached buffer cannot be viewed: it was transferred already.
      try { new Uint8Array(t); } catch { throw invalidArgument('transfer', 'ArrayBuffers that are not detached (transferred already)', t); }
    } else if (!(t instanceof MessagePort)) {
      throw invalidArgument('transfer', 'an array of ArrayBuffers and MessagePorts', t);
    }
    if (seen.has(t)) throw invalidArgument('transfer', 'a list without duplicates', t);
    seen.add(t);
  }
}
