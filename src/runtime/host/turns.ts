/**
 * One actor's turn: its system lane first, then up to `throughput` messages of its mailbox, each
 * with a context of its own. A synchronous handler is counted at once; an async one holds the
 * actor (busy) until its promise settles, and an ask suspended that way is listed in the
 * busy-ask table (busy-asks.ts) so that main rejects it at once if this worker dies. A handler
 * that throws goes to the actor's supervisor (supervisor.ts).
 */
import { performance } from 'node:perf_hooks'; // (not the global's getter: see pump.ts)
import { F_CREDIT_DUE, F_LAST, F_RECEIPT, R_PROCESSED, S_CUR_CORR, S_CUR_FROM, THREAD_MASK } from '../constants.js';
import type { SystemMessage } from '../protocol.js';
import type { BusyAsks } from '../busy-asks.js';
import type { Ledger } from '../ledger.js';
import type { Cell } from './cell.js';
import { SAMPLE_EVERY } from '../../observability/types.js';
import { Context, type ContextHost } from './context.js';
import type { HostFlow } from './flow-control.js';
import type { MeshNode } from '../mesh/mesh-node.js';
import type { Scheduler } from './scheduler.js';
import type { Sending } from './sending.js';
import type { FailedMessage, Supervision } from './supervisor.js';

/** What a turn asks of its host. */
export interface TurnsHost {
  readonly stats: Float64Array;
  readonly ledger: Ledger;
  readonly supervision: Supervision;
  readonly busyAsks: BusyAsks;
  readonly sending: Sending;
  readonly scheduler: Scheduler;
  readonly flow: HostFlow;
  readonly mesh: MeshNode;
  /** The actor whose handler runs synchronously now (the implicit sender of `ref.tell`). */
  current: Cell | null;
  /** Takes a system message (stop, watch, terminated). */
  handleSystem(cell: Cell, m: SystemMessage): void;
  /** The actor waits for its paths to drain before its next user message. */
  muted(cell: Cell): boolean;
}

export class Turns {
  constructor(private readonly host: TurnsHost & ContextHost, private readonly throughput: number) {}

  /**
   * Runs the cell's turn; returns how many of its messages it took. They are counted once per
   * turn (observe.ts), and about one message in 64 per actor type is timed: the first of a turn,
   * when its type has handled 64 since the last it timed.
   */
  run(cell: Cell): number {
    const kind = cell.kind;
    const n = this.turn(cell, kind.handled >= kind.timeAt);
    if (n !== 0) { cell.handled += n; kind.handled += n; }
    return n;
  }

