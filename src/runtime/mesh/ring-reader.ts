/**
 * The consumer's side of a ring (ring.ts has its layout, and the producer's side).
 */
import { HEADER_BYTES, RECORD_HEADER_BYTES, Ring, WRAP, kHead, kRead, kTail, kWantSpace, type RecordHandler } from './ring.js';

/**
 * Marks a pinning consumer (a host) writes in a record's kind word, above any kind or flag the
 * producer writes, on the records it keeps: `M_QUEUED` (its message waits in a mailbox, so its
 * space is not freed), then perhaps `M_STARTED` (its handler ran) and `M_ANSWERED`; a finished
 * one keeps only `M_READ`. Up to the read position the consumer stores (the header's `read`), a
 * record without marks is done with. A consumer that replaces a dead one reads on from head: it
 * skips what is done, reads again what was queued, and main has dead-lettered what had started
 * (recovery.ts).
 */
export const M_READ = 1 << 24;
export const M_QUEUED = 1 << 25;
export const M_STARTED = 1 << 26;
/** ... and its ask has been answered (a handler still running after its reply). */
export const M_ANSWERED = 1 << 27;
const MARKS = M_READ | M_QUEUED | M_STARTED | M_ANSWERED;

/**
 * The consumer's side. Not thread-safe: one consumer only.
 *
 * A pinning consumer (a host) frees a record's space only when its message is finished, so that
 * what waits in its mailboxes survives its death in the ring: it reads ahead of head, marks the
 * records it keeps (M_*), and moves head over the prefix of records that are done (once per pump
 * turn: `free`). Positions here are
 * absolute byte counts (exact to 2^53), so a stale one is never mistaken for a newer record; the
 * header's u32s are the same counts mod 2^32. Pinned space never holds a producer back for
 * good: when the producer waits for space, every record is read, and head has not moved since the
 * last read (nothing held is being finished: an actor may wait, say, for a reply the producer
 * cannot write), the pinned records are let go (`evicted`: their messages still run, from the
 * heap, but would die with the worker). While the consumer finishes what it holds, the producer
 * waits for that instead (main spills meanwhile; what is spilled survives this worker's death).
 */
export class RingReader {
  readonly sab: SharedArrayBuffer;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  /** The data area; handlers decode payloads from it in place. */
  readonly bytes: Uint8Array;
  private readonly mask: number;
  /** Read so far (absolute). */
  private readAt: number;
  /** Freed so far (absolute): head. Equal to readAt while nothing is pinned. */
  private freedAt: number;
  /** Records pinned (M_QUEUED) between freedAt and readAt. */
  private pinned = 0;
  /** Below this (absolute), records were read by a consumer that died (see `read`). */
  private readonly rereadUntil: number;
  /** Pinned records let go since the start (see the class's note). */
  evicted = 0;
  /** Head moved since the last read: the consumer is finishing what it holds. */
  private moved = false;
  /** The last read moved head (a producer waiting for space may go on). */
  freedByRead = false;

  constructor(sab: SharedArrayBuffer, private readonly pinning = false) {
    this.sab = sab;
    this.i32 = new Int32Array(sab);
    this.u32 = new Uint32Array(sab);
    this.bytes = new Uint8Array(sab, HEADER_BYTES);
    this.mask = Ring.capacityOf(sab) - 1;
    const head = Atomics.load(this.i32, kHead) >>> 0;
    this.readAt = this.freedAt = head;
    // What a consumer before us had read (it died): records up to here are done, or queued there.
    this.rereadUntil = head + (((Atomics.load(this.i32, kRead) >>> 0) - head) >>> 0);
  }

  /** Whether published records are waiting. Exact for this instant; stale by the time you act. */
  hasData(): boolean {
    return (Atomics.load(this.i32, kTail) >>> 0) !== this.readAt >>> 0;
  }

  /**
   * Hands up to `budget` records to `handler`, in order, then frees what it can with one store.
   * A handler that returns `false` leaves its record unread (it will come first next time) and
   * stops the read: that is how a consumer waits for something the record depends on. A record a
   * dead consumer had read comes with M_READ in its kind when it was queued there, and not at all
   * when it was done (up to the read position it stored, records it did not mark are done: one
   * store per batch, not per record). Returns the number of records handed over.
   */
  read(handler: RecordHandler, budget: number): number {
    const u32 = this.u32;
    const mask = this.mask;
    let at = this.readAt;
    const end = at + (((Atomics.load(this.i32, kTail) >>> 0) - at) >>> 0);
    let n = 0;
    const from = at;
    while (at < end && n < budget) {
      const pos = at & mask;
      const w = (HEADER_BYTES + pos) >>> 2;
      const len = u32[w]!;
      if (len === WRAP) {
        at += mask + 1 - pos;
        continue;
      }
      const size = RECORD_HEADER_BYTES + ((len + 3) & ~3);
      let kind = u32[w + 4]!;
      if (kind >= M_READ) {
        // Marked by a consumer that died: done with, or queued there (read it again).
        if ((kind & M_QUEUED) === 0) { at += size; continue; }
        u32[w + 4] = kind & ~MARKS;
        kind = (kind & ~MARKS) | M_READ;
      } else if (at < this.rereadUntil) {
        // Read by it and done with (only queued records are marked).
        at += size;
        continue;
      }
      this.readAt = at;
      const ok = handler(u32[w + 1]!, u32[w + 2]!, u32[w + 3]!, kind, this.bytes, pos + RECORD_HEADER_BYTES, len, at);
      if (ok === false) break;
      at += size;
      n++;
    }
    this.readAt = at;
    if (at !== from) Atomics.store(this.i32, kRead, (at < this.rereadUntil ? this.rereadUntil : at) | 0);
    if (this.pinning) this.evict(at === end);
    this.freedByRead = this.free();
    return n;
  }

