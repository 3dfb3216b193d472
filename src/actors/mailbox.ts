/**
 * A mailbox with two lanes: system messages (stop, watch notices) are always taken before user
 * messages, and never count against the capacity. Unbounded by default: a fast sender is slowed
 * down by flow control (runtime/flow.ts), never its mail dropped. A `capacity` bounds it, by choice.
 *
 * The user lane is a growable circular buffer kept as parallel arrays (the messages; for each, its
 * sender thread, sender id, correlation id, and where its record is in its ring, or -1), so
 * enqueueing allocates nothing per message once it has grown.
 */
import { invalidArgument, refuseUnknownKeys } from './errors.js';

/** What to do with a user message when the mailbox is full. */
export type OverflowPolicy = 'dead-letter' | 'drop-oldest' | 'reject';

export interface MailboxOptions {
  /**
   * Most user messages waiting at once; past it, `overflow` says what happens. Default: no bound
   * (Infinity): nothing is dropped, and senders are slowed down instead (the system's
   * `mailbox.highWaterMark`).
   */
  capacity: number;
  /**
   * With a `capacity`:
   * `'dead-letter'` (default): the new message is dead-lettered `mailbox-full`.
   * `'drop-oldest'`: the oldest waiting message is dead-lettered `dropped-oldest` and the new one kept.
   * `'reject'`: like dead-letter, and an ask is rejected with MailboxFullError (ERR_TROUPE_MAILBOX_FULL).
   */
  overflow: OverflowPolicy;
  /**
   * This actor's high-water mark: each sender's unprocessed messages to it past which that
   * sender is slowed (runtime/flow.ts). Default: the system's (`createActorSystem({ mailbox: {
   * highWaterMark } })`, 1 000). Stored as 0 for "the system's".
   */
  highWaterMark: number;
}

export const DEFAULT_MAILBOX: MailboxOptions = { capacity: Infinity, overflow: 'dead-letter', highWaterMark: 0 };

const POLICIES: readonly OverflowPolicy[] = ['dead-letter', 'drop-oldest', 'reject'];
const MAILBOX_KEYS = ['capacity', 'overflow', 'highWaterMark'] as const satisfies readonly (keyof MailboxOptions)[];

export function mailboxOptions(given: Partial<MailboxOptions> | undefined): MailboxOptions {
  if (given === undefined) return DEFAULT_MAILBOX;
  if (given === null || typeof given !== 'object') throw invalidArgument('mailbox', 'an object { capacity, overflow, highWaterMark }', given);
  refuseUnknownKeys('mailbox', given, MAILBOX_KEYS, 'mailbox.');
  const capacity = given.capacity ?? DEFAULT_MAILBOX.capacity;
  const overflow = given.overflow ?? DEFAULT_MAILBOX.overflow;
  const highWaterMark = given.highWaterMark ?? DEFAULT_MAILBOX.highWaterMark;
  if ((!Number.isInteger(capacity) || capacity < 1) && capacity !== Infinity) {
    throw invalidArgument('mailbox.capacity', 'a positive integer (or Infinity: no bound, the default)', capacity);
  }
  if (!POLICIES.includes(overflow)) throw invalidArgument('mailbox.overflow', `one of ${POLICIES.join(', ')}`, overflow);
  if (given.highWaterMark !== undefined && (!Number.isInteger(highWaterMark) || highWaterMark < 1 || highWaterMark > 2 ** 31 - 1)) {
    throw invalidArgument('mailbox.highWaterMark', 'an integer from 1 to 2^31 - 1 (default: the system\'s)', highWaterMark);
  }
  return { capacity, overflow, highWaterMark };
}

export class Mailbox {
  /** Its options (DEFAULT_MAILBOX, shared, unless the spawn gave some): an idle mailbox keeps one field for them. */
  private readonly opts: MailboxOptions;
  // A circular buffer, power-of-two sized (index & mask), of messages; beside it, for each, its
  // sender thread, sender id and correlation id (3 of every 4 slots of `meta`; the ids are 32-bit,
  // read back with >>> 0), and where its record is in its ring (or -1; exact to 2^53, hence a
  // Float64Array). Empty until a second message waits beside a first: an idle actor, or one that
  // only ever has one message waiting (a child that does one job), makes no buffers.
  private msgs: unknown[] = EMPTY;
  private meta: Int32Array = EMPTY_I32;
  private at: Float64Array = EMPTY_F64;
  private mask = -1;
  private head = 0;
  private count = 0;
  /** Where its depth is mirrored in shared memory (runtime/mailbox-depths.ts), if anywhere. */
  private depth: Int32Array | null = null;
  private depthAt = 0;
  /** The system lane: rare, so a plain array, made with its first message. */
  private sys: unknown[] | null = null;
  // Before the buffers (mask -1), the one message waiting, with its numbers as the buffers keep
  // them (the ids as int32). Fork-Join creation's 40,000 actors, one message each, allocated
  // 609 B an actor for buffers they never needed.
  private m0: unknown = undefined;
  private t0 = 0;
  private s0 = 0;
  private c0 = 0;
  private a0 = -1;

