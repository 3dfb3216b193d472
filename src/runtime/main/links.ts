/**
 * The ring mesh's memory, owned by main: one ring per ordered pair of threads that talk,
 * allocated when the first record is sent (`need-link`), each side handed its end over its
 * events port (main's own ends go to its MeshNode). A replacement host takes over its dead
 * predecessor's rings (it reads on where it left off), and at shutdown what no thread will read
 * any more is dead-lettered.
 */
import { MessageChannel } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { DeadLetterWire } from '../protocol.js';
import { F_POSTED, KIND_MASK, K_REPLY, K_REPLY_ERROR, K_SYSTEM, K_UNCOUNTED, MAIN_THREAD } from '../constants.js';
import type { MeshNode } from '../mesh/mesh-node.js';
import { Ring } from '../mesh/ring.js';
import { M_ANSWERED, M_QUEUED, M_STARTED, RingReader } from '../mesh/ring-reader.js';
import type { LinkIn, LinkOut } from '../protocol.js';
import type { Hosts } from './hosts.js';

/** The key of the ring from → to. */
const keyOf = (from: number, to: number) => from * 65536 + to;

export class Links {
  /** Every ring by `from * 65536 + to`: a replacement host takes over its predecessor's. */
  readonly rings = new Map<number, SharedArrayBuffer>();

  constructor(
    private readonly hosts: Hosts,
    private readonly mesh: MeshNode,
    private readonly mainDoorbell: SharedArrayBuffer,
    private readonly ringBytes: number,
    private readonly log: Logger,
  ) {}

  /** Allocates the ring from → to (once) and hands each side its end. */
  link(from: number, to: number): void {
    const key = keyOf(from, to);
    if (this.rings.has(key)) return;
    const src = from === MAIN_THREAD ? null : this.hosts.get(from);
    const dst = to === MAIN_THREAD ? null : this.hosts.get(to);
    if ((from !== MAIN_THREAD && !src) || (to !== MAIN_THREAD && !dst)) {
      this.log.error({ from, to }, 'link requested to a thread that does not exist');
      return;
    }
    const ring = Ring.allocate(this.ringBytes);
    this.rings.set(key, ring);
    const { port1, port2 } = new MessageChannel();
    const fromBell = src ? src.doorbell : this.mainDoorbell;
    const toBell = dst ? dst.doorbell : this.mainDoorbell;
    if (src) src.events.postMessage({ t: 'link-out', to, ring, port: port1, doorbell: toBell }, [port1]);
    else this.mesh.attachOut(to, ring, port1, toBell);
    if (dst) dst.events.postMessage({ t: 'link-in', from, ring, port: port2, doorbell: fromBell }, [port2]);
    else this.mesh.attachIn(from, ring, port2, fromBell);
  }

  /**
   * The links of a dead thread, for its replacement: the same rings (it reads on from the heads
   * its predecessor stored, and writes on from the tails it published) with new ports, and each
   * live peer is told to use its new port.
   */
  takeOver(thread: number): (LinkIn | LinkOut)[] {
    const links: (LinkIn | LinkOut)[] = [];
    for (const [key, ring] of this.rings) {
      const from = Math.floor(key / 65536);
      const to = key % 65536;
      if (from !== thread && to !== thread) continue;
      const peer = from === thread ? to : from;
      const peerHost = peer === MAIN_THREAD ? null : this.hosts.get(peer);
      const peerAlive = peerHost === null || (peerHost !== undefined && peerHost.alive);
      const { port1, port2 } = new MessageChannel();
      const peerBell = peerHost ? peerHost.doorbell : this.mainDoorbell;
      // Port messages numbered below this went to a dead thread: lost. A live producer says it
      // itself on the new port; for a dead one, the number in the ring's header is final.
      const lostBelow = Ring.postSeqOf(ring) + 1;
      if (from === thread) {
        links.push({ t: 'link-out', to, ring, port: port1, doorbell: peerBell });
        if (peerHost === null) this.mesh.relinkIn(thread, port2, lostBelow);
        else if (peerAlive) peerHost!.events.postMessage({ t: 'relink-in', peer: thread, port: port2, lostBelow }, [port2]);
      } else {
        links.push({ t: 'link-in', from, ring, port: port1, doorbell: peerBell, replaced: true, ...(peerAlive ? {} : { lostBelow }) });
        if (peerHost === null) this.mesh.relinkOut(thread, port2);
        else if (peerAlive) peerHost!.events.postMessage({ t: 'relink-out', peer: thread, port: port2 }, [port2]);
      }
      // A dead peer's end (port2) is left alone: its replacement relinks with us anew.
    }
    return links;
  }

