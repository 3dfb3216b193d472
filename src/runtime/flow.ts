/**
 * Flow control, the sender's side: how many of one sender's messages to one target are not yet
 * processed, per target (a path). Past the high-water mark the sender is slowed, never the
 * message dropped: `tell` returns false, an actor is not scheduled again until the path drains
 * (as Pony mutes a sender), and `ref.ready()` waits for it.
 *
 * Counting costs the receiver nothing per message: every `quantum`-th message of a path carries
 * a credit flag (F_CREDIT), and its receiver hands back one credit of `quantum` when it takes
 * that message to run, or dead-letters it (a K_CREDIT record, or a call on the same thread).
 * Mail to one target is taken in the order it was sent, so that credit means the `quantum`
 * messages up to it are done. The count is exact while a receiver takes nothing (a stuck or slow
 * one, which is what the mark is for), and otherwise over by less than `quantum`.
 *
 * A count of less than `quantum` may be forgotten (sweep): it cannot hold a sender back (the
 * quantum is at most the mark), and no credit is owed for it. So the table keeps only busy paths.
 *
 * The mark is the system's (`mailbox.highWaterMark`), or the target's own (its spawn option
 * `mailbox.highWaterMark`, which its refs carry): a path takes it when it becomes busy.
 */
import { TroupeError } from '../actors/errors.js';
import { PathTable, THREAD_UNIT, pathKey, pathThread } from './path-table.js';

export { pathKey, pathThread } from './path-table.js';

/**
 * The path to other nodes: a sender's messages for actors on other nodes (and for main's proxies
 * of them) that main's bridge has not yet handed to NATS. One per sender, whatever the node: the
 * outbox is what they wait in. Credit comes back when the outbox is done with a message
 * (published, or dead-lettered).
 */
export const OUTBOX_PATH = 0;

/** The quantum of credit for a mark: an eighth of it (at least 1). */
export function creditQuantum(mark: number): number {
  return Math.max(1, mark >>> 3);
}

type Waiter = { resolve: () => void; reject: (err: Error) => void };

/** `Paths.sent`'s answer, a bit set: the message asks for credit... */
export const ASKS_CREDIT = 1;
/** ... and the path is at or past its mark (`tell` returns false). */
export const AT_MARK = 2;

/**
 * Busy paths kept in the small table, before the large one (path-table.ts). A sender rarely
 * writes to more than a few targets at once (an actor to its parent and its children, say): a
 * Paths with three busy paths took 470 B with a Map, Count objects and boxed keys, and takes 240
 * with the small table (measured, heap per object over 100,000). With one path it takes 164 B
 * against 141.
 */
const SMALL = 16;

export class Paths {
  /**
   * The busy paths while there are at most SMALL of them: [key, count, mark] triples of plain
   * numbers, `len` of them, in an array of doubles (no object per path, and no boxed key), found
   * by a scan. Grown by doubling, up to SMALL paths.
   */
  private t: number[] | null = null;
  private len = 0;
  /** The busy paths, once there were more than SMALL at once (for good): path-table.ts. */
  private big: PathTable | null = null;
  /** Sweep small counts when `big` holds this many. */
  private sweepAt = 1024;
  /** Paths at or past their mark now: the sender is held back while this is above 0. */
  overMark = 0;
  private waiters: Map<number, Waiter[]> | null = null;

  /** `mark`: the system's, for targets that have none of their own. */
  constructor(readonly mark: number) {}

  /**
   * One more message to `key`, an actor whose own mark is `mark` (0: the system's). Returns
   * ASKS_CREDIT when the message asks for credit (every quantum-th), and AT_MARK when the path
   * is at or past the mark.
   */
  sent(key: number, mark: number): number {
    const m0 = mark === 0 ? this.mark : mark;
    if (this.big === null) {
      let i = this.indexOf(key);
      if (i < 0) {
        if (this.len < SMALL) i = this.append(key, m0);
        else this.toBig();
      }
      if (i >= 0) {
        const t = this.t!;
        const n = t[i + 1] = t[i + 1]! + 1;
        return this.counted(n, t[i + 2]!);
      }
    }
    const big = this.big!;
    const thread = pathThread(key);
    const id = key - thread * THREAD_UNIT;
    let i = big.slotOf(thread, id);
    if (i < 0) {
      if (big.size >= this.sweepAt) this.sweep();
      i = big.insert(thread, id, 0, m0);
    }
    const n = big.count(i) + 1;
    big.setCount(i, n);
    return this.counted(n, big.mark(i));
  }

