/**
 * The outbox's queue (outbox.ts): a FIFO with O(1) shift and unshift, and a way to put a failed
 * publish back in its place.
 */
/** A FIFO with O(1) shift and unshift (Array.shift copies: O(n) per call on a long outbox). */
export class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(v: T): void {
    this.items.push(v);
  }

  peek(): T {
    return this.items[this.head]!;
  }

  shift(): T {
    const v = this.items[this.head]!;
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  /** Puts a failed publish back where it was: among those put back before it, by `seq`. */
  putBack(this: Queue<T & { seq: number }>, v: T & { seq: number }): void {
    if (this.head > 0) this.items[--this.head] = v;
    else this.items.unshift(v);
    // A window of publishes fails in any order: restore theirs (a short walk: at most the window).
    for (let i = this.head; i + 1 < this.items.length && this.items[i]!.seq > this.items[i + 1]!.seq; i++) {
      const t = this.items[i]!;
      this.items[i] = this.items[i + 1];
      this.items[i + 1] = t;
    }
  }
}
