/**
 * The threads of one pool actor, on main: a piscina of its own (never the hosts' workers), one
 * message per thread at a time, and the deadlines that bound each message. Owns what can go wrong
 * below the handler — a deadline passed, a worker that died, one that would not die — and turns
 * each into a TroupeError with a code, a supervision event, and a fact for health().
 *
 * Deadlines. A message is bounded by `controlTimeoutMs` until its handler starts (a worker
 * starting, the module loading, init running on a new worker) and by `maxHandlerMs` from then on
 * (0: no bound). The worker says when the handler starts (PoolProgress), so a slow init on a
 * replacement worker is never a handler timeout. Past a deadline the task's AbortSignal fires:
 * piscina rejects it at once and terminates its worker (only that one: it runs nothing else), and
 * makes a new one when a message needs it.
 */
import { Piscina } from 'piscina';
import type { ResourceLimits, Worker } from 'node:worker_threads';
import { workerLimits } from '../worker-limits.js';
import type { Logger } from 'pino';
import { TroupeError, toWireError } from '../../actors/errors.js';
import type { SupervisionEvent } from '../../supervision/events.js';
import type { PoolProgress, PoolResult, PoolTask } from '../protocol.js';

const POOL_WORKER = new URL('./pool-worker.js', import.meta.url);

export interface PoolLimits {
  /** Threads at most, which is also messages running at once. */
  threads: number;
  /** A handler's deadline; 0: none (the watchdog is off). */
  maxHandlerMs: number;
  /** The deadline before a handler starts (worker start, module load, init). */
  controlTimeoutMs: number;
  /** How long a terminated worker may take to exit before it counts as stuck. */
  terminateTimeoutMs: number;
  resourceLimits: ResourceLimits | undefined;
}

/** Where a pool's threads report to (the system). */
export interface PoolReports {
  log: Logger;
  event(e: SupervisionEvent): void;
}

interface Task {
  /** Its worker's threadId once a progress note said it (-1 before). */
  threadId: number;
  controller: AbortController;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Set when a deadline terminated it: what it rejects with. */
  failure: TroupeError | null;
}

type Reason = Extract<SupervisionEvent, { type: 'pool-worker-died' }>['reason'];

export class PoolThreads {
  private readonly piscina: Piscina;
  private readonly tasks = new Map<number, Task>();
  private nextSeq = 1;
  /** Threads told to terminate that had not exited after terminateTimeoutMs. */
  private readonly stuck = new Set<number>();
  /** When a worker was terminated or died (Date.now()), pruned to the health window. */
  private readonly failedAt: number[] = [];
  private closing = false;

  constructor(private readonly pool: string, private readonly limits: PoolLimits, private readonly reports: PoolReports) {
    this.piscina = new Piscina({
      filename: POOL_WORKER.href,
      name: 'poolTask',
      // One thread at spawnPool (the probe runs init on it); more as messages need them.
      minThreads: 1,
      maxThreads: limits.threads,
      resourceLimits: workerLimits(limits.resourceLimits),
      // A thread kept is an init not run again (init state is per worker).
      idleTimeout: Infinity,
      // One message per thread: a deadline that terminates a thread ends no other message.
      concurrentTasksPerWorker: 1,
      // Timers and I/O of a task must run: no Atomics.wait in idle workers.
      atomics: 'disabled',
    });
    this.piscina.on('message', (m: PoolProgress) => this.onProgress(m));
    // Without a listener, a worker dying with no task in flight takes the main process down.
    this.piscina.on('error', (err: Error) => this.failed('worker-died', new TroupeError('ERR_TROUPE_WORKER_FAILED',
      `a worker of pool ${this.pool} died between messages: ${err.message}`, { cause: err })));
  }

  /** Runs one task; rejects with a TroupeError for whatever went wrong below the handler. */
  async run(task: Omit<PoolTask, 'seq'>): Promise<PoolResult> {
    if (this.closing) throw stopped(this.pool);
    const seq = this.nextSeq++;
    const t: Task = { threadId: -1, controller: new AbortController(), timer: undefined, failure: null };
    this.tasks.set(seq, t);
    this.arm(t, this.limits.controlTimeoutMs, () => this.terminate(t, 'init-timeout', new TroupeError('ERR_TROUPE_INIT_TIMEOUT',
      `pool ${this.pool}: its worker did not start, load the module and run init() within ${this.limits.controlTimeoutMs} ms (controlTimeoutMs)`,
      { details: { controlTimeoutMs: this.limits.controlTimeoutMs } })));
    try {
      return (await this.piscina.run({ ...task, seq }, { signal: t.controller.signal })) as PoolResult;
    } catch (err) {
      throw this.rejection(t, err);
    } finally {
      clearTimeout(t.timer);
      this.tasks.delete(seq);
    }
  }

  /** Adds what health() should say about these threads now (see SystemHealth). */
  judge(since: number, critical: string[], degraded: string[]): void {
    while (this.failedAt.length > 0 && this.failedAt[0]! < since) this.failedAt.shift();
    if (this.stuck.size > 0) critical.push(`pool ${this.pool}: ${this.stuck.size} worker(s) stuck: terminate() did not finish`);
    if (this.failedAt.length > 0) degraded.push(`pool ${this.pool}: ${this.failedAt.length} worker(s) terminated or died recently`);
  }