  /**
   * What host `thread`, which died, left queued in the rings toward it (records stay there until
   * their messages are finished: mesh/ring.ts). Each record whose handler had started is handed
   * to `started` (decoded; null for one whose message came over a port; `answered`: an ask its
   * handler had answered) and marked done, so that
   * the replacement does not run it again; the rest are read again by the replacement. Returns
   * how many user messages that is (and, in `queuedBy`, how many per target actor). Call it
   * before the replacement starts.
   */
  leftFor(thread: number, started: (from: number, kind: number, target: number, sender: number, corr: number, value: unknown, answered: boolean) => void,
    queuedBy?: Map<number, number>): number {
    let queued = 0;
    const codec = this.mesh.codec;
    for (const [key, ring] of this.rings) {
      if (key % 65536 !== thread) continue;
      const from = Math.floor(key / 65536);
      Ring.walkLeft(ring, (kind, target, sender, corr, bytes, start, len) => {
        if ((kind & M_QUEUED) === 0) return kind;
        if ((kind & M_STARTED) === 0) {
          if ((kind & KIND_MASK) < K_UNCOUNTED) {
            queued++;
            queuedBy?.set(target, (queuedBy.get(target) ?? 0) + 1);
          }
          return kind;
        }
        let value: unknown = null;
        if ((kind & F_POSTED) === 0) try { value = codec.decodeShared(bytes, start, len); } catch { value = null; }
        started(from, kind & KIND_MASK, target, sender, corr, value, (kind & M_ANSWERED) !== 0);
        return kind & ~(M_QUEUED | M_STARTED | M_ANSWERED);
      });
    }
    return queued;
  }

  /**
   * After the hosts closed: mail that will never be read, left in rings toward threads that
   * closed (or died) and in main's own spills, goes to `dead` (to be dead-lettered
   * `actor-stopped`), so that what the shutdown's log calls dead-lettered is, and the counts close.
   */
  discardLeftovers(dead: (entry: DeadLetterWire) => void): void {
    const now = Date.now();
    const discard = (from: number, to: number, target: number, sender: number, corr: number, kind: number, value: unknown) => {
      if (kind >= K_SYSTEM) return;
      dead({ reason: 'actor-stopped', target: kind === K_REPLY || kind === K_REPLY_ERROR ? `ask #${corr}` : `@${to}.${target}`,
        sender: sender === 0 ? null : `@${from}.${sender}`, message: value ?? '[not read: the system stopped]', time: now });
    };
    this.mesh.discardSpilled((to, target, sender, corr, kind, value) => discard(MAIN_THREAD, to, target, sender, corr, kind, value));
    const codec = this.mesh.codec;
    for (const [key, ring] of this.rings) {
      const from = Math.floor(key / 65536);
      const to = key % 65536;
      // main reads its own once more (a port message a marker waited for may have come since);
      // what still waits then never comes. A consumer that did not close may still be reading.
      if (to === MAIN_THREAD) this.mesh.drainFrom(from);
      else if (!this.hosts.get(to)?.exited) continue;
      new RingReader(ring).read((target, sender, corr, kind, bytes, start, len) => {
        let value: unknown = null;
        if ((kind & F_POSTED) === 0) try { value = codec.decodeShared(bytes, start, len); } catch { value = null; }
        discard(from, to, target, sender, corr, kind & KIND_MASK, value);
      }, Number.MAX_SAFE_INTEGER);
    }
  }
}
