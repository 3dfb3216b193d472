/**
 * A single-producer, single-consumer ring of variable-length records in a SharedArrayBuffer.
 *
 * Contract: exactly one thread writes (the producer) and exactly one thread reads (the consumer);
 * the roles are fixed for the life of the buffer. The buffer is allocated once (`Ring.allocate`)
 * by the main thread, which owns it, and each side wraps it (`RingWriter` / `RingReader`). Because
 * main owns the memory, a replacement worker can pick up a ring exactly where a dead one stopped.
 *
 * Layout (byte offsets):
 *   0    head   u32  bytes consumed so far (monotonic, wraps at 2^32)    written by the consumer
 *   64   tail   u32  bytes published so far (monotonic, wraps at 2^32)   written by the producer
 *   128  wantSpace   1 while the producer holds spilled records and wants to hear when space frees
 *   160  postSeq     the last sequence number the producer gave a message sent over the link's port
 *                    (in the ring so that a replacement producer goes on from it)
 *   176  read   u32  bytes read so far (at or past head)                  written by the consumer
 *   192  data   `capacity` bytes (a power of two)
 * head, tail and wantSpace sit on separate 64-byte cache lines so the two sides never share one.
 *
 * A record is [len u32][target u32][sender u32][corr u32][kind u32][payload, padded to 4 bytes].
 * Records never wrap: when one does not fit before the end, the producer writes a WRAP marker
 * (len = 0xFFFFFFFF) and starts again at offset 0.
 *
 * Batching: the producer writes any number of records past the published tail and publishes them
 * all with one `Atomics.store` (`publish`). The consumer reads everything up to the tail it loaded
 * and frees it with one `Atomics.store` of head (`read` does this once per call).
 */

/** Int32 slot indices in the header (head, tail and wantSpace each on its own cache line). */
export const kHead = 0;
export const kTail = 16;
export const kWantSpace = 32;
const kPostSeq = 40;
export const kRead = 44;
export const HEADER_BYTES = 192;


/** Bytes of a record header before its payload. */
export const RECORD_HEADER_BYTES = 20;
export const WRAP = 0xffffffff;

export const MIN_RING_BYTES = 256;
export const MAX_RING_BYTES = 1 << 30;

/**
 * Called by `RingReader.read` for each record. `payloadStart` indexes `bytes` (the whole ring); `at`
 * is the record's position (absolute), for `pin`, `start` and `unpin`.
 */

export type RecordHandler = (
  target: number, sender: number, corr: number, kind: number,
  bytes: Uint8Array, payloadStart: number, payloadLength: number, at: number,
) => boolean | void;

export const Ring = {
  /** Allocates a ring whose data area holds `capacity` bytes (rounded up to a power of two). */
  allocate(capacity: number): SharedArrayBuffer {
    return new SharedArrayBuffer(HEADER_BYTES + Ring.roundedCapacity(capacity));
  },
  /** The data area `allocate(capacity)` makes: a power of two from MIN_RING_BYTES to MAX_RING_BYTES. */
  roundedCapacity(capacity: number): number {
    let size = MIN_RING_BYTES;
    while (size < capacity && size < MAX_RING_BYTES) size *= 2;
    return size;
  },
  capacityOf(sab: SharedArrayBuffer): number {
    return sab.byteLength - HEADER_BYTES;
  },
  /**
   * Its read position and tail now (bytes read and published): records wait unread while they
   * differ. For main's health checks; stale as soon as it returns.
   */
  positionsOf(sab: SharedArrayBuffer): { read: number; tail: number } {
    const i32 = new Int32Array(sab);
    return { read: Atomics.load(i32, kRead) >>> 0, tail: Atomics.load(i32, kTail) >>> 0 };
  },
  /**
   * Walks the records a dead consumer left between head and tail, for main (recovery.ts): each
   * record's kind word with its marks, its header fields, and its payload. `fn` returns the kind
   * word to store back (to clear a mark). Only while no consumer reads the ring.
   */
  walkLeft(sab: SharedArrayBuffer, fn: (kind: number, target: number, sender: number, corr: number, bytes: Uint8Array, start: number, len: number) => number): void {
    const i32 = new Int32Array(sab);
    const u32 = new Uint32Array(sab);
    const bytes = new Uint8Array(sab, HEADER_BYTES);
    const mask = Ring.capacityOf(sab) - 1;
    let at = Atomics.load(i32, kHead) >>> 0;
    const end = at + (((Atomics.load(i32, kTail) >>> 0) - at) >>> 0);
    while (at < end) {
      const pos = at & mask;
      const w = (HEADER_BYTES + pos) >>> 2;
      const len = u32[w]!;
      if (len === WRAP) { at += mask + 1 - pos; continue; }
      u32[w + 4] = fn(u32[w + 4]!, u32[w + 1]!, u32[w + 2]!, u32[w + 3]!, bytes, pos + RECORD_HEADER_BYTES, len);
      at += RECORD_HEADER_BYTES + ((len + 3) & ~3);
    }
  },
  /** The last port-message sequence number its producer gave out (main reads it when a producer died). */
  postSeqOf(sab: SharedArrayBuffer): number {
    return Atomics.load(new Int32Array(sab), kPostSeq) >>> 0;
  },
  /** The largest payload a record in this ring can carry. */
  maxPayload(sab: SharedArrayBuffer): number {
    return Ring.maxPayloadOf(Ring.capacityOf(sab));
  },
  /** The largest payload a record in a ring of `capacity` data bytes (a power of two) can carry. */
  maxPayloadOf(capacity: number): number {
    // A record may need to skip up to (its own size - 4) bytes of tail room, so keep it under half.
    return (capacity >>> 1) - RECORD_HEADER_BYTES;
  },
};

