/**
 * The system's dead letters, kept on main in a bounded store, with a count per reason that is
 * never trimmed. Every thread sends its dead letters here.
 *
 * Bounds (both options of createActorSystem):
 * - `deadLetterCapacity` (default 10 000): the newest entries are kept; older ones are counted,
 *   then dropped;
 * - `deadLetterBytes` (default 64 MiB): what the kept entries weigh, estimated (message-size.ts).
 *   A message estimated above 64 KiB is kept as a preview, `{ preview, bytes }`, and its entry
 *   says `trimmed: true`. Past the bound, the oldest messages still kept whole become previews,
 *   and if previews alone are too heavy (a bound of a few KiB), the oldest entries are dropped.
 *   `trimmed` counts the entries made previews; `count` and `counts()` stay exact.
 * Subscribers (`subscribe`, and the NATS DLQ stream, which is one) get every dead letter whole,
 * before any of this: only what stays in memory is trimmed.
 *
 * Reasons: actors/dead-letter-reasons.ts (the union), docs/dead-letters.md (what each means).
 */
import { TroupeError, fromWireError } from '../../actors/errors.js';
import { untraced } from '../../observability/traced.js';
import type { DeadLetterReason } from '../../actors/dead-letter-reasons.js';
import type { DeadLetterWire } from '../protocol.js';
import { estimateBytes, previewOf } from './message-size.js';

/** A message above this (estimated) is kept as a preview. */
export const MAX_WHOLE_MESSAGE_BYTES = 64 * 1024;
/** What an entry costs besides its message and strings (an estimate). */
const ENTRY_BYTES = 160;

/** A dead letter as the NATS DLQ stream keeps it (every node's): `system.deadLetters.stored()`. */
export interface StoredDeadLetter {
  /** Its sequence number in the stream. */
  seq: number;
  reason: string;
  target: string;
  sender: string | null;
  /** The node that dead-lettered it, and its run then (0: not recorded). */
  node: string;
  incarnation: number;
  /** The original message (undefined if it could not be decoded: see `raw`). */
  message: unknown;
  raw: Uint8Array;
  error?: { message: string; code?: string; category?: string; severity?: string };
  retries?: number;
  deliveries?: number;
  firstTime: number;
  lastTime: number;
}

/** Where dead letters are kept durably (the NATS DLQ stream), when the system has one. @internal */
export interface DeadLetterStore {
  list(filter: DeadLetterFilter): Promise<StoredDeadLetter[]>;
  replay(filter: DeadLetterFilter): Promise<{ replayed: number; skipped: number }>;
  purge(filter: DeadLetterFilter): Promise<number>;
}

/** What the store keeps of a message too large to keep whole. */
export interface DeadLetterPreview {
  /** util.inspect of the message on one line, cut to 1 024 characters (ending with '…' when cut). */
  preview: string;
  /** The message's estimated size (a lower bound for a message of more than 16 384 values). */
  bytes: number;
}

export interface DeadLetter {
  reason: DeadLetterReason;
  /** The target's path (or address, `@thread.id`, when the actor is gone). */
  target: string;
  sender: string | null;
  /** The message; in the store, a DeadLetterPreview when `trimmed` (subscribers always get it whole). */
  message: unknown;
  /** Set (true) when the store keeps only a preview of the message. */
  trimmed?: boolean;
  /** The error that made it a dead letter, rebuilt with its name, message and code. */
  error?: Error;
  /** For `actor-failed`: the error's category and severity, and how many retries it had. */
  category?: string;
  severity?: string;
  retries?: number;
  time: number;
}

export interface DeadLetterFilter {
  /** A DeadLetterReason (any other string matches nothing). */
  reason?: DeadLetterReason | (string & {});
  target?: string;
  since?: number;
  limit?: number;
}

export class DeadLetters {
  /** How many entries the store keeps (older ones are counted, then dropped). */
  readonly capacity: number;
  /** What the kept entries may weigh, estimated, in bytes. */
  readonly maxBytes: number;
  /** Kept entries from `head` on, oldest first; `sizes[i]` is entry i's estimated bytes. */
  private entries: (DeadLetter | undefined)[] = [];
  private sizes: number[] = [];
  private head = 0;
  /** Entries below this were already made previews or left whole because small (see shrink). */
  private scanned = 0;
  private keptBytes = 0;
  private trimmedCount = 0;
  private readonly byReason = new Map<string, number>();
  private readonly listeners = new Set<(d: DeadLetter) => void>();
  private total = 0;
  /** @internal set when the system has NATS. */
  store: DeadLetterStore | null = null;

  constructor(capacity: number, maxBytes = Number.MAX_SAFE_INTEGER) {
    this.capacity = capacity;
    this.maxBytes = maxBytes;
  }

  private durable(): DeadLetterStore {
    if (this.store === null) {
      throw new TroupeError('ERR_TROUPE_NODE_UNREACHABLE', 'dead letters are kept durably only with NATS: createActorSystem({ nats: { servers } }) or TROUPE_NATS_URL');
    }
    return this.store;
  }

  /** Dead letters in the DLQ stream (every node's, oldest first; `limit`, default 100, keeps the newest). Needs NATS. */
  stored(filter: DeadLetterFilter = {}): Promise<StoredDeadLetter[]> {
    return this.durable().list(filter);
  }

