/**
 * A thread's outgoing links: one SPSC ring per destination thread (created lazily: main allocates
 * it when asked), each with its overflow spill and its port for posted messages.
 *
 * Per-pair order: records that do not fit wait in the link's spill and nothing passes them;
 * messages that go over the link's port (transferables, SharedArrayBuffers, large payloads)
 * leave a marker record in the ring, posted first so the marker never names a missing message.
 * Records are published once per microtask checkpoint (or sooner in a long burst).
 */
import { MessagePort, type Transferable } from 'node:worker_threads';
import { TroupeError, invalidArgument } from '../../actors/errors.js';
import { F_POSTED, KIND_MASK, K_UNCOUNTED, S_OUTSTANDING } from '../constants.js';
import type { PortFrom, PostedMessage, Tuning } from '../protocol.js';
import type { Codec } from './codec.js';
import { guarded, microtask } from '../microtask.js';
import { empty } from '../arrays.js';
import { DoorbellRinger } from './doorbell.js';
import { binaryKind, binarySize, isBinaryPool } from './binary-codec.js';
import { Ring, RingWriter } from './ring.js';
import { Spill } from './spill.js';

/** Messages of up to this many bytes encoded take the quick path (a binary message reserves its own size instead). */
const QUICK_BYTES = 1024;

/** In a burst past a full ring, how often (in spilled records) to move what fits into it. */
const SPILL_CHECK = 64;

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

export interface OutlinksOptions {
  codec: Codec;
  tuning: Tuning;
  /** The thread's counters: S_OUTSTANDING counts user records sent and not yet published. */
  stats: Float64Array;
  /** Asks whoever allocates rings (main) for a link toward `to`. */
  requestLink(to: number): void;
  /** A pump turn is needed (to move spills once there is room). */
  schedule(): void;
  /** Whether a pump turn is running now: it publishes what was written before it ends. */
  inTurn(): boolean;
}

export class Outlinks {
  private readonly links: (Outlink | undefined)[] = [];
  private readonly dirty: Outlink[] = [];
  private publishQueued = false;
  private readonly publishAll = guarded(() => { this.publishQueued = false; this.publish(); });
  private readonly codec: Codec;
  private readonly tuning: Tuning;
  private readonly stats: Float64Array;
  /** Larger payloads go over the port: above `largeBytes`, or too large for a ring record. */
  private readonly ringPayloadMax: number;
  /** The most payload bytes the quick path writes (quick-codec.ts), and its scratch when the ring is full. */
  private readonly quickMax: number;
  private readonly scratch: Uint8Array;
  /** The link whose ring (or the scratch) the quick path is writing a message into now. */
  private filling: Outlink | null = null;

  constructor(private readonly o: OutlinksOptions) {
    this.codec = o.codec;
    this.tuning = o.tuning;
    this.stats = o.stats;
    this.ringPayloadMax = Math.min(o.tuning.largeBytes, Ring.maxPayloadOf(Ring.roundedCapacity(o.tuning.ringBytes)));
    this.quickMax = Math.min(QUICK_BYTES, this.ringPayloadMax);
    this.scratch = new Uint8Array(this.quickMax);
  }

  /** Attaches the producer side of a ring toward `to`, then moves anything waiting into it. */
  attach(to: number, ring: SharedArrayBuffer, port: MessagePort, consumerDoorbell: SharedArrayBuffer): void {
    const link = this.link(to);
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
    this.o.schedule();
  }

  /**
   * The consumer at the other end of our link toward `to` died and was replaced: port messages
   * go to the new one from now on, and the first says which sequence number they start at
   * (whatever went on the old port died with the old consumer).
   */
  relink(to: number, port: MessagePort): void {
    const link = this.link(to);
    link.port?.close();
    link.port = port;
    port.unref();
    const from: PortFrom = { seq: 0, from: link.postSeq + 1 };
    port.postMessage(from);
    this.o.schedule();
  }

