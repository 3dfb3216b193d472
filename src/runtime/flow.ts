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

/** The key of a path's target: its thread and its actor id. */
export function pathKey(thread: number, id: number): number {
  return thread * 0x100000000 + id;
}

/**
 * The path to other nodes: a sender's messages for actors on other nodes (and for main's proxies
 * of them) that main's bridge has not yet handed to NATS. One per sender, whatever the node: the
 * outbox is what they wait in. Credit comes back when the outbox is done with a message
 * (published, or dead-lettered).
 */
export const OUTBOX_PATH = 0;

/** The thread of a path key. */
export function pathThread(key: number): number {
  return Math.floor(key / 0x100000000);
}

/** The quantum of credit for a mark: an eighth of it (at least 1). */
export function creditQuantum(mark: number): number {
  return Math.max(1, mark >>> 3);
}

type Waiter = { resolve: () => void; reject: (err: Error) => void };

/** `Paths.sent`'s answer, a bit set: the message asks for credit... */
export const ASKS_CREDIT = 1;
/** ... and the path is at or past its mark (`tell` returns false). */
export const AT_MARK = 2;

/** A busy path: its count, and its target's mark and quantum (fixed while the path is busy). */
interface Count { n: number; mark: number; quantum: number }

export class Paths {
  /**
   * Each busy path's count (an object, so that the last one used is found without hashing). Made
   * when a second path is busy at once: until then the one busy path is `last` (many actors only
   * ever send to one, their parent say).
   */
  private counts: Map<number, Count> | null = null;
  /** The path used last, and its count (a sender often writes to one target many times in a row). */
  private lastKey = -1;
  private last: Count | undefined = undefined;
  /** Sweep small counts when the table grows past this. */
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
    let c = this.find(key);
    if (c === undefined) {
      const m = mark === 0 ? this.mark : mark;
      c = { n: 0, mark: m, quantum: creditQuantum(m) };
      if (this.counts !== null) this.counts.set(key, c);
      else if (this.last !== undefined) this.counts = new Map([[this.lastKey, this.last], [key, c]]);
      this.lastKey = key;
      this.last = c;
    }
    const n = ++c.n;
    const credit = n % c.quantum === 0 ? ASKS_CREDIT : 0;
    if (n < c.mark) {
      if (n === 1 && this.counts !== null && this.counts.size > this.sweepAt) this.sweep();
      return credit;
    }
    if (n === c.mark) this.overMark++;
    return credit | AT_MARK;
  }

  /** Takes back the last `sent(key)`: its message could not be sent. */
  unsent(key: number): void {
    const c = this.find(key);
    if (c === undefined) return;
    const n = --c.n;
    if (n === c.mark - 1) { this.overMark--; this.wake(key); }
    if (n <= 0) this.drop(key);
  }

  /** Unprocessed messages to `key`, as far as this sender knows. */
  count(key: number): number {
    return this.find(key)?.n ?? 0;
  }

  /**
   * The receiver took (or dead-lettered) a message that asked for credit: the quantum up to it is
   * done. Returns true when this brought the path below the mark.
   */
  credit(key: number): boolean {
    const c = this.find(key);
    if (c === undefined) return false; // reset meanwhile (its worker died)
    const was = c.n;
    const n = c.n = was - c.quantum;
    if (n <= 0) this.drop(key);
    if (was >= c.mark && n < c.mark) {
      this.overMark--;
      this.wake(key);
      return true;
    }
    return false;
  }

  /** Resolves when the path is below the mark (at once if it is). */
  ready(key: number): Promise<void> {
    const c = this.find(key);
    if (c === undefined || c.n < c.mark) return Promise.resolve();
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
    const counts = this.counts ?? (this.last !== undefined ? [[this.lastKey, this.last] as const] : []);
    for (const [key, c] of counts) {
      if (pathThread(key) !== thread) continue;
      this.drop(key);
      if (c.n >= c.mark) { this.overMark--; this.wake(key); freed = true; }
    }
    return freed;
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

  private find(key: number): Count | undefined {
    if (key === this.lastKey) return this.last;
    if (this.counts === null) return undefined;
    const c = this.counts.get(key);
    if (c !== undefined) { this.lastKey = key; this.last = c; }
    return c;
  }

  private drop(key: number): void {
    this.counts?.delete(key);
    if (key === this.lastKey) { this.lastKey = -1; this.last = undefined; }
  }

  /** Forgets counts below the quantum (see the file's note). */
  private sweep(): void {
    const counts = this.counts!;
    for (const [key, c] of counts) if (c.n < c.quantum) this.drop(key);
    this.sweepAt = Math.max(1024, counts.size * 2);
  }
}

function systemStopped(): Error {
  return new TroupeError('ERR_TROUPE_SYSTEM_STOPPED', 'the actor system stopped');
}