  /** Sends the matching stored dead letters back to their targets and removes them from the stream. Needs NATS. */
  replay(filter: DeadLetterFilter = {}): Promise<{ replayed: number; skipped: number }> {
    return this.durable().replay(filter);
  }

  /** Deletes the matching stored dead letters (all, with no filter); resolves with how many. Needs NATS. */
  purge(filter: DeadLetterFilter = {}): Promise<number> {
    return this.durable().purge(filter);
  }

  /** Dead letters received so far (all of them, not only those still kept). */
  get count(): number {
    return this.total;
  }

  /** Counts by reason, e.g. `{ 'mailbox-full': 3 }`. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.byReason);
  }

  /** Dead letters whose message the store keeps only as a preview (counted when made one). */
  get trimmed(): number {
    return this.trimmedCount;
  }

  /** What the kept entries weigh now, estimated, in bytes: at most `maxBytes`. */
  get bytes(): number {
    return this.keptBytes;
  }

  /** Kept entries that match, oldest first; `limit` keeps the newest ones. */
  list(filter: DeadLetterFilter = {}): DeadLetter[] {
    const out: DeadLetter[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const d = this.entries[i]!;
      if ((filter.reason === undefined || d.reason === filter.reason) &&
        (filter.target === undefined || d.target === filter.target) &&
        (filter.since === undefined || d.time >= filter.since)) out.push(d);
    }
    return filter.limit !== undefined && out.length > filter.limit ? out.slice(out.length - filter.limit) : out;
  }

  /** Calls `fn` for every new dead letter, with its message whole; returns the unsubscribe function. */
  subscribe(fn: (d: DeadLetter) => void): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  /** @internal */
  add(w: DeadLetterWire): void {
    const d: DeadLetter = { reason: w.reason, target: w.target, sender: w.sender, message: untraced(w.message), time: w.time };
    if (w.error) d.error = fromWireError(w.error);
    if (w.category !== undefined) d.category = w.category;
    if (w.severity !== undefined) d.severity = w.severity;
    if (w.retries !== undefined) d.retries = w.retries;
    this.total++;
    this.byReason.set(d.reason, (this.byReason.get(d.reason) ?? 0) + 1);
    if (this.capacity > 0) this.keep(d);
    for (const fn of this.listeners) {
      try { fn(d); } catch { /* a listener's bug must not lose the next dead letter */ }
    }
  }

  /** Keeps `d` (or a preview of it: a copy, so subscribers still get it whole), within both bounds. */
  private keep(d: DeadLetter): void {
    const messageBytes = estimateBytes(d.message);
    const kept = messageBytes > MAX_WHOLE_MESSAGE_BYTES ? this.previewed(d, messageBytes) : d;
    const size = entryBytes(kept, kept === d ? messageBytes : previewBytes(kept));
    this.entries.push(kept);
    this.sizes.push(size);
    this.keptBytes += size;
    if (this.entries.length - this.head > this.capacity) this.dropOldest();
    if (this.keptBytes > this.maxBytes) this.shrink();
    // Compact in bulk: one splice per many drops, not one per entry.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.scanned = Math.max(0, this.scanned - this.head);
      this.head = 0;
    }
  }

  private previewed(d: DeadLetter, messageBytes: number): DeadLetter {
    this.trimmedCount++;
    const preview: DeadLetterPreview = { preview: previewOf(d.message), bytes: messageBytes };
    return { ...d, message: preview, trimmed: true };
  }

  /**
   * Over `maxBytes`: the oldest messages kept whole become previews (those above a preview's
   * size: a small message is no lighter as one), then, if that is not enough, the oldest entries go.
   */
  private shrink(): void {
    if (this.scanned < this.head) this.scanned = this.head;
    while (this.keptBytes > this.maxBytes && this.scanned < this.entries.length) {
      const i = this.scanned++;
      const d = this.entries[i]!;
      if (d.trimmed) continue;
      const messageBytes = this.sizes[i]! - entryBytes(d, 0);
      if (messageBytes <= 2 * PREVIEW_BYTES) continue;
      const p = this.previewed(d, messageBytes);
      const size = entryBytes(p, previewBytes(p));
      this.entries[i] = p;
      this.keptBytes += size - this.sizes[i]!;
      this.sizes[i] = size;
    }
    while (this.keptBytes > this.maxBytes && this.head < this.entries.length) this.dropOldest();
  }

  private dropOldest(): void {
    this.keptBytes -= this.sizes[this.head]!;
    this.entries[this.head] = undefined; // let it be collected now
    this.head++;
  }
}

/** About what a preview costs: its text and its object. */
const PREVIEW_BYTES = 1024 + 64;

function previewBytes(d: DeadLetter): number {
  return 64 + (d.message as DeadLetterPreview).preview.length;
}

/** An entry's estimated bytes, given its message's. */
function entryBytes(d: DeadLetter, messageBytes: number): number {
  let n = ENTRY_BYTES + messageBytes + d.target.length + (d.sender?.length ?? 0);
  if (d.error) n += d.error.message.length + (d.error.stack?.length ?? 0);
  return n;
}
