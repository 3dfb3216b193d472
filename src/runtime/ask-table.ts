/**
 * A thread's pending asks, by correlation id: the timeout, the AbortSignal, and what to do with
 * the reply. A reply that finds no pending ask (it timed out, or was aborted) is dead-lettered
 * `late-reply`; every reply is counted as processed or dead-lettered, so conservation holds.
 */
import { AskTimeoutError, TroupeError, fromWireError, type WireError } from '../actors/errors.js';
import type { AskOptions } from '../actors/ref.js';
import { checkAskOptions } from '../actors/send-options.js';
import { K_REPLY, S_DEAD_LETTERED, S_NEXT_CORR, S_PROCESSED } from './constants.js';
import type { DeadLetterReason } from '../actors/dead-letter-reasons.js';

export const DEFAULT_ASK_TIMEOUT_MS = 5000;
/** Correlation ids reserved in shared memory at a time (see S_NEXT_CORR). */
const CORR_BLOCK = 4096;
const MAX_CORR = 0xfffffffe;

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /** undefined: no timeout (timeoutMs Infinity). */
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class AskTable {
  private readonly pending = new Map<number, Pending>();
  private next: number;
  /** Ids below this are reserved in S_NEXT_CORR: a replacement thread starts there, so a late
   * reply to its predecessor's ask never settles one of its own. */
  private reserved: number;

  constructor(
    private readonly stats: Float64Array,
    private readonly deadLetter: (reason: DeadLetterReason, corr: number, value: unknown) => void,
  ) {
    const start = stats[S_NEXT_CORR]!;
    this.next = start >= 1 && start < MAX_CORR - CORR_BLOCK ? start : 1;
    this.reserved = this.next;
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * Opens an ask. `corr` is 0 when the ask already failed: bad options (every one is checked
   * here, before any timer or listener exists, so a bad one can only reject this promise) or a
   * signal already aborted. `timeoutMs: Infinity` waits for the reply for as long as it takes.
   */
  open(target: string, options: AskOptions | undefined): { corr: number; promise: Promise<unknown> } {
    let timeoutMs: number;
    try {
      timeoutMs = checkAskOptions(options, DEFAULT_ASK_TIMEOUT_MS);
    } catch (err) {
      return { corr: 0, promise: Promise.reject(err) };
    }
    const signal = options?.signal;
    if (signal?.aborted) return { corr: 0, promise: Promise.reject(aborted(target, signal)) };
    let corr = this.next;
    this.next = this.next >= MAX_CORR ? 1 : this.next + 1;
    if (this.next >= this.reserved || this.next === 1) {
      this.reserved = Math.min(MAX_CORR, this.next + CORR_BLOCK);
      this.stats[S_NEXT_CORR] = this.reserved;
    }
    while (this.pending.has(corr)) corr++;
    const promise = new Promise<unknown>((resolve, reject) => {
      const timer = timeoutMs === Infinity ? undefined : setTimeout(() => {
        this.pending.delete(corr);
        if (p.onAbort) signal!.removeEventListener('abort', p.onAbort);
        reject(new AskTimeoutError(target, timeoutMs));
      }, timeoutMs);
      const p: Pending = { resolve, reject, timer, signal, onAbort: undefined };
      if (signal) {
        p.onAbort = () => {
          this.pending.delete(corr);
          clearTimeout(timer);
          reject(aborted(target, signal));
        };
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.pending.set(corr, p);
    });
    return { corr, promise };
  }

  /** A reply (K_REPLY: the value; K_REPLY_ERROR: a WireError) for `corr`. */
  settle(corr: number, kind: number, value: unknown): void {
    const p = this.pending.get(corr);
    if (p === undefined) {
      this.stats[S_DEAD_LETTERED]!++;
      this.deadLetter('late-reply', corr, value);
      return;
    }
    this.pending.delete(corr);
    clearTimeout(p.timer);
    if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort);
    this.stats[S_PROCESSED]!++;
    if (kind === K_REPLY) p.resolve(value);
    else p.reject(fromWireError(value as WireError));
  }

  /** The send failed before anything was queued (e.g. an unencodable message). */
  fail(corr: number, err: unknown): void {
    const p = this.pending.get(corr);
    if (!p) return;
    this.pending.delete(corr);
    clearTimeout(p.timer);
    if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort);
    p.reject(err);
  }

  /** Rejects everything pending (the thread is closing). */
  closeAll(): void {
    for (const corr of [...this.pending.keys()]) {
      this.fail(corr, new TroupeError('ERR_TROUPE_SYSTEM_STOPPED', 'the actor system stopped before the reply came'));
    }
  }
}

function aborted(target: string, signal: AbortSignal): TroupeError {
  return new TroupeError('ERR_TROUPE_ASK_ABORTED', `ask to ${target} was aborted`, { cause: signal.reason });
}
