/**
 * The busy paths of a sender with many (flow.ts, past its small table): an open-addressing hash
 * table of [key, count, mark] in typed arrays, probed linearly, at most half full. No object per
 * path and no Map that grows and shrinks entry by entry: the driver of Fork-Join creation, which
 * writes once to each of 40,000 actors, spent 6 % of its worker's time on a Map of Count objects
 * (set, delete, the sweep) and 190 B an actor on the Map's tables and the Counts (V8's sampling
 * heap profiler).
 *
 * A key is `thread * 2^32 + id` (pathKey); -1 marks a free slot. The methods on the hot
 * path take the thread and the id apart: a key is past the small integers, and passed to a call
 * V8 does not inline it is boxed, 16 B a call (three calls a send).
 */

/** A path key's unit of thread: ids are below it. */
export const THREAD_UNIT = 0x100000000;

/** The key of a path's target: its thread and its actor id. */
export function pathKey(thread: number, id: number): number {
  return thread * THREAD_UNIT + id;
}

/** The thread of a path key. */
export function pathThread(key: number): number {
  return Math.floor(key / THREAD_UNIT);
}

const FREE = -1;
/** The smallest table (slots); a table sweep leaves is at least this. */
const MIN_SLOTS = 64;

export class PathTable {
  private keys: Float64Array;
  private counts: Int32Array;
  private marks: Int32Array;
  private mask: number;
  /** log2 of the slots, for the hash's top bits. */
  private bits: number;
  size = 0;

  constructor(slots = MIN_SLOTS) {
    this.bits = Math.max(Math.log2(MIN_SLOTS), Math.ceil(Math.log2(slots)));
    const n = 1 << this.bits;
    this.keys = new Float64Array(n).fill(FREE);
    this.counts = new Int32Array(n);
    this.marks = new Int32Array(n);
    this.mask = n - 1;
  }

  /** The slot of the path to actor `id` of `thread`, or -1; valid until the next `insert` or `removeAt`. */
  slotOf(thread: number, id: number): number {
    const keys = this.keys;
    const key = pathKey(thread, id);
    for (let i = this.home(thread, id); ; i = (i + 1) & this.mask) {
      const k = keys[i]!;
      if (k === key) return i;
      if (k === FREE) return -1;
    }
  }

  count(slot: number): number {
    return this.counts[slot]!;
  }

  mark(slot: number): number {
    return this.marks[slot]!;
  }

  setCount(slot: number, n: number): void {
    this.counts[slot] = n;
  }

  /** Adds the path to actor `id` of `thread` (not in the table) with its count and mark; returns its slot. */
  insert(thread: number, id: number, count: number, mark: number): number {
    if ((this.size + 1) * 2 > this.mask + 1) this.resize(this.bits + 1);
    const keys = this.keys;
    let i = this.home(thread, id);
    while (keys[i] !== FREE) i = (i + 1) & this.mask;
    keys[i] = pathKey(thread, id);
    this.counts[i] = count;
    this.marks[i] = mark;
    this.size++;
    return i;
  }

  /**
   * Frees `slot`, moving back the entries after it that its place would otherwise cut off from
   * their home slot (deletion without tombstones, for linear probing).
   */
  removeAt(slot: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let hole = slot;
    for (let i = (slot + 1) & mask; keys[i] !== FREE; i = (i + 1) & mask) {
      const home = this.homeOf(keys[i]!);
      // The entry at i may move into the hole if its home is not within (hole, i], cyclically.
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        keys[hole] = keys[i]!;
        this.counts[hole] = this.counts[i]!;
        this.marks[hole] = this.marks[i]!;
        hole = i;
      }
    }
    keys[hole] = FREE;
    this.size--;
  }

  /**
   * Keeps only the entries `keep` says yes to (count, mark, key), in a table sized for them
   * (at least MIN_SLOTS): a sweep, or a thread's paths dropped. Returns how many were dropped.
   */
  retain(keep: (count: number, mark: number, key: number) => boolean): number {
    const { keys, counts, marks } = this;
    let kept = 0;
    for (let i = 0; i <= this.mask; i++) if (keys[i] !== FREE && keep(counts[i]!, marks[i]!, keys[i]!)) kept++;
    const dropped = this.size - kept;
    if (dropped === 0) return 0;
    const bits = Math.max(Math.log2(MIN_SLOTS), Math.ceil(Math.log2(kept * 2 + 1)));
    this.rebuild(Math.min(bits, this.bits), keep);
    return dropped;
  }

  /** Calls `fn` with each entry (key, count, mark). Do not change the table from `fn`. */
  forEach(fn: (key: number, count: number, mark: number) => void): void {
    const { keys, counts, marks } = this;
    for (let i = 0; i <= this.mask; i++) if (keys[i] !== FREE) fn(keys[i]!, counts[i]!, marks[i]!);
  }

  /** The home slot of a path: Fibonacci hashing of its id mixed with its thread, top bits. */
  private home(thread: number, id: number): number {
    return Math.imul(id ^ Math.imul(thread, 0x27d4eb2d), 0x9e3779b1) >>> (32 - this.bits);
  }

  private homeOf(key: number): number {
    const thread = pathThread(key);
    return this.home(thread, key - thread * THREAD_UNIT);
  }

  private resize(bits: number): void {
    this.rebuild(bits, null);
  }

  /** Re-inserts the entries (those `keep` says yes to, or all) into a table of 2^bits slots. */
  private rebuild(bits: number, keep: ((count: number, mark: number, key: number) => boolean) | null): void {
    const { keys, counts, marks } = this;
    const n = 1 << bits;
    this.bits = bits;
    this.mask = n - 1;
    this.keys = new Float64Array(n).fill(FREE);
    this.counts = new Int32Array(n);
    this.marks = new Int32Array(n);
    this.size = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k === FREE || (keep !== null && !keep(counts[i]!, marks[i]!, k))) continue;
      const thread = pathThread(k);
      this.insert(thread, k - thread * THREAD_UNIT, counts[i]!, marks[i]!);
    }
  }
}