/** The producer's side. Not thread-safe: one producer only. */
export class RingWriter {
  readonly sab: SharedArrayBuffer;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly u8: Uint8Array;
  private readonly mask: number;
  private readonly capacity: number;
  /** The data area, for a payload written in place (`reserve`, `commit`). */
  get data(): Uint8Array {
    return this.u8;
  }
  /** Next write position (bytes, monotonic); ahead of the published tail while a batch is open. */
  private tail: number;
  /** Last head seen; may be stale (older), which only underestimates free space. */
  private headCache: number;
  /** The tail last published; only this producer writes tail, so no load is needed. */
  private published: number;
  /** Records written since the last publish whose kind (low byte) is below `uncountedFrom`. */
  private counted = 0;

  /** Records whose kind (low byte) is `uncountedFrom` or more are not counted by `takeCounted` (e.g. system records). */
  constructor(sab: SharedArrayBuffer, private readonly uncountedFrom = 256) {
    this.sab = sab;
    this.i32 = new Int32Array(sab);
    this.u32 = new Uint32Array(sab);
    this.u8 = new Uint8Array(sab, HEADER_BYTES);
    this.capacity = Ring.capacityOf(sab);
    this.mask = this.capacity - 1;
    this.tail = Atomics.load(this.i32, kTail) >>> 0;
    this.published = this.tail;
    this.headCache = Atomics.load(this.i32, kHead) >>> 0;
  }

  /** Bytes written but not yet published. */
  get unpublished(): number {
    return (this.tail - this.published) >>> 0;
  }

  /**
   * Appends a record if it fits, without publishing it. Returns false when the ring is full
   * (the caller spills and retries later); nothing is written then.
   */
  tryWrite(target: number, sender: number, corr: number, kind: number, src: Uint8Array | null, start: number, len: number): boolean {
    const size = RECORD_HEADER_BYTES + ((len + 3) & ~3);
    const pos = this.tail & this.mask;
    const untilEnd = this.capacity - pos;
    if (!this.hasRoom(size <= untilEnd ? size : untilEnd + size)) return false;
    let at = pos;
    if (size > untilEnd) {
      // Does not fit before the end: mark the rest as skipped and start at 0.
      this.u32[(HEADER_BYTES + pos) >>> 2] = WRAP;
      this.tail = (this.tail + untilEnd) >>> 0;
      at = 0;
    }
    this.header(at, target, sender, corr, kind, len);
    if (len > 0) {
      // A whole view is copied without making a subarray; a small slice is copied by hand.
      const u8 = this.u8;
      const to = at + RECORD_HEADER_BYTES;
      if (start === 0 && len === src!.length) u8.set(src!, to);
      else if (len <= 64) for (let i = 0; i < len; i++) u8[to + i] = src![start + i]!;
      else u8.set(src!.subarray(start, start + len), to);
    }
    this.tail = (this.tail + size) >>> 0;
    return true;
  }

