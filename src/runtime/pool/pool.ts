/**
 * Pool actors (`system.spawnPool`): a stateless actor whose messages run as ordinary piscina
 * tasks on threads of the pool's own, never the host workers' (Akka's pool router, Orleans'
 * stateless worker). This file owns the pool's face on main: its queue, the count of every
 * message (conservation), and what a caller gets back. The threads and their deadlines are
 * PoolThreads' (pool-threads.ts); the worker side is pool-worker.ts.
 */
import type { ResourceLimits } from 'node:worker_threads';
import { AskTimeoutError, MailboxFullError, TroupeError, fromWireError, invalidArgument, toWireError } from '../../actors/errors.js';
import type { AskOptions } from '../../actors/ref.js';
import { DEFAULT_ASK_TIMEOUT_MS } from '../ask-table.js';
import { PoolThreads, type PoolLimits, type PoolReports } from './pool-threads.js';
import { checkResourceLimits } from '../worker-limits.js';
import { S_DEAD_LETTERED, S_PROCESSED, S_QUEUED, S_SENT } from '../constants.js';
import type { DeadLetterWire } from '../protocol.js';

/** A pool's threads are its own: at most this many. */
const MAX_SIZE = 64;
/** setTimeout's range: a longer finite timeout would fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface PoolOptions {
  /**
   * Messages running at once, each on a thread of the pool's own: the pool starts one thread at
   * spawnPool and more as messages need them, up to `size` (1 to 64). Default 4.
   */
  size?: number;
  /** Passed to init(), once per thread of the pool (a replacement thread runs init again). */
  args?: unknown;
  /**
   * Messages waiting for a free slot before new ones are dead-lettered `pool-full`. Default: no
   * bound (Infinity): nothing is dropped, and `tell` returns false past the system's
   * `mailbox.highWaterMark` instead (`await pool.ready()` waits for room).
   */
  capacity?: number;
  /** In logs, events, dead letters (`pool:<name>`) and health. Default `pool-<n>`. */
  name?: string;
  /** Each of the pool's threads' limits (heap size, ...); past them a thread dies alone. Default: Node's, but a larger young generation (worker-limits.ts). */
  resourceLimits?: ResourceLimits;
}

/** The system's settings a pool runs under. @internal */
export type PoolSettings = Omit<PoolLimits, 'threads' | 'resourceLimits'> & { logLevel: string; highWaterMark: number };

/** What a pool needs from its system. @internal */
export interface PoolSystem extends PoolReports {
  /** main's counters (sent, processed, dead-lettered, queued). */
  stats: Float64Array;
  deadLetter(entry: DeadLetterWire): void;
  /** Whether the system takes mail (false from the moment shutdown starts). */
  running(): boolean;
}

interface Waiting { msg: unknown; resolve?: (v: unknown) => void; reject?: (e: unknown) => void }

/**
 * A pool actor's ref, on main (it does not travel in messages). Messages are structured-cloned
 * to the pool's threads, so refs inside them arrive as plain data.
 *
 * Faults: a message whose handler runs past the system's `maxHandlerMs` has its thread terminated
 * (ERR_TROUPE_HANDLER_TIMEOUT); one whose thread dies rejects with ERR_TROUPE_WORKER_FAILED; a
 * new thread that cannot load the module and run init within `controlTimeoutMs` fails its message
 * with ERR_TROUPE_INIT_TIMEOUT. Each such message is dead-lettered `actor-failed` with the error
 * and never retried; no host worker's actor is touched.
 */
export class PoolRef {
  readonly name: string;
  readonly size: number;
  private readonly capacity: number;
  private readonly args: unknown;
  private readonly threads: PoolThreads;
  private readonly logLevel: string;
  private running = 0;
  private readonly queue: Waiting[] = [];
  private closed = false;
  private drainWaiters: (() => void)[] = [];
  /** Waiting messages past which `tell` returns false (the system's high-water mark). */
  private readonly mark: number;
  private readyWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  /** Messages run, and of them failed (observability). */
  private handled = 0;
  private failed = 0;

