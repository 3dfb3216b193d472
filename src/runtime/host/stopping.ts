/**
 * Stopping actors (OTP: stop, wait, then kill): wait for a running handler up to shutdownMs
 * (then go on without it: its message is dead-lettered `stop-timeout`), stop the children last
 * started first, run postStop (bounded by shutdownMs; a failure is reported and the stop goes
 * on), dead-letter the mail it will never read (`actor-stopped`; a tell from another node goes
 * back to it for redelivery), tell its watchers, and free its name.
 */
import type { Logger } from 'pino';
import { TroupeError } from '../../actors/errors.js';
import type { Clock } from '../../supervision/clock.js';
import { F_CREDIT_DUE, F_LAST, F_RECEIPT, R_DEAD_LETTERED, R_RETRY, S_OPEN_BREAKERS, THREAD_MASK } from '../constants.js';
import type { MainNotice, ReleasedName } from '../protocol.js';
import type { Ledger } from '../ledger.js';
import { registryKey, type ActorTable } from './actor-table.js';
import type { Cell } from './cell.js';
import type { DeadLetterBatch } from './dead-letter-batch.js';
import type { HostFlow } from './flow-control.js';
import { forgetChildPrefix, type Lifecycle } from './lifecycle.js';
import type { Sending } from './sending.js';
import type { Supervision } from './supervisor.js';
import type { MeshNode } from '../mesh/mesh-node.js';
import type { Turns } from './turns.js';
import type { Watches } from './watches.js';

/** What stopping asks of its host. */
export interface StoppingHost {
  readonly thread: number;
  readonly log: Logger;
  readonly clock: Clock;
  readonly stats: Float64Array;
  readonly ledger: Ledger;
  readonly actors: ActorTable;
  readonly lifecycle: Lifecycle;
  readonly supervision: Supervision;
  readonly sending: Sending;
  readonly deadLetters: DeadLetterBatch;
  readonly flow: HostFlow;
  readonly turns: Turns;
  readonly mesh: MeshNode;
  readonly watches: Watches;
  /** The host is closing (shutdown): a top-level actor's stop is no exit main must hear of. */
  readonly closed: boolean;
  notifyMain(n: MainNotice): void;
  senderPath(thread: number, sender: number): string | null;
  schedulePump(): void;
}

const DONE: Promise<void> = Promise.resolve();

export class Stopping {
  constructor(private readonly host: StoppingHost) {}

  /** main's stop(): the actor and its children; resolves with the names they held. */
  async stopById(id: number): Promise<ReleasedName[]> {
    const cell = this.host.actors.get(id);
    if (!cell) return [];
    const released: ReleasedName[] = [];
    const collect = (c: Cell): void => {
      if (c.name !== undefined) released.push({ name: registryKey(c), id: c.id });
      for (const child of c.childList()) collect(child);
    };
    collect(cell);
    await this.stop(cell);
    // Main drops these names when this call returns, so a lookup right after stop() misses.
    return released;
  }

  /** Stops an actor (once: a second call waits for the first). */
  stop(cell: Cell): Promise<void> {
    if (cell.stopping === null) cell.stopping = this.doStop(cell);
    return cell.stopping;
  }

  /** Stops every actor, top-level ones last started first (shutdown). */
  async stopAll(): Promise<void> {
    const roots = [...this.host.actors.roots.values()].reverse();
    for (const cell of roots) await this.stop(cell);
  }

  /** Its stop: done at once when nothing is to be waited for (no running handler, no children, no postStop). */
  private doStop(cell: Cell): Promise<void> {
    if (cell.busy || cell.childCount > 0 || cell.def.postStop) return this.waitThenStop(cell);
    try {
      this.stopped(cell);
    } catch (err) {
      return Promise.reject(err);
    }
    return DONE;
  }

  private async waitThenStop(cell: Cell): Promise<void> {
    const h = this.host;
    if (cell.busy && !(await this.waitIdle(cell, cell.sup.shutdownMs))) this.abandon(cell);
    const children = [...cell.childList()].reverse();
    for (const child of children) await this.stop(child);
    if (cell.def.postStop) {
      // A postStop that throws or hangs is reported; the stop goes on (and releases the name).
      const failed = await h.lifecycle.runHook(cell, 'postStop', (ctx) => cell.def.postStop!(cell.state, ctx));
      if (failed !== null) h.supervision.report(cell, failed, 'postStop failed; the actor stopped all the same');
    }
    this.stopped(cell);
  }