  /**
   * Terminates every thread. Messages still running reject with ERR_TROUPE_SYSTEM_STOPPED. Waits
   * for the threads to exit, up to `timeoutMs` (a thread stuck in native code never does).
   */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.piscina.destroy().catch(() => {}), new Promise((r) => { timer = setTimeout(r, timeoutMs); })]);
    clearTimeout(timer);
  }

  private onProgress(m: PoolProgress): void {
    if (m?.t !== 'pool-progress') return;
    const t = this.tasks.get(m.seq);
    // A note can come after its task settled (it travels on another port): nothing to do then.
    if (t === undefined || t.failure !== null) return;
    t.threadId = m.threadId;
    if (m.phase !== 'handler') return;
    const max = this.limits.maxHandlerMs;
    if (max === 0) {
      clearTimeout(t.timer);
      return;
    }
    const left = m.at + max - (performance.timeOrigin + performance.now());
    this.arm(t, left, () => this.terminate(t, 'timeout', new TroupeError('ERR_TROUPE_HANDLER_TIMEOUT',
      `a message of pool ${this.pool} ran longer than ${max} ms (maxHandlerMs); its worker was terminated`, { details: { maxHandlerMs: max } })));
  }

  private arm(t: Task, ms: number, fn: () => void): void {
    clearTimeout(t.timer);
    t.timer = setTimeout(fn, Math.max(0, ms));
  }

  /** A deadline passed: the task rejects with `err` now, and its worker is terminated. */
  private terminate(t: Task, reason: Reason, err: TroupeError): void {
    if (t.failure !== null || this.closing) return;
    t.failure = err;
    const worker = t.threadId < 0 ? undefined : this.piscina.threads.find((w) => w.threadId === t.threadId);
    // piscina rejects the task with an AbortError and terminates the worker running it.
    t.controller.abort(err);
    if (worker) this.watchExit(worker);
    this.failed(reason, err);
  }

  /** A thread stuck in native code cannot be terminated: say so (health: critical) until it exits. */
  private watchExit(worker: Worker): void {
    const threadId = worker.threadId;
    let exited = false;
    const timer = setTimeout(() => {
      if (exited) return;
      // Given up on: it must not keep the process alive either.
      worker.unref();
      if (this.closing) return;
      this.stuck.add(threadId);
      this.reports.event({ type: 'pool-worker-stuck', pool: this.pool, threadId, time: Date.now() });
      this.reports.log.fatal({ pool: this.pool, threadId, terminateTimeoutMs: this.limits.terminateTimeoutMs },
        'pool worker stuck: terminate() did not finish');
    }, this.limits.terminateTimeoutMs);
    timer.unref();
    worker.once('exit', () => {
      exited = true;
      clearTimeout(timer);
      if (this.stuck.delete(threadId)) this.reports.log.warn({ pool: this.pool, threadId }, 'stuck pool worker exited at last');
    });
  }

  /** What a task rejected by piscina rejects with: its deadline's error, or a TroupeError for the cause. */
  private rejection(t: Task, err: unknown): TroupeError {
    if (t.failure !== null) {
      // Terminated at its deadline: piscina rejects once the thread is gone, which can take a
      // while on a loaded machine. "Recently" (health) counts from then, as its caller sees it.
      if (this.failedAt.length > 0) this.failedAt[this.failedAt.length - 1] = Date.now();
      return t.failure;
    }
    if (this.closing) return stopped(this.pool, err);
    const e = err as Error;
    if (e?.name === 'DataCloneError') {
      // Before the handler ran, it was the message; after, the reply (and the worker died of it).
      if (t.threadId < 0) {
        return new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', `a message to pool ${this.pool} cannot be cloned: ${e.message}`, { cause: err });
      }
      const reply = new TroupeError('ERR_TROUPE_UNENCODABLE_MESSAGE', `a reply of pool ${this.pool} cannot be cloned (its worker was replaced): ${e.message}`, { cause: err });
      this.failed('worker-died', reply);
      return reply;
    }
    const died = new TroupeError('ERR_TROUPE_WORKER_FAILED', `a worker of pool ${this.pool} died: ${e?.message ?? String(err)}`, { cause: err });
    this.failed('worker-died', died);
    return died;
  }

  private failed(reason: Reason, err: TroupeError): void {
    if (this.closing) return;
    const now = Date.now();
    this.failedAt.push(now);
    this.reports.event({ type: 'pool-worker-died', pool: this.pool, reason, error: toWireError(err), time: now });
    this.reports.log.error({ pool: this.pool, reason, err }, `pool worker ${reason === 'worker-died' ? 'died' : 'terminated'}: ${err.message}`);
  }
}

function stopped(pool: string, cause?: unknown): TroupeError {
  return new TroupeError('ERR_TROUPE_SYSTEM_STOPPED', `the actor system stopped before pool ${pool} finished the message`, cause === undefined ? {} : { cause });
}
