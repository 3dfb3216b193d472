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
  // A circular buffer, power-of-two sized (index & mask), of messages; beside it, four numbers for
  // each in `nums`: its sender thread, sender id and correlation id (the ids are 32-bit, read back
  // with >>> 0), and where its record is in its ring (or -1; exact to 2^53), all doubles (see
  // `grow`). Empty until a second message waits beside a first: an idle
  // actor, or one that only ever has one message waiting (a child that does one job), makes no buffers.
  private msgs: unknown[] = EMPTY;
  private nums: number[] = EMPTY_NUMS;
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
    const nums = this.nums;
    const k = i << 2;
    nums[k] = senderThread | 0;
    nums[k + 1] = senderId | 0;
    nums[k + 2] = corr | 0;
    nums[k + 3] = record;
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
  senderThreadAt(i: number): number { return this.mask < 0 ? this.t0 : this.nums[i << 2]!; }
  senderIdAt(i: number): number { return (this.mask < 0 ? this.s0 : this.nums[(i << 2) + 1]!) >>> 0; }
  corrAt(i: number): number { return (this.mask < 0 ? this.c0 : this.nums[(i << 2) + 2]!) >>> 0; }
  recordAt(i: number): number { return this.mask < 0 ? this.a0 : this.nums[(i << 2) + 3]!; }

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
   * Doubles the buffers, moving the contents to the front. 4 slots at first. Up to SMALL_SLOTS
   * the numbers are a plain array of doubles, made in V8's heap; a typed array of more than 64
   * bytes is made outside it (on Node 20 here, `new Int32Array(16)` took 25 ns and
   * `new Int32Array(17)` 312), and the typed arrays of a mailbox's second and third growth were
   * 5-6 % of a worker's time in Skynet, whose parents each take ten replies (a CPU profile).
   * Larger, a Float64Array: copied in one block as it grows.
   */
  private grow(): void {
    const old = this.msgs.length;
    const size = old === 0 ? 4 : old * 2;
    const n = this.count;
    const msgs = new Array<unknown>(size);
    for (let i = 0; i < n; i++) msgs[i] = this.msgs[(this.head + i) & this.mask];
    const from = this.nums;
    let nums: number[];
    if (old === 0) {
      // Doubles from the start (0.5), so that no store changes the array's kind.
      nums = new Array<number>(size << 2).fill(0.5);
      // The one waiting message moves into the first slot.
      if (n === 1) { msgs[0] = this.m0; nums[0] = this.t0; nums[1] = this.s0; nums[2] = this.c0; nums[3] = this.a0; this.m0 = undefined; }
    } else if (this.head === 0) {
      // In order already: twice the array in one native copy (the second half is overwritten as it fills).
      nums = from.concat(from);
    } else {
      nums = new Array<number>(size << 2).fill(0.5);
      const mask = from.length - 1;
      const head = this.head << 2;
      for (let i = 0; i < n << 2; i++) nums[i] = from[(head + i) & mask]!;
    }
    this.nums = nums;
    this.msgs = msgs;
    this.mask = size - 1;
    this.head = 0;
  }
}

/** Slots whose numbers a plain array keeps (see Mailbox.grow); a larger mailbox's are a Float64Array. */
const SMALL_SLOTS = 16;

const EMPTY: unknown[] = [];
/** The system lane of a mailbox that has had no system message (never written to). */
const NO_SYSTEM: unknown[] = [];
const EMPTY_NUMS: number[] = [];

/** Copies a full circular buffer of `n` numbers starting at `head` to the front of `to` (twice its length). */
function regrow<T extends number[] | Float64Array>(to: T, from: number[] | Float64Array, head: number, n: number): T {
  if (from instanceof Float64Array && to instanceof Float64Array) {
    const tail = from.length - head; // numbers from head to the end of the old buffer
    to.set(from.subarray(head, head + Math.min(tail, n)), 0);
    if (n > tail) to.set(from.subarray(0, n - tail), tail);
    return to;
  }
  const mask = from.length - 1;
  for (let i = 0; i < n; i++) to[i] = from[(head + i) & mask]!;
  return to;
}