  /** @internal use system.spawnPool(). */
  constructor(
    private readonly url: string,
    name: string,
    options: PoolOptions,
    settings: PoolSettings,
    private readonly system: PoolSystem,
  ) {
    const size = options.size ?? 4;
    if (!Number.isInteger(size) || size < 1 || size > MAX_SIZE) throw invalidArgument('size', `an integer from 1 to ${MAX_SIZE}`, size);
    const capacity = options.capacity ?? Infinity;
    if ((!Number.isInteger(capacity) || capacity < 1) && capacity !== Infinity) {
      throw invalidArgument('capacity', 'a positive integer (or Infinity: no bound, the default)', capacity);
    }
    this.mark = settings.highWaterMark;
    const limits = options.resourceLimits;
    if (limits !== undefined) checkResourceLimits('resourceLimits', limits);
    this.name = name;
    this.size = size;
    this.capacity = capacity;
    this.args = options.args;
    this.logLevel = settings.logLevel;
    this.threads = new PoolThreads(name, { ...settings, threads: size, resourceLimits: options.resourceLimits }, system);
  }

  /**
   * Runs the message on one of the pool's threads; its outcome is dropped (a failure is
   * dead-lettered). Throws ERR_TROUPE_SYSTEM_STOPPED once the system is shutting down. Returns
   * false once the messages waiting for a thread reach the high-water mark: this one waits too
   * (with a `capacity`, past it it is dead-lettered `pool-full`); `await pool.ready()` before more.
   */
  tell(msg: unknown): boolean {
    if (!this.open()) throw stopped(this.name);
    this.enqueue({ msg });
    return this.queue.length < this.mark;
  }

