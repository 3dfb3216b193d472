/**
 * The refs a host makes from a thread and an id (Host.refFor: `ctx.sender`, and a reply to a
 * tell, which is sent to its sender's ref), kept in a small direct-mapped table. A reply to a
 * tell from another worker made a new ref, and its path string, on every message: about 50 ns of
 * the replying worker's part of a hop in spread PingPong, and garbage. A ref is immutable, and
 * (thread, id) names one actor for good (ids are never reused; a replaced worker's actors keep
 * theirs), so the ref found here is the one that would have been made.
 */
import { ActorRef, type RefTransport } from '../../actors/ref.js';

/** Slots (a power of two). A ref and its path take ~112 bytes (100,000 measured in a heap): ~29 KB a host at most. */
const SLOTS = 256;

export class RefCache {
  private readonly slots: (ActorRef | undefined)[] = new Array<ActorRef | undefined>(SLOTS).fill(undefined);

  constructor(private readonly transport: RefTransport) {}

  /** The ref of actor `id` of thread `thread` (its path is `@thread.id`: only its host knows its name). */
  get(thread: number, id: number): ActorRef {
    const slot = (Math.imul(id, 0x9e3779b1) ^ thread) & (SLOTS - 1);
    const ref = this.slots[slot];
    if (ref !== undefined && ref.id === id && ref.thread === thread) return ref;
    return (this.slots[slot] = new ActorRef(`@${thread}.${id}`, thread, id, this.transport));
  }
}
