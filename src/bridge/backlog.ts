/**
 * Mail held for exposed names that are not exposed here yet. A node that restarts reads the mail
 * sent to its previous run before its actors are spawned again; mail for an earlier run goes by
 * name (runs.ts), and its name may come a moment later. Such mail is held, in the order it came:
 * neither acked nor nak'd (JetStream keeps it in progress; the owner calls `working()` on
 * `newest()`), so it keeps its deliveries and its order, and it goes to the actor the moment its
 * name is exposed (`take`). `graceMs` after this node started reading its stream, what is still
 * held is let go (`onExpired`: then dead-lettered `not-exposed`).
 *
 * At most MAX_HELD messages are held, so that the consumer (max_ack_pending 1024) keeps room for
 * the rest of the traffic; past it (`full`), the owner naks mail for a missing name with a delay.
 */
import type { Incoming } from './incoming.js';

/** Messages held at most (half the consumer's max_ack_pending). */
export const MAX_HELD = 512;

export class Backlog {
  /** By name: each held message's deliveries (a redelivery joins the first), oldest message first. */
  private readonly byName = new Map<string, Map<string, Incoming[]>>();
  private count = 0;
  private nextKey = 0;
  private startedAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly graceMs: number, private readonly onExpired: (deliveries: Incoming[]) => void) {}

  /** This node started reading its stream: the grace runs from now (once). */
  start(): void {
    if (this.startedAt === 0) this.startedAt = Date.now();
  }

  /** Within the grace (or not started yet): mail for a missing name is held, not dead-lettered. */
  get open(): boolean {
    return this.startedAt === 0 || Date.now() < this.startedAt + this.graceMs;
  }

  /** What is left of the grace (ms). */
  get remainingMs(): number {
    return this.startedAt === 0 ? this.graceMs : Math.max(0, this.startedAt + this.graceMs - Date.now());
  }

  get full(): boolean {
    return this.count >= MAX_HELD;
  }

  /** Holds `m` for `name`; `key`: its dedupe key (a redelivery of a held message joins it), or null. */
  hold(name: string, key: string | null, m: Incoming): void {
    let messages = this.byName.get(name);
    if (messages === undefined) this.byName.set(name, (messages = new Map()));
    const k = key ?? `#${++this.nextKey}`;
    const deliveries = messages.get(k);
    if (deliveries !== undefined) {
      deliveries.push(m);
      return;
    }
    messages.set(k, [m]);
    this.count++;
    if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        for (const d of this.drain()) this.onExpired(d);
      }, this.remainingMs + 1);
      this.timer.unref();
    }
  }

  /** Everything held for `name`, oldest first (its name was just exposed). */
  take(name: string): Incoming[][] {
    const messages = this.byName.get(name);
    if (messages === undefined) return [];
    this.byName.delete(name);
    this.count -= messages.size;
    return [...messages.values()];
  }

  /** Everything held (the grace is over, or the node stops). */
  drain(): Incoming[][] {
    const all: Incoming[][] = [];
    for (const messages of this.byName.values()) all.push(...messages.values());
    this.byName.clear();
    this.count = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return all;
  }

  /** The delivery of each held message that its stream waits on. */
  *newest(): Iterable<Incoming> {
    for (const messages of this.byName.values()) for (const d of messages.values()) yield d[d.length - 1]!;
  }
}