  constructor(options: MailboxOptions) {
    this.opts = options;
  }

  get capacity(): number {
    return this.opts.capacity;
  }

  get overflow(): OverflowPolicy {
    return this.opts.overflow;
  }

  /** Its own high-water mark, or 0 for the system's (see MailboxOptions). */
  get highWaterMark(): number {
    return this.opts.highWaterMark;
  }

  /** The system lane's messages, oldest first (do not add to it: pushSystem). */
  get system(): unknown[] {
    return this.sys ?? NO_SYSTEM;
  }

  pushSystem(m: unknown): void {
    // ([m], not [] then push: that array grows room for 16 at its first push.)
    if (this.sys === null) this.sys = [m];
    else this.sys.push(m);
  }

  clearSystem(): void {
    this.sys = null;
  }

  get size(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.capacity;
  }

  /**
   * Appends a user message. The caller has checked `isFull` and applied the overflow policy.
   * `record`: where the message's record waits in its ring (runtime/mesh/ring.ts), or -1.
   */
  push(msg: unknown, senderThread: number, senderId: number, corr: number, record = -1): void {
    if (this.count >= this.msgs.length) { // full, or no buffers yet
      if (this.count === 0) { this.putFirst(msg, senderThread, senderId, corr, record); return; }
      this.grow();
    }
    this.put((this.head + this.count) & this.mask, msg, senderThread, senderId, corr, record);
  }

  /** Puts a message back at the head (a failed message to retry first). Ignores capacity: it was accepted before. */
  unshift(msg: unknown, senderThread: number, senderId: number, corr: number, record = -1): void {
    if (this.count >= this.msgs.length) { // full, or no buffers yet
      if (this.count === 0) { this.putFirst(msg, senderThread, senderId, corr, record); return; }
      this.grow();
    }
    this.head = (this.head - 1) & this.mask;
    this.put(this.head, msg, senderThread, senderId, corr, record);
  }

  /** Writes a message into slot `i` and counts it (push and unshift). */
  private put(i: number, msg: unknown, senderThread: number, senderId: number, corr: number, record: number): void {
    this.msgs[i] = msg;
    const meta = this.meta;
    const k = i << 2;
    meta[k] = senderThread;
    meta[k + 1] = senderId;
    meta[k + 2] = corr;
    this.at[i] = record;
    this.count++;
    if (this.depth !== null) this.depth[this.depthAt] = this.count;
  }

  /** The one message of a mailbox without buffers yet. */
  private putFirst(msg: unknown, senderThread: number, senderId: number, corr: number, record: number): void {
    this.m0 = msg;
    this.t0 = senderThread | 0;
    this.s0 = senderId | 0;
    this.c0 = corr | 0;
    this.a0 = record;
    this.count = 1;
    if (this.depth !== null) this.depth[this.depthAt] = 1;
  }

  /** Index of the oldest message, to read its fields before `shift()`. Only valid when size > 0. */
  get first(): number {
    return this.head;
  }
  messageAt(i: number): unknown { return this.mask < 0 ? this.m0 : this.msgs[i]; }
  senderThreadAt(i: number): number { return this.mask < 0 ? this.t0 : this.meta[i << 2]!; }
  senderIdAt(i: number): number { return (this.mask < 0 ? this.s0 : this.meta[(i << 2) + 1]!) >>> 0; }
  corrAt(i: number): number { return (this.mask < 0 ? this.c0 : this.meta[(i << 2) + 2]!) >>> 0; }
  recordAt(i: number): number { return this.mask < 0 ? this.a0 : this.at[i]!; }

  /** Removes the oldest message (read it first through `first`). */
  shift(): void {
    if (this.mask < 0) this.m0 = undefined; // let it be collected
    else {
      this.msgs[this.head] = undefined;
      this.head = (this.head + 1) & this.mask;
    }
    this.count--;
    if (this.depth !== null) this.depth[this.depthAt] = this.count;
  }

  /** Mirrors its depth to `into[at]` from now on (null: no more). */
  mirrorDepth(into: Int32Array | null, at: number): void {
    this.depth = into;
    this.depthAt = at;
    if (into !== null) into[at] = this.count;
  }