  private turn(cell: Cell, timing: boolean): number {
    const h = this.host;
    const box = cell.mailbox;
    const budget = this.throughput;
    const stats = h.stats;
    let n = 0;
    while (n < budget) {
      if (box.system.length > 0) {
        stats[S_CUR_FROM] = -1; // no message of its mailbox is running (a crash here blames none)
        h.handleSystem(cell, box.system.shift() as SystemMessage);
        if (cell.stopping !== null) return n;
        continue;
      }
      if (box.size === 0 || cell.stopping !== null || cell.suspended || h.muted(cell)) return n;
      const i = box.first;
      const msg = box.messageAt(i);
      let t = box.senderThreadAt(i);
      const senderId = box.senderIdAt(i);
      // Its sender asked for credit with this one (flow-control.ts): it is taken now.
      if ((t & F_CREDIT_DUE) !== 0) { t ^= F_CREDIT_DUE; h.flow.give(t & THREAD_MASK, senderId, cell.id); }
      // The message's own context: what a handler does with it later still acts for this message.
      // S_CUR_CORR: an ask's correlation id, or (negative) the receipt of a tell from another node.
      let ctx: Context;
      if (t < F_RECEIPT) {
        const corr = box.corrAt(i);
        if (corr !== 0) cell.asks--;
        ctx = new Context(h, cell, t, senderId, corr);
        stats[S_CUR_CORR] = corr;
      } else {
        const receipt = box.corrAt(i);
        ctx = new Context(h, cell, t & THREAD_MASK, senderId, 0, receipt, (t & F_LAST) !== 0);
        stats[S_CUR_CORR] = -receipt;
      }
      cell.cur = ctx;
      stats[S_CUR_FROM] = ctx.thread * 0x100000000 + senderId;
      // Its record stays in its ring until the message is finished; marked started, it is
      // dead-lettered rather than read again if this worker dies now.
      const record = box.recordAt(i);
      if (record >= 0) { ctx.record = record; h.mesh.start(ctx.thread, record); }
      box.shift();
      n++;
      let result: unknown;
      if (timing) this.startTiming(cell);
      h.current = cell;
      try {
        result = cell.def.receive(cell.state, msg, ctx);
      } catch (err) {
        h.current = null;
        this.done(cell);
        cell.timedAt = -1;
        h.supervision.fail(cell, err, this.failedMessage(ctx, msg));
        return n;
      }
      h.current = null;
      if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
        this.await(cell, ctx, msg, result as Promise<unknown>);
        return n;
      }
      if (timing) { timing = false; this.timed(cell); }
      if (result !== undefined) cell.state = result;
      h.ledger.processed();
      h.ledger.queued(-1);
      if (cell.retries !== 0 || cell.breaker !== null || ctx.receipt !== 0) this.succeeded(cell, true);
      this.done(cell);
      if (record >= 0) this.finished(ctx);
    }
    return n;
  }

  /**
   * The handler returned a promise: the actor is busy until it settles. (Its own method: closures
   * in `turn` would make V8 allocate the loop's variables in a context object for every message.)
   */
  private await(cell: Cell, ctx: Context, msg: unknown, result: Promise<unknown>): void {
    const h = this.host;
    cell.busy = true;
    cell.busyWith = msg;
    cell.busyCtx = ctx;
    // An ask suspended in an await: main rejects it at once if this worker dies meanwhile.
    if (ctx.corr !== 0 && !ctx.answered) ctx.busySlot = h.busyAsks.add(ctx.thread, ctx.corr, cell.id);
    result.then(
      (s) => {
        if (cell.abandoned) return; // a stop gave up waiting for this handler and counted its message
        this.freeBusySlot(ctx);
        if (cell.timedAt >= 0) this.timed(cell);
        this.settled(cell); if (s !== undefined) cell.state = s; this.succeeded(cell); this.done(cell); this.finished(ctx); h.scheduler.resume(cell);
      },
      (err) => {
        if (cell.abandoned) return;
        cell.timedAt = -1;
        this.done(cell);
        this.freeBusySlot(ctx);
        this.settled(cell);
        h.supervision.fail(cell, err, this.failedMessage(ctx, msg));
        h.scheduler.resume(cell);
      },
    );
  }

  /**
   * Done with `ctx`'s message (handled, or dead-lettered): what its handler sent is published,
   * then its record's space in the ring is freed. In that order: a crash in between reads the
   * message again (at least once), never loses what it sent.
   */
  finished(ctx: { record: number; readonly thread: number }): void {
    const record = ctx.record;
    if (record < 0) return;
    ctx.record = -1;
    const h = this.host;
    h.mesh.publish();
    h.mesh.finish(ctx.thread, record);
  }

  /**
   * Its message is done with: a waiting actor does not keep that message's context (112 B)
   * alive. With tracing on it does: a hook that sends after it (preRestart, postStop) sends in
   * that message's trace, as it always has.
   */
  private done(cell: Cell): void {
    if (this.host.tracing === null) cell.cur = null;
  }

  private startTiming(cell: Cell): void {
    cell.kind.timeAt = cell.kind.handled + SAMPLE_EVERY;
    cell.timedAt = performance.now();
  }

  /** The timed handler of `cell` is done. */
  private timed(cell: Cell): void {
    cell.kind.timed(performance.now() - cell.timedAt);
    cell.timedAt = -1;
  }

  /** A message was handled: count it (unless counted already), clear its retries, tell the breaker. */
  private succeeded(cell: Cell, counted = false): void {
    const h = this.host;
    if (!counted) { h.ledger.processed(); h.ledger.queued(-1); }
    const ctx = cell.cur;
    if (ctx !== null && ctx.receipt !== 0) { h.sending.receipt(ctx.receipt, R_PROCESSED); ctx.receipt = 0; }
    cell.retries = 0;
    cell.breaker?.success();
  }

  /** The handler of `ctx`'s ask settled or answered it: main need not reject it if this worker dies. */
  freeBusySlot(ctx: Context): void {
    if (ctx.busySlot < 0) return;
    this.host.busyAsks.remove(ctx.busySlot);
    ctx.busySlot = -1;
  }

  /** The cell's async handler (or `terminated` hook) settled: it is free, and whoever waited for it hears so. */
  settled(cell: Cell): void {
    cell.busy = false;
    cell.busyWith = undefined;
    cell.busyCtx = null;
    const waiters = cell.idleWaiters;
    if (waiters !== null) {
      cell.idleWaiters = null;
      for (const w of waiters) w();
    }
  }

  /** The message whose handler just failed, as supervision sees it; its receipt goes with it. */
  private failedMessage(ctx: Context, msg: unknown): FailedMessage {
    const failed: FailedMessage = { msg, thread: ctx.thread, sender: ctx.senderId, corr: ctx.corr, receipt: ctx.receipt, last: ctx.last, ctx };
    ctx.receipt = 0;
    return failed;
  }
}