  /**
   * Where a record of up to `maxLen` payload bytes fits now, before the end of the ring: the
   * offset in `data` to write its payload at, or -1. Then `commit` it (nothing is written until
   * then: a payload left unfinished there is simply overwritten later).
   */
  reserve(maxLen: number): number {
    const size = RECORD_HEADER_BYTES + ((maxLen + 3) & ~3);
    const pos = this.tail & this.mask;
    return size <= this.capacity - pos && this.hasRoom(size) ? pos + RECORD_HEADER_BYTES : -1;
  }

  /** Appends the record whose payload (`len` bytes, at most the reserved length) was written at `reserve`'s offset. */
  commit(target: number, sender: number, corr: number, kind: number, len: number): void {
    this.header(this.tail & this.mask, target, sender, corr, kind, len);
    this.tail = (this.tail + RECORD_HEADER_BYTES + ((len + 3) & ~3)) >>> 0;
  }

  /** Writes a record's header at data offset `at`, and counts it. */
  private header(at: number, target: number, sender: number, corr: number, kind: number, len: number): void {
    const w = (HEADER_BYTES + at) >>> 2;
    const u32 = this.u32;
    u32[w] = len;
    u32[w + 1] = target;
    u32[w + 2] = sender;
    u32[w + 3] = corr;
    u32[w + 4] = kind;
    if ((kind & 0xff) < this.uncountedFrom) this.counted++;
  }

  /**
   * Free bytes a record with this payload needs at the current write position: its size, plus
   * the bytes skipped before the end when it must wrap. What a blocked producer waits for.
   */
  spaceNeeded(len: number): number {
    const size = RECORD_HEADER_BYTES + ((len + 3) & ~3);
    const untilEnd = this.capacity - (this.tail & this.mask);
    return size <= untilEnd ? size : untilEnd + size;
  }

  /** Counted records written since the last call (call it right after `publish`). */
  takeCounted(): number {
    const n = this.counted;
    this.counted = 0;
    return n;
  }

  /** Raises the header's last port-message number to at least `n`; returns it. */
  postSeqAtLeast(n: number): number {
    const cur = Atomics.load(this.i32, kPostSeq) >>> 0;
    if (cur >= n) return cur;
    Atomics.store(this.i32, kPostSeq, n | 0);
    return n;
  }

  /** The next sequence number for a message sent over the link's port (kept in the ring's header). */
  nextPostSeq(): number {
    // 0 is never a sequence number (it marks a link's "numbering resumes at" message).
    const seq = (((Atomics.load(this.i32, kPostSeq) >>> 0) + 1) >>> 0) || 1;
    Atomics.store(this.i32, kPostSeq, seq | 0);
    return seq;
  }

  /** Whether `need` bytes are free now (reloads head). */
  hasSpaceFor(need: number): boolean {
    return this.hasRoom(need);
  }

  private hasRoom(need: number): boolean {
    if (((this.tail - this.headCache) >>> 0) + need <= this.capacity) return true;
    // Stale head: reload it (the consumer may have freed space since).
    this.headCache = Atomics.load(this.i32, kHead) >>> 0;
    return ((this.tail - this.headCache) >>> 0) + need <= this.capacity;
  }

  /** Whether a record with this payload length could ever fit (else it must go another way). */
  fits(payloadLength: number): boolean {
    return payloadLength <= Ring.maxPayload(this.sab);
  }

  /**
   * Publishes every record written since the last call. Returns true if anything was published.
   * The store of tail is the release: the consumer sees every byte written before it.
   */
  publish(): boolean {
    if (this.published === this.tail) return false;
    this.published = this.tail;
    Atomics.store(this.i32, kTail, this.tail | 0);
    return true;
  }

  /**
   * Says the producer is waiting for space; then re-checks, so a consumer that freed space
   * between our failed write and this flag is not missed (it reads the flag after storing head).
   * Returns true if space is already there.
   */
  waitForSpace(need: number): boolean {
    Atomics.store(this.i32, kWantSpace, 1);
    return this.hasRoom(need);
  }
}