  /**
   * Resolves when fewer messages than the high-water mark wait for a thread (at once if so);
   * rejects with ERR_TROUPE_SYSTEM_STOPPED when the system shuts down first.
   */
  ready(): Promise<void> {
    if (!this.open()) return Promise.reject(stopped(this.name));
    if (this.queue.length < this.mark) return Promise.resolve();
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /**
   * Runs the message on one of the pool's threads and resolves with what its handler passed to
   * ctx.reply, or rejects with the handler's own error, or a TroupeError: ERR_TROUPE_ASK_TIMEOUT
   * after `timeoutMs` (default 5 000; `Infinity`: none), ERR_TROUPE_ASK_ABORTED when `signal`
   * fires, ERR_TROUPE_MAILBOX_FULL when `capacity` messages wait, and the fault codes in the class
   * doc. A timed-out or aborted ask's message still runs; its reply is dropped.
   */
  ask<R = unknown>(msg: unknown, options?: AskOptions): Promise<R> {
    const timeoutMs = options?.timeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || (timeoutMs > MAX_TIMEOUT_MS && timeoutMs !== Infinity)) {
      return Promise.reject(invalidArgument('timeoutMs', 'a positive number of milliseconds (up to 2^31 - 1), or Infinity', timeoutMs));
    }
    const signal = options?.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) return Promise.reject(invalidArgument('signal', 'an AbortSignal', signal));
    if (!this.open()) return Promise.reject(stopped(this.name));
    if (signal?.aborted) return Promise.reject(aborted(this.name, signal));
    return new Promise<R>((resolve, reject) => {
      const timer = timeoutMs === Infinity ? undefined
        : setTimeout(() => settle(() => reject(new AskTimeoutError(`pool ${this.name}`, timeoutMs))), timeoutMs);
      const onAbort = () => settle(() => reject(aborted(this.name, signal!)));
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.enqueue({ msg, resolve: (v) => settle(() => resolve(v as R)), reject: (e) => settle(() => reject(e)) });
    });
  }

  private open(): boolean {
    return !this.closed && this.system.running();
  }

  private enqueue(w: Waiting): void {
    const stats = this.system.stats;
    stats[S_SENT]!++;
    if (this.queue.length >= this.capacity) {
      stats[S_DEAD_LETTERED]!++;
      this.system.deadLetter({ reason: 'pool-full', target: this.target, sender: null, message: w.msg, time: Date.now() });
      w.reject?.(new MailboxFullError(this.target, this.capacity));
      return;
    }
    stats[S_QUEUED]!++;
    this.queue.push(w);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.size && this.queue.length > 0 && !this.closed) {
      const w = this.queue.shift()!;
      if (this.queue.length < this.mark && this.readyWaiters.length > 0) for (const r of this.readyWaiters.splice(0)) r.resolve();
      this.running++;
      // Counted before its asker hears: the counts balance when the ask settles.
      this.run(w.msg, false).then(
        (v) => { const stats = this.system.stats; stats[S_QUEUED]!--; stats[S_PROCESSED]!++; this.handled++; w.resolve?.(v); },
        (err) => {
          this.system.stats[S_QUEUED]!--;
          this.handled++;
          this.failed++;
          // Stopped by shutdown, or failed: either way counted, and never retried.
          const reason = (err as TroupeError).code === 'ERR_TROUPE_SYSTEM_STOPPED' ? 'actor-stopped' : 'actor-failed';
          this.deadLetter(w, reason, err);
        },
      ).finally(() => {
        this.running--;
        this.pump();
        if (this.running === 0 && this.queue.length === 0) for (const fn of this.drainWaiters.splice(0)) fn();
      });
    }
  }

  /** @internal what observability shows of it: messages waiting for a thread, running, run, failed. */
  observed(): { waiting: number; running: number; handled: number; failed: number } {
    return { waiting: this.queue.length, running: this.running, handled: this.handled, failed: this.failed };
  }

  private get target(): string {
    return `pool:${this.name}`;
  }

  private deadLetter(w: Waiting, reason: 'actor-failed' | 'actor-stopped', err: unknown): void {
    this.system.stats[S_DEAD_LETTERED]!++;
    this.system.deadLetter({ reason, target: this.target, sender: null, message: w.msg, error: toWireError(err), time: Date.now() });
    w.reject?.(err);
  }

  /**
   * @internal loads the module and runs init on the pool's first thread, within controlTimeoutMs:
   * spawnPool fails early (and the threads end) if either fails.
   */
  async start(): Promise<void> {
    try {
      await this.run(undefined, true);
    } catch (err) {
      await this.threads.close(0);
      throw err;
    }
  }

  /** @internal adds what health() should say about this pool now (see SystemHealth). */
  judge(since: number, critical: string[], degraded: string[]): void {
    this.threads.judge(since, critical, degraded);
  }

  /** @internal resolves once nothing is queued or running. */
  drained(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * @internal takes no more mail; what still waits is dead-lettered `actor-stopped` (its asks
   * reject with ERR_TROUPE_SYSTEM_STOPPED), as is what runs when the threads end.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    for (const r of this.readyWaiters.splice(0)) r.reject(stopped(this.name));
    for (const w of this.queue.splice(0)) {
      this.system.stats[S_QUEUED]!--;
      this.deadLetter(w, 'actor-stopped', stopped(this.name));
    }
    await this.threads.close(timeoutMs);
  }

  private async run(msg: unknown, probe: boolean): Promise<unknown> {
    const r = await this.threads.run({ pool: this.name, url: this.url, args: this.args, msg, logLevel: this.logLevel, ...(probe ? { probe } : {}) });
    if (!r.ok) throw fromWireError(r.error);
    return r.value;
  }
}

function stopped(pool: string): TroupeError {
  return new TroupeError('ERR_TROUPE_SYSTEM_STOPPED', `the actor system is shutting down or stopped: pool ${pool} takes no more mail`);
}

function aborted(pool: string, signal: AbortSignal): TroupeError {
  return new TroupeError('ERR_TROUPE_ASK_ABORTED', `ask to pool ${pool} was aborted`, { cause: signal.reason });
}