  /**
   * Its actor stopped, its mail answered for (empty): its buffers go to the spares (it has none
   * from now on; were it given mail again, it would make new ones).
   */
  recycle(): void {
    if (this.mask < 0 || this.count > 0) return;
    spare(this.meta, this.at);
    this.msgs = EMPTY;
    this.meta = EMPTY_I32;
    this.at = EMPTY_F64;
    this.mask = -1;
    this.head = 0;
  }

  /**
   * Doubles the buffers, moving the contents to the front with block copies. 4 slots at first, so
   * the first typed arrays are of 64 bytes at most, which V8 makes in its heap: on Node 20 here,
   * `new Int32Array(16)` took 25 ns and `new Int32Array(17)` 312 ns. Larger ones come from the
   * spares when there are some (the buffers a mailbox grew out of, or a stopped actor's): the
   * typed arrays of a mailbox's second and third growth were 5-6 % of a worker's time in Skynet,
   * whose parents each take ten replies (a CPU profile).
   */
  private grow(): void {
    const old = this.msgs.length;
    const size = old === 0 ? 4 : old * 2;
    const tail = old - this.head; // slots from head to the end of the old buffers
    const n = this.count;
    const msgs = new Array<unknown>(size);
    if (old === 0) {
      // The one waiting message moves into the first slots.
      const meta = this.meta = takeMeta(size);
      const at = this.at = takeAt(size);
      if (n === 1) { msgs[0] = this.m0; meta[0] = this.t0; meta[1] = this.s0; meta[2] = this.c0; at[0] = this.a0; this.m0 = undefined; }
    } else {
      for (let i = 0; i < n; i++) msgs[i] = this.msgs[(this.head + i) & this.mask];
      const meta = this.meta;
      const at = this.at;
      this.meta = regrow(takeMeta(size), meta, this.head << 2, tail << 2, n << 2);
      this.at = regrow(takeAt(size), at, this.head, tail, n);
      spare(meta, at);
    }
    this.msgs = msgs;
    this.mask = size - 1;
    this.head = 0;
  }
}

const EMPTY: unknown[] = [];
/** The system lane of a mailbox that has had no system message (never written to). */
const NO_SYSTEM: unknown[] = [];
const EMPTY_I32 = new Int32Array(0);
const EMPTY_F64 = new Float64Array(0);

/** Mailboxes of up to this many slots give their buffers to the spares, and take them from there. */
const SPARE_SLOTS = 64;
/** Spare buffers kept of the smallest size, at most; half as many of each size up (about 96 KB of each). */
const SPARES = 1024;
/** Spare buffers by size: index log2(slots) - 2 (4 slots to SPARE_SLOTS). Their contents are stale: a slot is written before it is read. */
const spareMeta: Int32Array[][] = [[], [], [], [], []];
const spareAt: Float64Array[][] = [[], [], [], [], []];

function sizeClass(slots: number): number {
  return 29 - Math.clz32(slots); // log2(slots) - 2
}

function takeMeta(slots: number): Int32Array {
  return (slots <= SPARE_SLOTS ? spareMeta[sizeClass(slots)]!.pop() : undefined) ?? new Int32Array(slots << 2);
}

function takeAt(slots: number): Float64Array {
  return (slots <= SPARE_SLOTS ? spareAt[sizeClass(slots)]!.pop() : undefined) ?? new Float64Array(slots);
}

/** Keeps a mailbox's buffers for the next that grows, if they are of a spare size and there is room. */
function spare(meta: Int32Array, at: Float64Array): void {
  const slots = at.length;
  if (slots > SPARE_SLOTS || slots < 4) return;
  const c = sizeClass(slots);
  if (spareAt[c]!.length >= SPARES >> c) return;
  spareMeta[c]!.push(meta);
  spareAt[c]!.push(at);
}

/** Copies a full circular buffer (`n` = its length, starting at `head`) to the front of `to`. */
function regrow<T extends Int32Array | Float64Array>(to: T, from: T, head: number, tail: number, n: number): T {
  if (n === 0) return to;
  if (n <= 64) {
    // By hand: the views block copies need cost more than the copy of a few (Skynet's parents, 10 replies each).
    const mask = from.length - 1;
    for (let i = 0; i < n; i++) to[i] = from[(head + i) & mask]!;
    return to;
  }
  to.set(from.subarray(head, head + Math.min(tail, n)), 0);
  if (n > tail) to.set(from.subarray(0, n - tail), tail);
  return to;
}