  /**
   * `sent` of the path to actor `id` of thread `thread`. Its key, a number past 2^31, is made
   * here: passed in from a call that is not inlined, it was a heap number (16 B) a message.
   */
  sentTo(thread: number, id: number, mark: number): number {
    return this.sent(pathKey(thread, id), mark);
  }

  /** What `sent` says of a path now at count `n`, of mark `mark`. */
  private counted(n: number, mark: number): number {
    const credit = n % creditQuantum(mark) === 0 ? ASKS_CREDIT : 0;
    if (n < mark) return credit;
    if (n === mark) this.overMark++;
    return credit | AT_MARK;
  }

  /** Takes back the last `sent(key)`: its message could not be sent. */
  unsent(key: number): void {
    const n = this.take(key, 1);
    if (n === NOT_BUSY) return;
    if (n === took.mark - 1) { this.overMark--; this.wake(key); }
  }

  /** Unprocessed messages to `key`, as far as this sender knows. */
  count(key: number): number {
    if (this.big === null) {
      const i = this.indexOf(key);
      return i < 0 ? 0 : this.t![i + 1]!;
    }
    const i = this.bigSlot(key);
    return i < 0 ? 0 : this.big.count(i);
  }

  /**
   * The receiver took (or dead-lettered) a message that asked for credit: the quantum up to it is
   * done. Returns true when this brought the path below the mark.
   */
  credit(key: number): boolean {
    const n = this.take(key, 0);
    if (n === NOT_BUSY) return false; // reset meanwhile (its worker died)
    const mark = took.mark;
    if (took.was >= mark && n < mark) {
      this.overMark--;
      this.wake(key);
      return true;
    }
    return false;
  }

  /**
   * Takes `by` (0: the quantum) off `key`'s count, and forgets the path when nothing is left.
   * Returns the new count (the path's mark and the count before are left in `took`), or
   * NOT_BUSY for a path not busy.
   */
  private take(key: number, by: number): number {
    let was: number;
    let mark: number;
    let n: number;
    if (this.big === null) {
      const i = this.indexOf(key);
      if (i < 0) return NOT_BUSY;
      const t = this.t!;
      was = t[i + 1]!;
      mark = t[i + 2]!;
      n = t[i + 1] = was - (by || creditQuantum(mark));
      if (n <= 0) this.removeAt(i);
    } else {
      const big = this.big;
      const i = this.bigSlot(key);
      if (i < 0) return NOT_BUSY;
      was = big.count(i);
      mark = big.mark(i);
      n = was - (by || creditQuantum(mark));
      if (n <= 0) big.removeAt(i); else big.setCount(i, n);
    }
    took.was = was;
    took.mark = mark;
    return n;
  }