  /** What its stop does once its handler, its children and its postStop are done: its mail is answered for, and it is gone. */
  private stopped(cell: Cell): void {
    const h = this.host;
    const box = cell.mailbox;
    while (box.size > 0) {
      const i = box.first;
      h.ledger.queued(-1);
      const corr = box.corrAt(i);
      let t = box.senderThreadAt(i);
      if ((t & F_CREDIT_DUE) !== 0) { t ^= F_CREDIT_DUE; h.flow.give(t & THREAD_MASK, box.senderIdAt(i), cell.id); }
      const record = box.recordAt(i);
      if (record >= 0) h.mesh.finish(t & THREAD_MASK, record);
      if (t >= F_RECEIPT && (t & F_LAST) === 0) {
        // From another node: it redelivers it (to this actor's next incarnation, or to no one).
        h.sending.receipt(corr, R_RETRY);
        box.shift();
        continue;
      }
      h.ledger.deadLettered();
      h.deadLetters.add('actor-stopped', cell.path, h.senderPath(t & THREAD_MASK, box.senderIdAt(i)), box.messageAt(i));
      if (t >= F_RECEIPT) h.sending.receipt(corr, R_DEAD_LETTERED);
      else if (corr !== 0) {
        h.sending.replyError(t, corr, cell.id,
          new TroupeError('ERR_TROUPE_ACTOR_STOPPED', `${cell.path} stopped before it read this message`));
      }
      box.shift();
    }
    box.recycle();
    box.clearSystem();
    forgetChildPrefix(cell);
    cell.asks = 0;
    const breaker = cell.breaker;
    if (breaker) {
      if (breaker.state !== 'closed') h.stats[S_OPEN_BREAKERS]!--;
      breaker.dispose();
    }
    cell.stopped = true;
    h.actors.remove(cell);
    h.flow.forget(cell);
    const watchers = cell.watchers;
    if (watchers) for (let i = 0; i < watchers.length; i += 2) h.watches.sendTerminated(watchers[i]!, watchers[i + 1]!, cell.path, h.thread, cell.id);
    if (cell.name !== undefined) h.notifyMain({ t: 'unname', name: registryKey(cell), thread: h.thread, id: cell.id });
    if (cell.parent === null && !h.closed) h.notifyMain({ t: 'exit', thread: h.thread, id: cell.id });
    h.deadLetters.flush();
    h.schedulePump();
  }

  /** Waits up to `ms` for the cell's running handler; false if it is still running then. */
  private waitIdle(cell: Cell, ms: number): Promise<boolean> {
    const clock = this.host.clock;
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => resolve(false), ms);
      cell.whenIdle(() => { clock.clearTimeout(timer); resolve(true); });
    });
  }

  /**
   * Forces a stop past a handler that did not finish within shutdownMs: its message is
   * dead-lettered `stop-timeout` and its ask rejected; if the handler ever settles, its outcome
   * is ignored. (A handler stuck in a loop needs the worker watchdog.)
   */
  private abandon(cell: Cell): void {
    const h = this.host;
    cell.abandoned = true;
    cell.busy = false;
    const ctx = cell.busyCtx;
    cell.busyCtx = null;
    if (ctx === null) {
      // A `terminated` hook was running, not a message: nothing to count or answer.
      h.log.warn({ actor: cell.path, shutdownMs: cell.sup.shutdownMs }, 'terminated hook still running at stop; stopped without it');
      return;
    }
    h.ledger.deadLettered();
    h.ledger.queued(-1);
    h.turns.freeBusySlot(ctx);
    h.deadLetters.add('stop-timeout', cell.path, h.senderPath(ctx.thread, ctx.senderId), cell.busyWith);
    if (ctx.receipt !== 0) {
      h.sending.receipt(ctx.receipt, R_DEAD_LETTERED);
      ctx.receipt = 0;
    } else if (ctx.corr !== 0 && !ctx.answered) {
      ctx.answered = true;
      h.sending.replyError(ctx.thread, ctx.corr, cell.id,
        new TroupeError('ERR_TROUPE_ACTOR_STOPPED', `${cell.path} was stopped while handling this message (after ${cell.sup.shutdownMs} ms)`));
    }
    h.turns.finished(ctx);
    h.log.warn({ actor: cell.path, shutdownMs: cell.sup.shutdownMs }, 'handler still running at stop; stopped without it');
  }
}