  /** Keeps the record at `at` (being read now) until `unpin(at)`: its message waits in a mailbox. */
  pin(at: number): void {
    if (at < this.freedAt) return;
    const w = (HEADER_BYTES + (at & this.mask)) >>> 2;
    const kind = this.u32[w + 4]!;
    if ((kind & M_QUEUED) !== 0) return;
    this.u32[w + 4] = kind | M_READ | M_QUEUED;
    this.pinned++;
  }

  /** The pinned record at `at` is running (a dead consumer's is dead-lettered, not read again). */
  start(at: number): void {
    if (at < this.freedAt) return;
    const w = (HEADER_BYTES + (at & this.mask)) >>> 2;
    if ((this.u32[w + 4]! & M_QUEUED) !== 0) this.u32[w + 4]! |= M_STARTED;
  }

  /** The pinned record at `at` is an ask that has been answered while its handler runs on. */
  answered(at: number): void {
    if (at < this.freedAt) return;
    const w = (HEADER_BYTES + (at & this.mask)) >>> 2;
    if ((this.u32[w + 4]! & M_QUEUED) !== 0) this.u32[w + 4]! |= M_ANSWERED;
  }

  /**
   * The pinned record at `at` is finished: its space is freed (by `free`, which the owner calls
   * once per turn) once the records before it are. Returns true if `free` may now move head.
   */
  unpin(at: number): boolean {
    if (at < this.freedAt) return false; // let go already
    const w = (HEADER_BYTES + (at & this.mask)) >>> 2;
    const kind = this.u32[w + 4]!;
    if ((kind & M_QUEUED) === 0) return false;
    this.u32[w + 4] = (kind & ~MARKS) | M_READ;
    this.pinned--;
    return this.pinned === 0 || at === this.freedAt;
  }

  /** Moves head over the records that are done, and stores it. Returns true if it moved. */
  free(): boolean {
    let at = this.freedAt;
    const readAt = this.readAt;
    if (this.pinned === 0) at = readAt;
    else {
      const u32 = this.u32;
      const mask = this.mask;
      while (at < readAt) {
        const pos = at & mask;
        const w = (HEADER_BYTES + pos) >>> 2;
        const len = u32[w]!;
        if (len === WRAP) { at += mask + 1 - pos; continue; }
        if ((u32[w + 4]! & M_QUEUED) !== 0) break;
        at += RECORD_HEADER_BYTES + ((len + 3) & ~3);
      }
    }
    if (at === this.freedAt) return false;
    this.freedAt = at;
    this.moved = true;
    // Release the space; the producer's reload of head sees everything freed as done.
    Atomics.store(this.i32, kHead, at | 0);
    return true;
  }

  /**
   * The consumer has nothing to run: if the producer waits for space and everything published is
   * read, the pinned records are let go now (see `evict`). Returns true if head moved.
   */
  letGo(): boolean {
    if (this.pinned === 0 || !this.caughtUp() || Atomics.load(this.i32, kWantSpace) === 0) return false;
    this.evictAll();
    return this.free();
  }

  private caughtUp(): boolean {
    return (Atomics.load(this.i32, kTail) >>> 0) === this.readAt >>> 0;
  }

  /**
   * Lets go of the pinned records when the producer waits for space, everything published is
   * read, and head has not moved since the last read: it could wait for ever otherwise (for a
   * reply, say, that the actor holding the space waits for, while other actors keep this
   * consumer busy; an idle consumer lets go at once: `letGo`).
   */
  private evict(caughtUp: boolean): void {
    const moved = this.moved;
    this.moved = false;
    if (this.pinned === 0 || !caughtUp || moved || Atomics.load(this.i32, kWantSpace) === 0) return;
    this.evictAll();
  }

  private evictAll(): void {
    const u32 = this.u32;
    const mask = this.mask;
    let at = this.freedAt;
    while (this.pinned > 0) {
      const pos = at & mask;
      const w = (HEADER_BYTES + pos) >>> 2;
      const len = u32[w]!;
      if (len === WRAP) { at += mask + 1 - pos; continue; }
      const kind = u32[w + 4]!;
      if ((kind & M_QUEUED) !== 0) {
        u32[w + 4] = (kind & ~MARKS) | M_READ;
        this.pinned--;
        this.evicted++;
      }
      at += RECORD_HEADER_BYTES + ((len + 3) & ~3);
    }
    // (free() moves head over them.)
  }

  /**
   * After freeing space: did the producer ask to be told? Clears the flag if so. Called after
   * head was stored, so a producer that set the flag before our store re-checks and sees the
   * space, and one that set it after is seen here.
   */
  takeSpaceRequest(): boolean {
    if (Atomics.load(this.i32, kWantSpace) === 0) return false;
    return Atomics.exchange(this.i32, kWantSpace, 0) === 1;
  }
}
