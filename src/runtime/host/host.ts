/**
 * The worker side of a host: the actors on one worker thread and its end of the ring mesh. main
 * talks to it over two ports: `control` (comlink: spawn, stop, idle, stats, observe) and `events` (ring
 * links in, dead letters out). Messages never use either.
 *
 * The Host wires its collaborators and is what each of them sees of the others (each through an
 * interface of its own): the actor table (actor-table.ts), the scheduler (scheduler.ts), one
 * actor's turn (turns.ts), what comes in (inbox.ts) and goes out (sending.ts), an actor's
 * lifecycle (lifecycle.ts), its supervisor (supervisor.ts), watches (watches.ts), stopping
 * (stopping.ts) and the dead letters on their way to main (dead-letter-batch.ts).
 */
import { threadId, type MessagePort, type Transferable } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { Logger } from 'pino';
import type { ChildSpawnOptions } from '../../actors/define.js';
import { TroupeError, toWireError } from '../../actors/errors.js';
import type { ActorRef, AskOptions, RefTransport, TellOptions } from '../../actors/ref.js';
import { checkTellOptions } from '../../actors/send-options.js';
import { createLogger } from '../../observability/logger.js';
import { errorEvent, type ErrorReport } from '../../observability/error-events.js';
import type { BreakerTransition } from '../../supervision/breaker.js';
import type { Classification } from '../../supervision/classify.js';
import { realClock, type Clock, type Random } from '../../supervision/clock.js';
import type { SupervisionEvent } from '../../supervision/events.js';
import { AskTable } from '../ask-table.js';
import { BusyAsks } from '../busy-asks.js';
import {
  ASK_TABLE, F_LAST, F_RECEIPT, K_REPLY, K_REPLY_ERROR, K_SYSTEM, K_UNCOUNTED,
  MAIN_THREAD, R_DEAD_LETTERED, R_RETRY, S_HEARTBEAT, S_OPEN_BREAKERS, S_QUEUED,
} from '../constants.js';
import { Ledger } from '../ledger.js';
import { MeshNode } from '../mesh/mesh-node.js';
import { setIncarnation } from '../mesh/codec.js';
import {
  STOP, STOP_SELF, type ControlResult, type HostControl, type HostStart, type HostStats, type HostToMain, type MainNotice, type MainToHost, type SystemMessage,
} from '../protocol.js';
import { MailboxDepths } from '../mailbox-depths.js';
import { ActorTable } from './actor-table.js';
import type { Cell } from './cell.js';
import type { Context, ContextHost } from './context.js';
import { DeadLetterBatch } from './dead-letter-batch.js';
import { HostFlow, type FlowHost } from './flow-control.js';
import { Inbox, type InboxHost } from './inbox.js';
import { Lifecycle, type LifecycleHost } from './lifecycle.js';
import { observe } from './observe.js';
import { RefCache } from './ref-cache.js';
import { Scheduler, type SchedulerHost } from './scheduler.js';
import { Sending, type SendingHost } from './sending.js';
import { Stopping, type StoppingHost } from './stopping.js';
import { Supervision, type FailedMessage, type SupervisedHost } from './supervisor.js';
import { Turns, type TurnsHost } from './turns.js';
import { Watches, type WatchesHost } from './watches.js';
import type { Tracing } from '../../observability/tracing.js';

