/**
 * A thread's end of the ring mesh: its outgoing links (outlinks.ts), its incoming links
 * (inlinks.ts), its codec and doorbell, and the pump that moves records (pump.ts). Main and each
 * host have one. Per-pair order holds end to end: a sender→receiver pair shares one ring, in
 * order, and messages that go over the link's port are ordered among its records by markers.
 */
import type { MessagePort, Transferable } from 'node:worker_threads';
import type { RefTransport } from '../../actors/ref.js';
import type { Tuning } from '../protocol.js';
import { Codec } from './codec.js';
import { Doorbell } from './doorbell.js';
import { Inlinks, type Deliver, type Undeliverable } from './inlinks.js';
import { Outlinks } from './outlinks.js';
import { Pump } from './pump.js';

export { undeliverableError, type Deliver, type Undeliverable } from './inlinks.js';

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
  /** Records stay in their rings until their messages are finished (a host: see Inlinks' `pinning`). */
  pinning?: boolean;
  /** The owner's own work for one turn (a host runs its actors); returns how much it did (see PumpWork.work). */
  work?: (until: number) => number;
  /** Whether the owner has work queued (so the pump must not park). */
  hasWork?: () => boolean;
}

export class MeshNode {
  readonly thread: number;
  readonly codec: Codec;
  readonly doorbell: Doorbell;
  /** @internal */
  readonly outlinks: Outlinks;
  private readonly inlinks: Inlinks;
  private readonly pump: Pump;

  constructor(o: MeshOptions) {
    this.thread = o.thread;
    this.codec = new Codec(o.transport, o.node ?? '');
    this.doorbell = new Doorbell(o.doorbell);
    const schedule = () => this.pump.schedule();
    this.outlinks = new Outlinks({ codec: this.codec, tuning: o.tuning, stats: o.stats, requestLink: o.requestLink, schedule,
      inTurn: () => this.pump.inTurn });
    this.inlinks = new Inlinks({ codec: this.codec, readBudget: o.tuning.readBudget, deliver: o.deliver, undeliverable: o.undeliverable, schedule,
      pinning: o.pinning === true });
    const outlinks = this.outlinks;
    const inlinks = this.inlinks;
    const work = o.work ?? (() => 0);
    const hasWork = o.hasWork ?? (() => false);
    this.pump = new Pump(o.thread, o.tuning, this.doorbell, {
      read: () => inlinks.read(),
      work,
      hasWork,
      flush: () => { inlinks.release(); const blocked = outlinks.moveSpills(); outlinks.publish(); return blocked; },
      anyInput: () => inlinks.anyInput(),
      armSpaceRequests: () => outlinks.armSpaceRequests(),
      unstick: () => inlinks.unstick(),
    });
  }

  /** Attaches the producer side of a ring toward `to` (main hands it out), then moves anything waiting into it. */
  attachOut(to: number, ring: SharedArrayBuffer, port: MessagePort, consumerDoorbell: SharedArrayBuffer): void {
    this.outlinks.attach(to, ring, port, consumerDoorbell);
  }

  /** Attaches the consumer side of a ring from `from` (`replaced`: this thread replaces its dead reader). */
  attachIn(from: number, ring: SharedArrayBuffer, port: MessagePort, producerDoorbell: SharedArrayBuffer, replaced = false, lostBelow?: number): void {
    this.inlinks.attach(from, ring, port, producerDoorbell, replaced, lostBelow);
  }

  /** The reader of our ring toward `to` was replaced: port messages go on `port` from now on. */
  relinkOut(to: number, port: MessagePort): void {
    this.outlinks.relink(to, port);
  }

  /** The producer of our ring from `from` was replaced: its port messages come on `port` too. */
  relinkIn(from: number, port: MessagePort, lostBelow?: number): void {
    this.inlinks.relink(from, port, lostBelow);
  }

  /** Sends a record toward thread `to` (see Outlinks.send); throws before anything is queued. */
  send(to: number, target: number, sender: number, corr: number, kind: number, value: unknown, transfer?: readonly Transferable[]): void {
    this.outlinks.send(to, target, sender, corr, kind, value, transfer);
  }

  /** Sends a value another codec encoded (a message from another node), as it is. */
  sendEncoded(to: number, target: number, sender: number, corr: number, kind: number, bytes: Uint8Array): void {
    this.outlinks.sendEncoded(to, target, sender, corr, kind, bytes);
  }

  /** Keeps record `at` from thread `from` in its ring until `finish` (see Inlinks.pin). */
  pin(from: number, at: number): void {
    this.inlinks.pin(from, at);
  }

  /** Record `at`'s handler is running (see Inlinks.start). */
  start(from: number, at: number): void {
    this.inlinks.start(from, at);
  }

  /** Record `at` is an ask its running handler has answered (see Inlinks.answered). */
  answered(from: number, at: number): void {
    this.inlinks.answered(from, at);
  }

  /** Record `at`'s message is finished (see Inlinks.finish). */
  finish(from: number, at: number): void {
    this.inlinks.finish(from, at);
  }

  /** Publishes every ring written since the last publish. */
  publish(): void {
    this.outlinks.publish();
  }

  /** Reads now everything thread `from` has published to us (it died, or closed). */
  drainFrom(from: number): void {
    this.inlinks.drainFrom(from);
  }

  /** Makes sure a pump turn is coming. Cheap to call often. */
  schedule(): void {
    this.pump.schedule();
  }

  /** Records waiting in spills, over all links. */
  get spilled(): number {
    return this.outlinks.spilled;
  }

  /** Empties every spill, handing each record to `fn` (see Outlinks.discardSpilled). */
  discardSpilled(fn: (to: number, target: number, sender: number, corr: number, kind: number, value: unknown) => void): void {
    this.outlinks.discardSpilled(fn);
  }

  /** Whether every incoming ring is empty and nothing waits in a spill (a moment's truth). */
  quiet(): boolean {
    return !this.inlinks.anyInput() && this.outlinks.spilled === 0;
  }

  /** Stops the pump and closes the ports. */
  close(): void {
    this.pump.stop();
    this.inlinks.close();
    this.outlinks.close();
  }
}