  private link(to: number): Outlink {
    let link = this.links[to];
    if (link === undefined) {
      link = new Outlink(to);
      this.links[to] = link;
    }
    return link;
  }

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
    const link = this.link(to);
    if (this.filling === null && this.sendQuick(link, target, sender, corr, kind, value)) return;
    const bytes = this.codec.tryEncode(value);
    if (bytes === null) this.postValue(to, target, sender, corr, kind, value, []);
    else this.sendEncoded(to, target, sender, corr, kind, bytes);
  }

  /**
   * The quick path (quick-codec.ts): the message written straight into the ring, or through the
   * scratch into the spill; false when it does not take it. While it writes, a getter of the
   * message may send too: such a message takes the slow path, and one to this link goes to its
   * spill (`filling`), never into the space being filled; this one then follows it there.
   */
  private sendQuick(link: Outlink, target: number, sender: number, corr: number, kind: number, value: unknown): boolean {
    const w = link.writer;
    const binary = binaryKind(value);
    const max = binary >= 0 ? binarySize(value as ArrayBuffer, binary) : this.quickMax;
    this.filling = link;
    try {
      if (w !== null && link.spill.length === 0 && max <= this.ringPayloadMax) {
        const at = w.reserve(max);
        const end = at >= 0 ? this.codec.writeQuick(value, w.data, at, at + max, binary) : -1;
        if (at >= 0 && end < 0) return false; // not quick
        if (end >= 0 && link.spill.length === 0) {
          if ((kind & KIND_MASK) < K_UNCOUNTED) this.stats[S_OUTSTANDING]!++;
          w.commit(target, sender, corr, kind, end - at);
          this.written(link, w);
          return true;
        }
        if (end >= 0) {
          // A getter spilled to this link: this message follows it there, as written.
          this.filling = null;
          this.write(link, target, sender, corr, kind, w.data.subarray(at, end), end - at);
          return true;
        }
      }
      const n = max <= this.quickMax ? this.codec.writeQuick(value, this.scratch, 0, max, binary) : -1;
      if (n < 0) return false;
      this.filling = null;
      this.write(link, target, sender, corr, kind, this.scratch, n);
      return true;
    } finally {
      this.filling = null;
    }
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
    this.write(this.link(to), target, sender, corr, kind, bytes, bytes.length);
  }

  private postValue(to: number, target: number, sender: number, corr: number, kind: number, value: unknown, transfer: readonly Transferable[]): void {
    checkTransfer(transfer);
    const { bytes, slots } = this.codec.encodeForPost(value, transfer);
    const msg: PostedMessage = { seq: 0, bytes };
    if (slots.length > 0) msg.slots = slots;
    this.post(to, target, sender, corr, kind, msg, [bytes.buffer, ...transfer] as Transferable[]);
  }

  private post(to: number, target: number, sender: number, corr: number, kind: number, msg: PostedMessage, transfer: Transferable[]): void {
    const link = this.link(to);
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
    // (Not into a ring the quick path is filling: see sendQuick.)
    if (w !== null && link.spill.length === 0 && link !== this.filling && w.tryWrite(target, sender, corr, kind, bytes, 0, len)) {
      this.written(link, w);
      return;
    }
    link.spill.push(target, sender, corr, kind, bytes, len);
    if (w === null) {
      if (!link.requested) { link.requested = true; this.o.requestLink(link.to); }
      return;
    }
    // The ring is full. In a long synchronous burst, move what fits every SPILL_CHECK records (the
    // consumer frees space as it finishes messages; left to the next pump turn, it would sit idle
    // until the burst ends). Publish what the ring holds, and come back for the rest.
    if (link.spill.length % SPILL_CHECK === 0 && link !== this.filling) link.spill.drainInto(w);
    this.publishLink(link);
    this.o.schedule();
  }

  /** A record went into the link's ring. */
  private written(link: Outlink, w: RingWriter): void {
    this.markDirty(link);
    // A long synchronous burst: publish now so the consumer can start while we keep writing.
    if (w.unpublished > this.tuning.ringBytes >>> 2) this.publishLink(link);
  }

  private markDirty(link: Outlink): void {
    if (!link.dirty) {
      link.dirty = true;
      this.dirty.push(link);
    }
    // Written outside a pump turn (a timer, an async handler's continuation): published at the
    // next microtask checkpoint. A turn publishes before it ends (its flush), and a message read
    // from a ring as soon as its handler is done (turns.ts): no microtask (~95 B) per message.
    if (!this.publishQueued && !this.o.inTurn()) {
      this.publishQueued = true;
      microtask(this.publishAll);
    }
  }

  /** Publishes every ring written since the last publish (once per microtask checkpoint, and when a handler is done). */
  publish(): void {
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    for (let i = 0; i < dirty.length; i++) {
      const link = dirty[i]!;
      link.dirty = false;
      this.publishLink(link);
    }
    empty(dirty);
  }

  private publishLink(link: Outlink): void {
    const w = link.writer!;
    if (w.publish()) {
      this.stats[S_OUTSTANDING]! -= w.takeCounted();
      link.ringer!.ring();
    }
  }

  /** Moves spilled records into rings that have room; returns true if a ring is still too full for its spill. */
  moveSpills(): boolean {
    let blocked = false;
    for (const link of this.links) {
      if (link && link.spill.length > 0 && !this.moveSpill(link)) blocked = true;
    }
    return blocked;
  }

  /** Moves spilled records into the ring; returns true if the spill is now empty. */
  private moveSpill(link: Outlink): boolean {
    const w = link.writer;
    if (w === null || link.spill.length === 0) return link.spill.length === 0;
    for (;;) {
      const need = link.spill.drainInto(w);
      this.markDirty(link);
      if (need === 0) { link.blocked = false; return true; }
      // Full: ask the consumer to ring us when it frees space, unless it already has; and wake it
      // if it sleeps, so that it sees the request (it may hold the space for mail it cannot run
      // yet, and let it go: ring-reader.ts).
      if (!w.waitForSpace(need)) { link.blocked = true; link.need = need; this.publishLink(link); link.ringer!.ring(); return false; }
    }
  }

  /**
   * For each ring we are blocked on: asks its consumer (again) to ring us when it frees space,
   * and returns true if the space is already there. Called after `doorbell.prepare()`, never
   * before: a consumer takes the request when it frees *some* space, which may be too little.
   * A request armed before we announced sleep can thus be taken, with no ring (we looked
   * awake) and too little space, and nothing would ever wake us. Armed after, the consumer
   * that takes it sees us asleep and rings. (Regression: 1M tells through a 4 KiB ring hung.)
   */
  armSpaceRequests(): boolean {
    const links = this.links;
    for (let i = 0; i < links.length; i++) {
      const link = links[i];
      if (link === undefined || !link.blocked) continue;
      if (link.writer!.waitForSpace(link.need)) return true;
      link.ringer!.ring(); // (as in moveSpill)
    }
    return false;
  }

  /** Records waiting in spills, over all links (the producer side's backlog). */
  get spilled(): number {
    let n = 0;
    for (const link of this.links) if (link) n += link.spill.length + link.unposted.length;
    return n;
  }

  /**
   * Empties every spill (a thread closing at shutdown: its rings toward closed threads will not
   * drain). Each record is handed to `fn` — its payload decoded, or null for one whose message
   * went over a port (or does not decode) — so the owner can dead-letter it.
   */
  discardSpilled(fn: (to: number, target: number, sender: number, corr: number, kind: number, value: unknown) => void): void {
    for (const link of this.links) {
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

  close(): void {
    for (const link of this.links) link?.port?.close();
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
      if (isBinaryPool(t)) {
        throw invalidArgument('transfer', 'ArrayBuffers of their own: this one is a pool of received binary messages, ' +
          'other messages\' bytes are in it (send the view without transfer, or transfer a copy of its bytes: ' +
          'v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))', t);
      }
    } else if (!(t instanceof MessagePort)) {
      throw invalidArgument('transfer', 'an array of ArrayBuffers and MessagePorts', t);
    }
    if (seen.has(t)) throw invalidArgument('transfer', 'a list without duplicates', t);
    seen.add(t);
  }
}