export class Host implements RefTransport, ContextHost, SupervisedHost, SchedulerHost, SendingHost, InboxHost, TurnsHost,
  LifecycleHost, WatchesHost, StoppingHost, FlowHost {
  readonly thread: number;
  readonly log: Logger;
  readonly mesh: MeshNode;
  /** This system's node ('' without NATS). */
  readonly node: string;
  /** strictMessages: messages between actors of this worker are encoded and decoded as across threads. */
  readonly strict: boolean;
  readonly stats: Float64Array;
  readonly ledger: Ledger;
  readonly clock: Clock = realClock;
  readonly random: Random = Math.random;
  private readonly refs = new RefCache(this);
  readonly asks: AskTable;
  readonly busyAsks: BusyAsks;
  readonly actors: ActorTable;
  readonly deadLetters: DeadLetterBatch;
  readonly scheduler: Scheduler;
  readonly sending: Sending;
  readonly inbox: Inbox;
  readonly turns: Turns;
  readonly lifecycle: Lifecycle;
  readonly watches: Watches;
  readonly stopping: Stopping;
  readonly supervision: Supervision;
  readonly flow: HostFlow;
  /** The actor whose code runs synchronously right now: the implicit sender of `ref.tell`. */
  current: Cell | null = null;
  closed = false;
  private readonly events: MessagePort;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly heartbeat: ReturnType<typeof setInterval> | null;
  private closeResolve!: () => void;
  readonly done: Promise<void>;

  constructor(start: HostStart, readonly tracing: Tracing | null = null) {
    this.thread = start.thread;
    this.stats = new Float64Array(start.stats);
    this.ledger = new Ledger(this.stats);
    this.events = start.events;
    this.log = createLogger({ level: start.logLevel }).child({ system: start.systemName, worker: start.thread - 1, threadId });
    this.node = start.node;
    this.strict = start.strictMessages;
    if (start.node !== '') setIncarnation(start.node, start.incarnation);
    this.actors = new ActorTable(this.stats, new MailboxDepths(start.depths, (chunk) => this.post({ t: 'depths', chunk })));
    this.busyAsks = new BusyAsks(start.busyAsks);
    this.deadLetters = new DeadLetterBatch((m) => this.post(m));
    this.asks = new AskTable(this.stats, (reason, corr, value) => this.deadLetters.add(reason, `ask #${corr}`, null, value));
    this.mesh = new MeshNode({
      thread: start.thread,
      doorbell: start.doorbell,
      tuning: start.tuning,
      transport: this,
      deliver: (from, target, sender, corr, kind, value, at) => this.inbox.deliver(from, target, sender, corr, kind, value, at),
      undeliverable: (from, target, sender, corr, kind, reason, bytes, error) => this.inbox.undeliverable(from, target, sender, corr, kind, reason, bytes, error),
      stats: this.stats,
      node: start.node,
      requestLink: (to) => this.post({ t: 'need-link', to }),
      pinning: true,
      work: (until) => this.scheduler.run(until),
      hasWork: () => this.scheduler.hasWork,
    });
    this.scheduler = new Scheduler(this.stats, this);
    this.flow = new HostFlow(this, start.highWaterMark);
    this.sending = new Sending(this);
    this.inbox = new Inbox(this, start.restoring);
    this.turns = new Turns(this, start.tuning.throughput);
    this.lifecycle = new Lifecycle(this);
    this.watches = new Watches(this);
    this.stopping = new Stopping(this);
    this.supervision = new Supervision(this);
    this.done = new Promise((resolve) => { this.closeResolve = resolve; });
    this.events.on('message', (m: MainToHost) => this.onMain(m));
    // The watchdog on main reads this; a handler that blocks the thread stops it.
    const beat = () => { this.stats[S_HEARTBEAT] = performance.timeOrigin + performance.now(); };
    beat();
    this.heartbeat = start.heartbeatMs > 0 ? setInterval(beat, start.heartbeatMs) : null;
    this.heartbeat?.unref();
    const control: HostControl & { close(): void } = {
      spawn: (req) => guard(() => this.lifecycle.spawnRoot(req)) as never,
      stop: (id) => guard(() => this.stopping.stopById(id)) as never,
      idle: (ms) => guard(() => this.idle(ms)) as never,
      stopAll: () => guard(() => { this.flow.stop(); return this.stopping.stopAll(); }) as never,
      stats: () => guard(async (): Promise<HostStats> => ({ actors: this.actors.size, queued: this.stats[S_QUEUED]!, busy: this.actors.anyBusy() })) as never,
      observe: (limit) => guard(async () => observe(this.actors.values(), this.actors.kinds, limit)) as never,
      restored: () => guard(async () => this.inbox.restored()) as never,
      close: () => this.close(),
    };
    Comlink.expose(control, nodeEndpoint(start.control));
    this.mesh.schedule();
  }

  private onMain(m: MainToHost): void {
    switch (m.t) {
      case 'link-out': this.mesh.attachOut(m.to, m.ring, m.port, m.doorbell); return;
      case 'link-in': this.mesh.attachIn(m.from, m.ring, m.port, m.doorbell, m.replaced, m.lostBelow); return;
      case 'relink-out': this.mesh.relinkOut(m.peer, m.port); return;
      case 'relink-in': this.mesh.relinkIn(m.peer, m.port, m.lostBelow); return;
      case 'peer-replaced': this.watches.peerReplaced(m.thread, new Set(m.restarted)); return;
      case 'peer-died': this.flow.resetThread(m.thread, m.forGood); return;
      case 'sync': this.deadLetters.flush(); this.post({ t: 'synced', n: m.n }); return;
    }
  }

  private post(m: HostToMain): void { this.events.postMessage(m); }

  /** Names, exits and events go to main on the ring, in order with the replies that follow. */
  notifyMain(n: MainNotice): void {
    this.mesh.send(MAIN_THREAD, ASK_TABLE, 0, 0, K_SYSTEM, n);
  }

  schedulePump(): void {
    this.mesh.schedule();
  }

  // ------------------------------------------------------------------------------------------
  // What refs and contexts do (RefTransport, ContextHost)

  /** A tell through a ref; the sender is the actor running now, if any. */
  tell(ref: ActorRef, msg: unknown, options: TellOptions | undefined): boolean {
    return this.sending.send(ref, msg, this.current, checkTellOptions(options), options?.delivery);
  }

  ready(ref: ActorRef, from: Cell | null = this.current): Promise<void> {
    return this.sending.ready(ref, from);
  }

  muted(cell: Cell): boolean {
    return this.flow.muted(cell);
  }

  /** An ask through a ref (or ctx.ask, with `from`). */
  ask(ref: ActorRef, msg: unknown, options: AskOptions | undefined, from: Cell | null = this.current): Promise<unknown> {
    return this.sending.ask(ref, msg, options, from);
  }

  send(to: ActorRef, msg: unknown, from: Cell | null, transfer: readonly Transferable[] | undefined, delivery?: string): boolean {
    return this.sending.send(to, msg, from, transfer, delivery);
  }

  reply(ctx: Context, value: unknown): void {
    this.sending.reply(ctx, value);
  }

  spawnChild(parent: Cell, module: URL | string, options: ChildSpawnOptions, from: Context | null = null): Promise<ActorRef> {
    return this.lifecycle.spawnChild(parent, module, options, from);
  }

  watch(watcher: Cell, ref: ActorRef): void {
    this.watches.watch(watcher, ref);
  }

  /** ctx.reportError: checked here (a bad report throws in the actor), recorded on main. */
  reportError(cell: Cell, report: ErrorReport): void {
    this.notifyMain({ t: 'error', event: errorEvent(report, cell.path, this.node) });
  }

  /**
   * ctx.stop: an actor stops itself or one of its children (as in Akka); anything else throws
   * ERR_TROUPE_NOT_A_CHILD.
   */
  stopSelfOrChild(by: Cell, ref: ActorRef): void {
    if (ref.node === undefined && ref.thread === this.thread) {
      if (ref.id === by.id) { this.scheduler.system(by, STOP_SELF); return; }
      // By id, not by a walk of the children: stopping each of n children was O(n²).
      const child = this.actors.get(ref.id);
      if (child !== undefined && by.hasChild(child)) { this.scheduler.system(child, STOP); return; }
    }
    throw new TroupeError('ERR_TROUPE_NOT_A_CHILD', `${ref.path} is not a child of ${by.path}: ctx.stop stops this actor or one of its children; ask another actor to stop, or use system.stop`,
      { details: { actor: by.path, ref: ref.path } });
  }

  refFor(thread: number, id: number): ActorRef {
    if (thread === this.thread) {
      const cell = this.actors.get(id);
      if (cell) return cell.ref;
    }
    return this.refs.get(thread, id);
  }

  senderPath(thread: number, sender: number): string | null {
    if (thread < 0 || sender === 0) return null;
    return this.refFor(thread, sender).path;
  }

  accept(id: number, msg: unknown, thread: number, sender: number, corr: number): void {
    this.inbox.accept(id, msg, thread, sender, corr);
  }

  runTurn(cell: Cell): number {
    return this.turns.run(cell);
  }

  freeBusySlot(ctx: Context): void {
    this.turns.freeBusySlot(ctx);
  }

  sendTerminated(toThread: number, toId: number, path: string, thread: number, id: number): void {
    this.watches.sendTerminated(toThread, toId, path, thread, id);
  }

  stopCell(cell: Cell): Promise<void> {
    return this.stopping.stop(cell);
  }

  /** A system message on the actor's system lane: stop, watch, or a watched actor's end. */
  handleSystem(cell: Cell, m: SystemMessage): void {
    switch (m.t) {
      case 'stop':
        // A permanent child that stops itself is restarted (OTP); any other stop is final.
        if (m.self && cell.sup.restartType === 'permanent' && !this.closed) this.supervision.restartAfterNormalStop(cell);
        else void this.stopping.stop(cell);
        return;
      case 'watch':
        this.watches.add(cell, m.thread, m.id);
        return;
      case 'terminated':
        this.watches.terminatedNotice(cell, m);
        return;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Supervision (SupervisedHost: see supervisor.ts)

  deadLetterFailed(cell: Cell, failed: FailedMessage, error: unknown, c: Classification, retries: number): void {
    this.ledger.deadLettered();
    this.ledger.queued(-1);
    this.deadLetters.add('actor-failed', cell.path, this.senderPath(failed.thread, failed.sender), failed.msg, toWireError(error),
      { category: c.category, severity: c.severity, retries });
    if (failed.receipt !== 0) this.sending.receipt(failed.receipt, R_DEAD_LETTERED, error);
    else if (failed.corr !== 0 && !failed.ctx.answered) {
      // (An ask the handler answered before it threw keeps its answer.)
      failed.ctx.answered = true;
      this.sending.replyError(failed.thread, failed.corr, cell.id, error);
    }
    this.turns.finished(failed.ctx);
  }

  returnFailed(_cell: Cell, failed: FailedMessage, error: unknown): void {
    this.ledger.queued(-1);
    this.sending.receipt(failed.receipt, R_RETRY, error);
    this.turns.finished(failed.ctx);
  }

  requeue(cell: Cell, failed: FailedMessage): void {
    // Its record stays in its ring (marked started: a crash now dead-letters it).
    const record = failed.ctx.record;
    failed.ctx.record = -1;
    if (failed.receipt !== 0) cell.mailbox.unshift(failed.msg, failed.thread | F_RECEIPT | (failed.last ? F_LAST : 0), failed.sender, failed.receipt, record);
    else {
      cell.mailbox.unshift(failed.msg, failed.thread, failed.sender, failed.corr, record);
      if (failed.corr !== 0) cell.asks++;
    }
  }

  reinit(cell: Cell, error: Error, onHookFailure: (err: Error) => void): Promise<void> {
    return this.lifecycle.reinit(cell, error, onHookFailure);
  }

  resume(cell: Cell): void {
    this.scheduler.resume(cell);
  }

  event(e: SupervisionEvent): void {
    try {
      this.notifyMain({ t: 'event', event: e });
    } catch {
      // An error with fields the codec cannot carry: the events port can (unordered).
      this.deadLetters.event(e);
    }
  }

  breakerMoved(cell: Cell, t: BreakerTransition): void {
    if (t.from === 'closed') this.stats[S_OPEN_BREAKERS]!++;
    else if (t.to === 'closed') this.stats[S_OPEN_BREAKERS]!--;
    this.event({ type: 'breaker', actor: cell.path, from: t.from, to: t.to, resetTimeoutMs: t.resetTimeoutMs, time: Date.now() });
    this.log[t.to === 'open' ? 'warn' : 'info']({ actor: cell.path, from: t.from, to: t.to, resetTimeoutMs: t.resetTimeoutMs },
      `circuit breaker ${t.from} -> ${t.to}`);
  }

  // ------------------------------------------------------------------------------------------
  // Idleness, stats, closing

  flushDeadLetters(): void {
    this.deadLetters.flush();
  }

  private isIdle(): boolean {
    return !this.actors.anyBusy() && !this.scheduler.hasWork && this.stats[S_QUEUED] === 0 && this.mesh.quiet();
  }

  checkIdle(): void {
    if (this.idleWaiters.length > 0 && this.isIdle()) {
      const waiters = this.idleWaiters.splice(0);
      for (const w of waiters) w();
    }
  }

  /** Resolves when nothing is queued and no handler runs (true), or after `timeoutMs` (false). */
  private idle(timeoutMs: number): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const i = this.idleWaiters.indexOf(done);
        if (i >= 0) this.idleWaiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      const done = () => { clearTimeout(timer); resolve(true); };
      this.idleWaiters.push(done);
      this.mesh.schedule();
    });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.asks.closeAll();
    this.mesh.publish(); // names and events to main go out before 'closed'
    // What could not go into a ring (full toward a thread that stopped reading) never will.
    this.mesh.discardSpilled((to, target, sender, corr, kind, value) => {
      if (kind >= K_UNCOUNTED) return;
      this.ledger.deadLettered();
      this.deadLetters.add('actor-stopped', kind === K_REPLY || kind === K_REPLY_ERROR ? `ask #${corr}` : `@${to}.${target}`,
        this.senderPath(this.thread, sender), value ?? '[not sent: the system stopped]');
    });
    this.deadLetters.flush();
    this.mesh.close();
    // Last on this port, after every dead letter: main waits for it before closing the port.
    this.events.postMessage({ t: 'closed' });
    this.closeResolve();
  }
}

/** What a control call returns: errors travel as data, since comlink drops their codes. */
async function guard<T>(fn: () => Promise<T>): Promise<ControlResult<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: toWireError(err) };
  }
}