  /** Resolves when the path is below the mark (at once if it is). */
  ready(key: number): Promise<void> {
    let n = 0;
    let mark = 1;
    if (this.big === null) {
      const i = this.indexOf(key);
      if (i >= 0) { n = this.t![i + 1]!; mark = this.t![i + 2]!; }
    } else {
      const i = this.bigSlot(key);
      if (i >= 0) { n = this.big.count(i); mark = this.big.mark(i); }
    }
    if (n < mark) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiters = (this.waiters ??= new Map());
      const list = waiters.get(key);
      if (list === undefined) waiters.set(key, [{ resolve, reject }]); else list.push({ resolve, reject });
    });
  }

  /**
   * Thread `thread` died: what was counted toward its actors is taken as done (a replacement
   * reads on what survived; what did not is dead-lettered there). Returns true if a path
   * dropped below the mark.
   */
  resetThread(thread: number): boolean {
    let freed = false;
    if (this.big === null) {
      const t = this.t;
      // Backwards: a removal moves the last path into the place of the one removed.
      for (let i = (this.len - 1) * 3; i >= 0; i -= 3) {
        const key = t![i]!;
        if (pathThread(key) !== thread) continue;
        const over = t![i + 1]! >= t![i + 2]!;
        this.removeAt(i);
        if (over) { this.overMark--; this.wake(key); freed = true; }
      }
      return freed;
    }
    const over: number[] = [];
    this.big.forEach((key, n, mark) => { if (pathThread(key) === thread && n >= mark) over.push(key); });
    this.big.retain((_n, _mark, key) => pathThread(key) !== thread);
    for (const key of over) { this.overMark--; this.wake(key); freed = true; }
    return freed;
  }

  /** Whether a `ready()` waits on one of its paths. */
  get waiting(): boolean {
    return this.waiters !== null;
  }

  /**
   * The system (or the actor that sends on these paths) stops: every waiter rejects with
   * `error()`, by default ERR_TROUPE_SYSTEM_STOPPED. Made only when someone waits: an error's
   * stack costs more than the rest of an actor's stop.
   */
  stop(error: () => Error = systemStopped): void {
    const waiters = this.waiters;
    this.waiters = null;
    if (waiters === null) return;
    const err = error();
    for (const list of waiters.values()) for (const w of list) w.reject(err);
  }

  private wake(key: number): void {
    const list = this.waiters?.get(key);
    if (list === undefined) return;
    this.waiters!.delete(key);
    for (const w of list) w.resolve();
  }

  /** The index of `key`'s triple in the small table, or -1. */
  private indexOf(key: number): number {
    const t = this.t;
    const end = this.len * 3;
    for (let i = 0; i < end; i += 3) if (t![i] === key) return i;
    return -1;
  }

  /** Adds a path with count 0 to the small table (which has room for SMALL); returns its index. */
  private append(key: number, mark: number): number {
    let t = this.t;
    const i = this.len * 3;
    if (t === null || i === t.length) {
      // Doubled, at its exact size (push would grow it by half again plus 16), as doubles from
      // the start (0.5), so that no store changes its kind.
      const grown = new Array<number>(t === null ? 3 : t.length * 2).fill(0.5);
      for (let k = 0; k < i; k++) grown[k] = t![k]!;
      this.t = t = grown;
    }
    t[i] = key;
    t[i + 1] = 0;
    t[i + 2] = mark;
    this.len++;
    return i;
  }

  /** Forgets the path at index `i` of the small table: the last path takes its place. */
  private removeAt(i: number): void {
    const t = this.t!;
    const last = (--this.len) * 3;
    if (i !== last) { t[i] = t[last]!; t[i + 1] = t[last + 1]!; t[i + 2] = t[last + 2]!; }
  }

  /** `key`'s slot in the large table, or -1. */
  private bigSlot(key: number): number {
    const thread = pathThread(key);
    return this.big!.slotOf(thread, key - thread * THREAD_UNIT);
  }

  /** More than SMALL paths at once: the small table moves into a PathTable. */
  private toBig(): void {
    const big = this.big = new PathTable(SMALL * 4);
    const t = this.t!;
    for (let i = 0; i < this.len * 3; i += 3) {
      const thread = pathThread(t[i]!);
      big.insert(thread, t[i]! - thread * THREAD_UNIT, t[i + 1]!, t[i + 2]!);
    }
    this.t = null;
    this.len = 0;
  }

  /** Forgets counts below the quantum (see the file's note). */
  private sweep(): void {
    const big = this.big!;
    big.retain((n, mark) => n >= creditQuantum(mark));
    this.sweepAt = Math.max(1024, big.size * 2);
  }
}

/** `take`'s answer for a path that is not busy (a count is never below -quantum). */
const NOT_BUSY = -(2 ** 40);
/** What `take` leaves besides the count (one thread, no reentry: no array per call). */
const took = { was: 0, mark: 0 };

function systemStopped(): Error {
  return new TroupeError('ERR_TROUPE_SYSTEM_STOPPED', 'the actor system stopped');
}
