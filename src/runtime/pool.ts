/**
 * Pool actors (`system.spawnPool`): a stateless actor whose messages run as ordinary piscina
 * tasks on the least-busy worker (Akka's pool router, Orleans' stateless worker). At most `size`
 * messages run at once; the rest wait in a bounded queue on main. Unlike ring messages, these
 * are structured-cloned, and refs inside them arrive as plain data.
 */
import type { Piscina } from 'piscina';
import { TroupeError, fromWireError, invalidArgument, toWireError } from '../actors/errors.js';
import type { AskOptions } from '../actors/ref.js';
import { DEFAULT_ASK_TIMEOUT_MS } from './ask-table.js';
import type { PoolResult, PoolTask } from './pool-wire.js';
import { S_DEAD_LETTERED, S_PROCESSED, S_QUEUED, S_SENT, type DeadLetterWire } from './wire.js';

export interface PoolOptions {
  /** Messages running at once (over all workers). Default 4. */
  size?: number;
  /** Passed to init(), once per worker that runs the pool's messages. */
  args?: unknown;
  /** Messages waiting for a free slot before new ones are dead-lettered `pool-full`. Default 10 000. */
  capacity?: number;
  name?: string;
}

interface Waiting { msg: unknown; resolve?: (v: unknown) => void; reject?: (e: unknown) => void }

export class PoolRef {
  readonly name: string;
  readonly size: number;
  private readonly capacity: number;
  private readonly args: unknown;
  private running = 0;
  private readonly queue: Waiting[] = [];

  /** @internal */
  constructor(
    private readonly piscina: Piscina,
    private readonly url: string,
    name: string,
    options: PoolOptions,
    private readonly stats: Float64Array,
    private readonly logLevel: string,
    private readonly deadLetter: (entry: DeadLetterWire) => void,
  ) {
    const size = options.size ?? 4;
    if (!Number.isInteger(size) || size < 1) throw invalidArgument('size', 'a positive integer', size);
    const capacity = options.capacity ?? 10_000;
    if (!Number.isInteger(capacity) || capacity < 1) throw invalidArgument('capacity', 'a positive integer', capacity);
    this.name = name;
    this.size = size;
    this.capacity = capacity;
    this.args = options.args;
  }

  /** Runs the message on some worker; its outcome is dropped (a failure is dead-lettered). */
  tell(msg: unknown): void {
    this.enqueue({ msg });
  }

  /** Runs the message on some worker and resolves with what its handler passed to ctx.reply. */
  ask<R = unknown>(msg: unknown, options?: AskOptions): Promise<R> {
    const timeoutMs = options?.timeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TroupeError('ERR_TROUPE_ASK_TIMEOUT',
        `no reply from pool ${this.name} within ${timeoutMs} ms`)), timeoutMs);
      const w: Waiting = {
        msg,
        resolve: (v) => { clearTimeout(timer); resolve(v as R); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      // Aborting rejects the ask at once; the task itself runs to its end (aborting a piscina
      // task would terminate the worker, and with it every actor that worker hosts).
      const signal = options?.signal;
      if (signal?.aborted) { w.reject!(aborted(this.name, signal)); return; }
      signal?.addEventListener('abort', () => w.reject!(aborted(this.name, signal)), { once: true });
      this.enqueue(w);
    });
  }

  private enqueue(w: Waiting): void {
    this.stats[S_SENT]!++;
    if (this.queue.length >= this.capacity) {
      this.stats[S_DEAD_LETTERED]!++;
      this.deadLetter({ reason: 'pool-full', target: `pool:${this.name}`, sender: null, message: w.msg, time: Date.now() });
      w.reject?.(new TroupeError('ERR_TROUPE_MAILBOX_FULL', `pool ${this.name} has ${this.capacity} messages waiting`));
      return;
    }
    this.stats[S_QUEUED]!++;
    this.queue.push(w);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.size && this.queue.length > 0) {
      const w = this.queue.shift()!;
      this.running++;
      this.run(w.msg, false).then(
        (v) => { this.stats[S_PROCESSED]!++; w.resolve?.(v); },
        (err) => {
          this.stats[S_DEAD_LETTERED]!++;
          this.deadLetter({ reason: 'actor-failed', target: `pool:${this.name}`, sender: null, message: w.msg,
            error: toWireError(err), time: Date.now() });
          w.reject?.(err);
        },
      ).finally(() => { this.stats[S_QUEUED]!--; this.running--; this.pump(); });
    }
  }

  /** @internal loads the module and runs init on some worker: spawnPool fails early if either fails. */
  async check(): Promise<void> {
    await this.run(undefined, true);
  }

  private async run(msg: unknown, probe: boolean): Promise<unknown> {
    const task: PoolTask = { pool: this.name, url: this.url, args: this.args, msg, logLevel: this.logLevel };
    if (probe) (task as PoolTask & { probe: true }).probe = true;
    const r = (await this.piscina.run(task, { name: 'poolTask' })) as PoolResult;
    if (!r.ok) throw fromWireError(r.error);
    return r.value;
  }
}

function aborted(pool: string, signal: AbortSignal): TroupeError {
  return new TroupeError('ERR_TROUPE_ASK_ABORTED', `ask to pool ${pool} was aborted`, { cause: signal.reason });
}
