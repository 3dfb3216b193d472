/**
 * The worker side of a host: the actors on one worker thread, its scheduler, and its end of the
 * ring mesh. main talks to it over two ports: `control` (comlink: spawn, stop, idle, stats) and
 * `events` (ring links in, dead letters and names out). Messages never use either.
 *
 * Scheduler: actors with mail wait in a FIFO run queue. Each pump turn runs actors for at most
 * `sliceMs`, each for at most `throughput` messages (fairness), then yields to the event loop so
 * timers and I/O inside actors keep running. An async `receive` is one message at a time: the
 * actor leaves the run queue until its promise settles.
 */
import type { Transferable } from 'node:worker_threads';
import { threadId, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { Logger } from 'pino';
import { Cell, Context } from './cell.js';
import { MeshNode, undeliverableError } from '../mesh/mesh-node.js';
import { setIncarnation } from '../mesh/codec.js';
import { loadActor } from './modules.js';
import { createLogger } from '../../observability/logger.js';
import { AskTable } from '../ask-table.js';
import { BusyAsks } from '../busy-asks.js';
import { Supervision, type FailedMessage, type SupervisedHost } from './supervisor.js';
import { realClock, type Clock, type Random } from '../../supervision/clock.js';
import { Backoff } from '../../supervision/backoff.js';
import { CircuitBreaker, type BreakerTransition } from '../../supervision/breaker.js';
import { RestartIntensity } from '../../supervision/intensity.js';
import { breakerOptions, restartType, shutdownMs, supervisorOptions } from '../../supervision/options.js';
import type { Classification } from '../../supervision/classify.js';
import type { SupervisionEvent } from '../../supervision/events.js';
import { ActorRef, type AskOptions, type RefTransport, type TellOptions } from '../../actors/ref.js';
import { errorEvent, type ErrorReport } from '../../observability/error-events.js';
import { Mailbox, mailboxOptions } from '../../actors/mailbox.js';
import { checkTellOptions } from '../../actors/send-options.js';
import { checkChildSpawnOptions } from '../spawn-options.js';
import type { ChildSpawnOptions } from '../../actors/define.js';
import { CircuitOpenError, MailboxFullError, TroupeError, invalidArgument, toWireError, type WireError } from '../../actors/errors.js';
import { ASK_TABLE, K_ASK, K_REPLY, K_REPLY_ERROR, K_SYSTEM, K_TELL, K_UNCOUNTED, K_REMOTE, K_RECEIPT, K_TELL_RECEIPT, K_TELL_LAST, R_PROCESSED, R_RETRY, R_DEAD_LETTERED, S_RETURNED, S_ACTORS, S_DEAD_LETTERED, S_OPEN_BREAKERS, S_PROCESSED, S_TURNS, S_CUR_ACTOR, S_CUR_CORR, S_CUR_FROM, S_CUR_ROOT, S_HEARTBEAT, S_NEXT_ID, S_QUEUED, S_SENT, MAIN_THREAD, F_RECEIPT, F_LAST, THREAD_MASK } from '../constants.js';
import type { RemoteSend, MainNotice, ReleasedName, DeadLetterWire, HostControl, HostStart, HostStats, HostToMain, MainToHost, SpawnReply, SpawnRequest, Tuning, ControlResult, SystemMessage } from '../protocol.js';



/** The key main registers a named actor under: its name at the top level, its path below. */
function registryKey(cell: Cell): string {
  return cell.parent ? cell.path : cell.name!;
}


/** How long init may take when the spawn does not say (initTimeoutMs). */
const DEFAULT_INIT_TIMEOUT_MS = 10_000;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}

function isCloneable(v: unknown): boolean {
  try { structuredClone(v); return true; } catch { return false; }
}

export class Host implements RefTransport, SupervisedHost {
  readonly thread: number;
  readonly log: Logger;
  readonly mesh: MeshNode;
  private readonly systemName: string;
  /** This system's node ('' without NATS). */
  readonly node: string;
  /** strictMessages: messages between actors of this worker are encoded and decoded as across threads. */
  private readonly strict: boolean;
  private readonly tuning: Tuning;
  readonly stats: Float64Array;
  readonly clock: Clock = realClock;
  private readonly random: Random = Math.random;
  private readonly supervision = new Supervision(this);
  private eventBatch: SupervisionEvent[] = [];
  private readonly events: MessagePort;
  private readonly cells = new Map<number, Cell>();
  private readonly roots = new Map<string, Cell>();
  private nextId = 1; // 0 is the thread's ask table
  private readonly runQueue: Cell[] = [];
  private runHead = 0;
  private readonly asks: AskTable;
  private readonly busyAsks: BusyAsks;
  /** The actor whose handler is running synchronously right now: the implicit sender. */
  private current: Cell | null = null;
  private readonly idleWaiters: (() => void)[] = [];
  private deadBatch: DeadLetterWire[] = [];
  private closed = false;
  /** A replacement host: records for actors not re-created yet (see HostStart.restoring). */
  private held: Map<number, [number, number, number, number, number, unknown][]> | null = null;
  private readonly heartbeat: ReturnType<typeof setInterval> | null;
  private closeResolve!: () => void;
  readonly done: Promise<void>;

  constructor(start: HostStart) {
    this.thread = start.thread;
    this.systemName = start.systemName;
    this.tuning = start.tuning;
    this.stats = new Float64Array(start.stats);
    this.events = start.events;
    this.log = createLogger({ level: start.logLevel }).child({ system: start.systemName, worker: start.thread - 1, threadId });
    this.node = start.node;
    this.strict = start.strictMessages;
    if (start.node !== '') setIncarnation(start.node, start.incarnation);
    // A replacement host goes on from its predecessor's ids: an old ref never names a new actor.
    this.nextId = Math.max(1, this.stats[S_NEXT_ID]!);
    this.busyAsks = new BusyAsks(start.busyAsks);
    this.asks = new AskTable(this.stats, (reason, corr, value) => this.deadLetter(reason, `ask #${corr}`, null, value));
    this.mesh = new MeshNode({
      thread: start.thread,
      doorbell: start.doorbell,
      tuning: start.tuning,
      transport: this,
      deliver: (from, target, sender, corr, kind, value) => this.deliver(from, target, sender, corr, kind, value),
      undeliverable: (from, target, sender, corr, kind, reason, bytes, error) => this.undeliverable(from, target, sender, corr, kind, reason, bytes, error),
      stats: this.stats,
      node: start.node,
      requestLink: (to) => this.post({ t: 'need-link', to }),
      work: () => this.runActors(),
      hasWork: () => this.runHead < this.runQueue.length,
    });
    this.done = new Promise((resolve) => { this.closeResolve = resolve; });
    if (start.restoring.length > 0) this.held = new Map(start.restoring.map((id) => [id, []]));
    this.events.on('message', (m: MainToHost) => this.onMain(m));
    // The watchdog on main reads this; a handler that blocks the thread stops it.
    const beat = () => { this.stats[S_HEARTBEAT] = performance.timeOrigin + performance.now(); };
    beat();
    this.heartbeat = start.heartbeatMs > 0 ? setInterval(beat, start.heartbeatMs) : null;
    this.heartbeat?.unref();
    const control: HostControl & { close(): void } = {
      spawn: (req) => this.guard(() => this.spawnRoot(req)) as never,
      stop: (id) => this.guard(() => this.stopById(id)) as never,
      idle: (ms) => this.guard(() => this.idle(ms)) as never,
      stopAll: () => this.guard(() => this.stopAll()) as never,
      stats: () => this.guard(async () => this.hostStats()) as never,
      restored: () => this.guard(async () => this.restored()) as never,
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
      case 'peer-replaced': this.peerReplaced(m.thread, new Set(m.restarted)); return;
    }
  }

  private async guard<T>(fn: () => Promise<T>): Promise<ControlResult<T>> {
    try {
      return { ok: true, value: await fn() };
    } catch (err) {
      return { ok: false, error: toWireError(err) };
    }
  }

  private post(m: HostToMain): void {
    this.events.postMessage(m);
  }

  /** Names go to main on the ring, in order with the replies that follow. */
  private notifyMain(n: MainNotice): void {
    this.mesh.send(MAIN_THREAD, ASK_TABLE, 0, 0, K_SYSTEM, n);
  }

  // ------------------------------------------------------------------------------------------
  // Spawning

  private async spawnRoot(req: SpawnRequest): Promise<SpawnReply> {
    const args = req.argsBytes !== undefined ? this.mesh.codec.decode(req.argsBytes, 0, req.argsBytes.length, req.argsSlots ?? null) : undefined;
    const cell = await this.create(req.url, req.name, args, req.mailbox, null, req);
    return { id: cell.id, path: cell.path };
  }

  async spawnChild(parent: Cell, module: URL | string, options: ChildSpawnOptions, from: Context | null = null): Promise<ActorRef> {
    if (from?.expired) {
      throw new TroupeError('ERR_TROUPE_ACTOR_STOPPED', `the init of ${parent.path} that spawns this was given up on (it failed or timed out); it spawns nothing more`);
    }
    const url = module instanceof URL ? module.href : module;
    if (typeof url !== 'string') throw invalidArgument('module', 'a URL or a URL string', module);
    checkChildSpawnOptions(options);
    if (parent.stopping) throw new TroupeError('ERR_TROUPE_ACTOR_STOPPED', `${parent.path} is stopping; it cannot spawn`);
    const args = this.strict && options.args !== undefined ? this.mesh.codec.copy(options.args) : options.args;
    const cell = await this.create(url, options.name, args, options.mailbox, parent, options);
    return cell.ref;
  }

  private async create(url: string, name: string | undefined, args: unknown, mailbox: SpawnRequest['mailbox'], parent: Cell | null,
    o: Pick<SpawnRequest, 'restart' | 'supervision' | 'circuitBreaker' | 'shutdownMs' | 'initTimeoutMs' | 'id'>): Promise<Cell> {
    const box = new Mailbox(mailboxOptions(mailbox));
    const restart = restartType(o.restart);
    const breaker = breakerOptions(o.circuitBreaker);
    const childPolicy = o.supervision;
    const def = await loadActor(url);
    const policy = supervisorOptions(parent?.def.supervisor, childPolicy);
    const siblings = parent ? parent.children : this.roots;
    if (name !== undefined && siblings.has(name)) {
      throw new TroupeError('ERR_TROUPE_NAME_TAKEN', `${parent ? parent.path : '/user'} already has a child named ${JSON.stringify(name)}`);
    }
    const id = o.id ?? this.nextId++;
    if (id >= this.nextId) this.nextId = id + 1;
    this.stats[S_NEXT_ID] = this.nextId;
    const path = `${parent ? parent.path : '/user'}/${name ?? `$${this.thread}.${id}`}`;
    const cell = new Cell(this, id, path, name, def, box, parent);
    cell.sup = {
      args, restartType: restart, policy, shutdownMs: shutdownMs(o.shutdownMs), initTimeoutMs: o.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS,
      backoff: new Backoff(policy.backoff, this.random),
      breaker: breaker ? new CircuitBreaker(breaker, this.clock, (t) => this.breakerMoved(cell, t)) : null,
      // Restart intensity is the supervisor's: shared by all children of one parent (OTP).
      intensity: parent ? (parent.childIntensity ??= new RestartIntensity(policy.maxRestarts, policy.withinMs))
        : new RestartIntensity(policy.maxRestarts, policy.withinMs),
    };
    siblings.set(cell.childKey, cell); // reserve the name while init runs
    try {
      if (def.init) cell.state = await this.runInit(cell, args);
    } catch (err) {
      siblings.delete(cell.childKey);
      // Children its init spawned go with it.
      for (const child of [...cell.children.values()].reverse()) await this.stopCell(child);
      if (err instanceof TroupeError && err.code === 'ERR_TROUPE_INIT_TIMEOUT') throw err;
      throw new TroupeError('ERR_TROUPE_INIT_FAILED', `init of ${path} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    this.cells.set(id, cell);
    this.stats[S_ACTORS]!++;
    if (name !== undefined) this.notifyMain({ t: 'name', name: registryKey(cell), path, thread: this.thread, id });
    return cell;
  }

  // ------------------------------------------------------------------------------------------
  // Sending

  /** RefTransport: a tell through a ref; the sender is the actor running now, if any. */
  tell(ref: ActorRef, msg: unknown, options: TellOptions | undefined): void {
    this.send(ref, msg, this.current, checkTellOptions(options), options?.delivery);
  }

  send(to: ActorRef, msg: unknown, from: Cell | null, transfer: readonly Transferable[] | undefined, delivery?: string): void {
    const sender = from ? from.id : 0;
    if (to.node !== undefined) {
      this.sendRemote(to, msg, sender, 0, undefined, delivery);
      return;
    }
    if (to.thread === this.thread) {
      // Same worker: no encoding, the message is passed by reference (treat messages as immutable),
      // unless strictMessages asks for the cross-thread rules here too.
      const m = this.strict ? this.mesh.codec.copy(msg) : msg;
      this.stats[S_SENT]!++;
      this.accept(to.id, m, this.thread, sender, 0);
      return;
    }
    this.mesh.send(to.thread, to.id, sender, 0, K_TELL, msg, transfer);
    this.stats[S_SENT]!++;
  }

  /** RefTransport: an ask through a ref. */
  ask(ref: ActorRef, msg: unknown, options: AskOptions | undefined, from: Cell | null = this.current): Promise<unknown> {
    const sender = from ? from.id : 0;
    const { corr, promise } = this.asks.open(ref.path, options);
    if (corr === 0) return promise; // already aborted, or bad options
    if (ref.node !== undefined) {
      try { this.sendRemote(ref, msg, sender, corr, options?.timeoutMs, options?.delivery); } catch (err) { this.asks.fail(corr, err); }
      return promise;
    }
    try {
      if (ref.thread === this.thread) this.accept(ref.id, this.strict ? this.mesh.codec.copy(msg) : msg, this.thread, sender, corr);
      else this.mesh.send(ref.thread, ref.id, sender, corr, K_ASK, msg, options?.transfer);
    } catch (err) {
      this.asks.fail(corr, err);
      return promise;
    }
    this.stats[S_SENT]!++;
    return promise;
  }

  /** ctx.reportError: checked here (a bad report throws in the actor), recorded on main. */
  reportError(cell: Cell, report: ErrorReport): void {
    this.notifyMain({ t: 'error', event: errorEvent(report, cell.path, this.node) });
  }

  /** A message for an actor on another node: main's bridge carries it (counted as sent here). */
  private sendRemote(to: ActorRef, msg: unknown, sender: number, corr: number, timeoutMs: number | undefined, delivery: string | undefined): void {
    const send: RemoteSend = { node: to.node!, incarnation: to.incarnation, thread: to.thread, id: to.id, path: to.path, msg, timeoutMs };
    if (delivery === 'at-most-once') send.atMostOnce = true;
    this.mesh.send(MAIN_THREAD, 0, sender, corr, K_REMOTE, send);
    this.stats[S_SENT]!++;
  }

  /** Tells main how a message from another node ended (its node acks, retries or dead-letters it). */
  private receipt(id: number, outcome: number, error?: unknown): void {
    if (outcome === R_RETRY) { this.stats[S_RETURNED]!++; }
    this.mesh.send(MAIN_THREAD, id, outcome, 0, K_RECEIPT, error === undefined ? null : toWireError(error));
  }

  /** A receipted tell could not be taken (or finished) here: retried later by its node, or (last delivery) dead-lettered. */
  private notTaken(cell: Cell | undefined, thread: number, sender: number, receipt: number, msg: unknown, reason: string): void {
    if ((thread & F_LAST) === 0) {
      this.receipt(receipt, R_RETRY);
      return;
    }
    this.stats[S_DEAD_LETTERED]!++;
    this.deadLetter(reason, cell ? cell.path : `@${this.thread}.?`, this.senderPath(thread & THREAD_MASK, sender), msg);
    this.receipt(receipt, R_DEAD_LETTERED);
  }

  /**
   * ctx.reply: answers the message `ctx` was handed with (its ask, or a tell back to the actor
   * that sent it). A second reply to one ask is dead-lettered `late-reply`; with no one to answer,
   * `no-reply-to`.
   */
  reply(ctx: Context, value: unknown): void {
    const cell = ctx.cell;
    const thread = ctx.thread;
    if (ctx.corr !== 0) {
      if (ctx.answered) {
        this.stats[S_SENT]!++;
        this.stats[S_DEAD_LETTERED]!++;
        this.deadLetter('late-reply', `ask #${ctx.corr}`, cell.path, value);
        return;
      }
      if (thread === this.thread) this.asks.settle(ctx.corr, K_REPLY, this.strict ? this.mesh.codec.copy(value) : value);
      else this.mesh.send(thread, ASK_TABLE, cell.id, ctx.corr, K_REPLY, value);
      ctx.answered = true; // (a reply that cannot be encoded threw above: the ask is still open)
      this.freeBusySlot(ctx);
      this.stats[S_SENT]!++;
      return;
    }
    if (thread >= 0 && ctx.senderId !== 0) {
      this.send(this.refFor(thread, ctx.senderId), value, cell, undefined);
      return;
    }
    this.stats[S_SENT]!++;
    this.stats[S_DEAD_LETTERED]!++;
    this.deadLetter('no-reply-to', cell.path, null, value);
  }

  private replyError(thread: number, corr: number, replier: number, err: unknown): void {
    const wire = toWireError(err);
    if (thread === this.thread) this.asks.settle(corr, K_REPLY_ERROR, wire);
    else {
      try {
        this.mesh.send(thread, ASK_TABLE, replier, corr, K_REPLY_ERROR, wire);
      } catch {
        // Custom fields that cannot be encoded: send the error without them.
        this.mesh.send(thread, ASK_TABLE, replier, corr, K_REPLY_ERROR, { name: wire.name, message: wire.message, stack: wire.stack, code: wire.code });
      }
    }
    this.stats[S_SENT]!++;
  }

  refFor(thread: number, id: number): ActorRef {
    if (thread === this.thread) {
      const cell = this.cells.get(id);
      if (cell) return cell.ref;
    }
    return new ActorRef(`@${thread}.${id}`, thread, id, this);
  }

  /**
   * ctx.stop: an actor stops itself or one of its children (as in Akka); anything else throws
   * ERR_TROUPE_NOT_A_CHILD.
   */
  stopSelfOrChild(by: Cell, ref: ActorRef): void {
    if (ref.node === undefined && ref.thread === this.thread) {
      if (ref.id === by.id) { this.system(by, { t: 'stop', self: true }); return; }
      for (const child of by.children.values()) {
        if (child.id === ref.id && this.cells.has(child.id)) { this.system(child, { t: 'stop' }); return; }
      }
    }
    throw new TroupeError('ERR_TROUPE_NOT_A_CHILD', `${ref.path} is not a child of ${by.path}: ctx.stop stops this actor or one of its children; ask another actor to stop, or use system.stop`,
      { details: { actor: by.path, ref: ref.path } });
  }

  // ------------------------------------------------------------------------------------------
  // Receiving

  private deliver(from: number, target: number, sender: number, corr: number, kind: number, value: unknown): void {
    if (this.held !== null && kind !== K_REPLY && kind !== K_REPLY_ERROR && this.hold(from, target, sender, corr, kind, value)) return;
    switch (kind) {
      case K_TELL:
      case K_ASK:
        this.accept(target, value, from, sender, corr);
        return;
      case K_TELL_RECEIPT:
        this.accept(target, value, from | F_RECEIPT, sender, corr);
        return;
      case K_TELL_LAST:
        this.accept(target, value, from | F_RECEIPT | F_LAST, sender, corr);
        return;
      case K_REPLY:
      case K_REPLY_ERROR:
        this.asks.settle(corr, kind, value);
        return;
      case K_SYSTEM: {
        const cell = this.cells.get(target);
        const m = value as SystemMessage;
        if (cell) this.system(cell, m);
        // Watching an actor that is already gone: the notice comes at once.
        else if (m.t === 'watch') this.sendTerminated(m.thread, m.id, m.path, this.thread, target);
        return;
      }
      default:
        this.log.error({ kind, from }, 'unknown record kind; dropped');
    }
  }

  /** Mail for an actor main is about to re-create waits for it (counted as queued). */
  private hold(from: number, target: number, sender: number, corr: number, kind: number, value: unknown): boolean {
    const waiting = this.held!.get(target);
    if (waiting === undefined || this.cells.has(target)) return false;
    waiting.push([from, target, sender, corr, kind, value]);
    if (kind < K_UNCOUNTED) this.stats[S_QUEUED]!++;
    return true;
  }

  /** Delivers what waited for actor `id`, now that it exists (or, with it gone, dead-letters it). */
  private release(id: number): void {
    const waiting = this.held?.get(id);
    if (waiting === undefined) return;
    this.held!.delete(id);
    if (this.held!.size === 0) this.held = null;
    for (const [from, target, sender, corr, kind, value] of waiting) {
      if (kind < K_UNCOUNTED) this.stats[S_QUEUED]!--;
      this.deliver(from, target, sender, corr, kind, value);
    }
  }

  private restored(): void {
    for (const id of [...(this.held?.keys() ?? [])]) this.release(id);
    this.held = null;
  }

  /** A user message arrives at actor `id`: into its mailbox, or dead letters. */
  private accept(id: number, msg: unknown, thread: number, sender: number, corr: number): void {
    const cell = this.cells.get(id);
    if (cell === undefined && this.held?.has(id)) {
      // An actor being restored (a sibling on this worker wrote to it first).
      this.hold(thread & THREAD_MASK, id, sender, corr, corr !== 0 && thread < F_RECEIPT ? K_ASK : (thread & F_LAST) !== 0 ? K_TELL_LAST : thread >= F_RECEIPT ? K_TELL_RECEIPT : K_TELL, msg);
      return;
    }
    if (cell === undefined || cell.stopped) {
      this.stats[S_DEAD_LETTERED]!++;
      this.deadLetter('no-such-actor', `@${this.thread}.${id}`, this.senderPath(thread & THREAD_MASK, sender), msg);
      if (thread >= F_RECEIPT) this.receipt(corr, R_DEAD_LETTERED);
      else if (corr !== 0) {
        this.replyError(thread, corr, id, new TroupeError('ERR_TROUPE_ACTOR_NOT_FOUND', `no live actor @${this.thread}.${id}`));
      }
      return;
    }
    if (cell.sup.breaker !== null && !cell.sup.breaker.admit()) {
      if (thread >= F_RECEIPT) { this.notTaken(cell, thread, sender, corr, msg, 'circuit-open'); return; }
      this.stats[S_DEAD_LETTERED]!++;
      this.deadLetter('circuit-open', cell.path, this.senderPath(thread, sender), msg);
      if (corr !== 0) this.replyError(thread, corr, id, new CircuitOpenError(cell.path));
      return;
    }
    const box = cell.mailbox;
    if (box.isFull) {
      if (box.overflow === 'drop-oldest') {
        const i = box.first;
        this.dropped(cell, box.messageAt(i), box.senderThreadAt(i), box.senderIdAt(i), box.corrAt(i), 'dropped-oldest');
        box.shift();
        this.stats[S_QUEUED]!--;
      } else if (thread >= F_RECEIPT) {
        this.notTaken(cell, thread, sender, corr, msg, 'mailbox-full');
        return;
      } else {
        this.dropped(cell, msg, thread, sender, corr, 'mailbox-full');
        return;
      }
    }
    box.push(msg, thread, sender, corr);
    this.stats[S_QUEUED]!++;
    if (this.runnable(cell)) this.enqueue(cell);
  }

  private dropped(cell: Cell, msg: unknown, thread: number, sender: number, corr: number, reason: string): void {
    this.stats[S_DEAD_LETTERED]!++;
    this.deadLetter(reason, cell.path, this.senderPath(thread & THREAD_MASK, sender), msg);
    if (thread >= F_RECEIPT) this.receipt(corr, R_DEAD_LETTERED);
    else if (corr !== 0 && (cell.mailbox.overflow !== 'dead-letter')) {
      this.replyError(thread, corr, cell.id, new MailboxFullError(cell.path, cell.mailbox.capacity));
    }
  }

  private system(cell: Cell, m: SystemMessage): void {
    cell.mailbox.system.push(m);
    if (!cell.scheduled && !cell.busy) this.enqueue(cell);
  }

  private enqueue(cell: Cell): void {
    cell.scheduled = true;
    this.runQueue.push(cell);
    this.mesh.schedule();
  }

  // ------------------------------------------------------------------------------------------
  // Running

  /** One scheduler slice: run queued actors, each up to its throughput budget. */
  private runActors(): number {
    const q = this.runQueue;
    if (this.runHead >= q.length) { this.checkIdle(); return 0; }
    const deadline = performance.now() + this.tuning.sliceMs;
    let done = 0;
    let turns = 0;
    while (this.runHead < q.length) {
      const cell = q[this.runHead++]!;
      cell.scheduled = false;
      done += this.runCell(cell);
      turns++;
      if (this.runnable(cell)) {
        cell.scheduled = true;
        q.push(cell);
      }
      // Check the clock every few actors, not every one.
      if ((turns & 15) === 0 && performance.now() > deadline) break;
    }
    this.stats[S_TURNS]! += turns;
    if (this.runHead >= q.length) { q.length = 0; this.runHead = 0; }
    else if (this.runHead > 4096) { q.splice(0, this.runHead); this.runHead = 0; }
    this.flushDeadLetters();
    // Actors ran (even if each only stopped): count the turn as work so the pump comes back.
    return done || 1;
  }

  /** Runs one actor's turn; while its handlers run, the watchdog knows whose message is running. */
  private runCell(cell: Cell): number {
    this.stats[S_CUR_ACTOR] = cell.id;
    this.stats[S_CUR_ROOT] = cell.rootId;
    const n = this.runTurn(cell);
    this.stats[S_CUR_ACTOR] = 0;
    this.stats[S_CUR_ROOT] = 0;
    return n;
  }

  private runTurn(cell: Cell): number {
    const box = cell.mailbox;
    const budget = this.tuning.throughput;
    const stats = this.stats;
    let n = 0;
    while (n < budget) {
      if (box.system.length > 0) {
        stats[S_CUR_FROM] = -1; // no message of its mailbox is running (a crash here blames none)
        this.handleSystem(cell, box.system.shift() as SystemMessage);
        if (cell.stopping !== null) return n;
        continue;
      }
      if (box.size === 0 || cell.stopping !== null || cell.suspended) return n;
      const i = box.first;
      const msg = box.messageAt(i);
      const t = box.senderThreadAt(i);
      const senderId = box.senderIdAt(i);
      // The message's own context: what a handler does with it later still acts for this message.
      // S_CUR_CORR: an ask's correlation id, or (negative) the receipt of a tell from another node.
      let ctx: Context;
      if (t < F_RECEIPT) {
        const corr = box.corrAt(i);
        ctx = new Context(this, cell, t, senderId, corr);
        stats[S_CUR_CORR] = corr;
      } else {
        const receipt = box.corrAt(i);
        ctx = new Context(this, cell, t & THREAD_MASK, senderId, 0, receipt, (t & F_LAST) !== 0);
        stats[S_CUR_CORR] = -receipt;
      }
      cell.cur = ctx;
      stats[S_CUR_FROM] = ctx.thread * 0x100000000 + senderId;
      box.shift();
      n++;
      let result: unknown;
      this.current = cell;
      try {
        result = cell.def.receive(cell.state, msg, ctx);
      } catch (err) {
        this.current = null;
        this.supervision.fail(cell, err, this.failedMessage(ctx, msg));
        return n;
      }
      this.current = null;
      if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
        cell.busy = true;
        cell.busyWith = msg;
        cell.busyCtx = ctx;
        // An ask suspended in an await: main rejects it at once if this worker dies meanwhile.
        if (ctx.corr !== 0 && !ctx.answered) ctx.busySlot = this.busyAsks.add(ctx.thread, ctx.corr, cell.id);
        (result as Promise<unknown>).then(
          (s) => {
            if (cell.abandoned) return; // a stop gave up waiting for this handler and counted its message
            this.freeBusySlot(ctx);
            this.settled(cell); if (s !== undefined) cell.state = s; this.succeeded(cell); this.resume(cell);
          },
          (err) => {
            if (cell.abandoned) return;
            this.freeBusySlot(ctx);
            this.settled(cell);
            this.supervision.fail(cell, err, this.failedMessage(ctx, msg));
            this.resume(cell);
          },
        );
        return n;
      }
      if (result !== undefined) cell.state = result;
      stats[S_PROCESSED]!++;
      stats[S_QUEUED]!--;
      if (cell.retries !== 0 || cell.sup.breaker !== null || ctx.receipt !== 0) this.succeeded(cell, true);
    }
    return n;
  }

  /** A message was handled: count it (unless counted already), clear its retries, tell the breaker. */
  private succeeded(cell: Cell, counted = false): void {
    if (!counted) { this.stats[S_PROCESSED]!++; this.stats[S_QUEUED]!--; }
    const ctx = cell.cur;
    if (ctx !== null && ctx.receipt !== 0) { this.receipt(ctx.receipt, R_PROCESSED); ctx.receipt = 0; }
    cell.retries = 0;
    cell.sup.breaker?.success();
  }

  /** The handler of `ctx`'s ask settled or answered it: main need not reject it if this worker dies. */
  private freeBusySlot(ctx: Context): void {
    if (ctx.busySlot < 0) return;
    this.busyAsks.remove(ctx.busySlot);
    ctx.busySlot = -1;
  }

  private settled(cell: Cell): void {
    cell.busy = false;
    cell.busyWith = undefined;
    cell.busyCtx = null;
    const waiters = cell.idleWaiters;
    if (waiters.length > 0) {
      cell.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  resume(cell: Cell): void {
    if (this.runnable(cell)) this.enqueue(cell);
    this.mesh.schedule();
  }

  /**
   * Whether the cell should be in the run queue: not there already, no handler running, and
   * system mail, or user mail it may take (not stopping, not waiting out a restart backoff).
   */
  private runnable(cell: Cell): boolean {
    if (cell.scheduled || cell.busy) return false;
    if (cell.mailbox.system.length > 0) return true;
    return cell.mailbox.size > 0 && cell.stopping === null && !cell.suspended;
  }

  // ------------------------------------------------------------------------------------------
  // Supervision (SupervisedHost: see supervise.ts)

  deadLetterFailed(cell: Cell, failed: FailedMessage, error: unknown, c: Classification, retries: number): void {
    this.stats[S_DEAD_LETTERED]!++;
    this.stats[S_QUEUED]!--;
    this.deadLetter('actor-failed', cell.path, this.senderPath(failed.thread, failed.sender), failed.msg, toWireError(error),
      { category: c.category, severity: c.severity, retries });
    if (failed.receipt !== 0) this.receipt(failed.receipt, R_DEAD_LETTERED, error);
    else if (failed.corr !== 0 && !failed.ctx.answered) {
      // (An ask the handler answered before it threw keeps its answer.)
      failed.ctx.answered = true;
      this.replyError(failed.thread, failed.corr, cell.id, error);
    }
  }

  returnFailed(cell: Cell, failed: FailedMessage, error: unknown): void {
    this.stats[S_QUEUED]!--;
    this.receipt(failed.receipt, R_RETRY, error);
  }

  requeue(cell: Cell, failed: FailedMessage): void {
    if (failed.receipt !== 0) cell.mailbox.unshift(failed.msg, failed.thread | F_RECEIPT | (failed.last ? F_LAST : 0), failed.sender, failed.receipt);
    else cell.mailbox.unshift(failed.msg, failed.thread, failed.sender, failed.corr);
  }

  /** The message whose handler just failed, as supervision sees it; its receipt goes with it. */
  private failedMessage(ctx: Context, msg: unknown): FailedMessage {
    const failed: FailedMessage = { msg, thread: ctx.thread, sender: ctx.senderId, corr: ctx.corr, receipt: ctx.receipt, last: ctx.last, ctx };
    ctx.receipt = 0;
    return failed;
  }

  async reinit(cell: Cell, error: Error, onHookFailure: (err: Error) => void): Promise<void> {
    const def = cell.def;
    if (def.preRestart) {
      const failed = await this.runHook(cell, 'preRestart', (ctx) => def.preRestart!(cell.state, error, ctx));
      if (failed !== null) onHookFailure(failed);
    }
    // Children do not outlive their parent's old state (Akka's default preRestart).
    for (const child of [...cell.children.values()].reverse()) await this.stopCell(child);
    cell.state = def.init ? await this.runInit(cell, cell.sup.args) : undefined;
    if (def.postRestart) {
      const failed = await this.runHook(cell, 'postRestart', (ctx) => def.postRestart!(cell.state, ctx));
      if (failed !== null) throw failed;
    }
  }

  /**
   * Runs init (on spawn and on restart), blamed on the actor if it takes the worker down, and
   * bounded by the actor's initTimeoutMs (ERR_TROUPE_INIT_TIMEOUT). Resolves with the state.
   */
  private async runInit(cell: Cell, args: unknown): Promise<unknown> {
    const ms = cell.sup.initTimeoutMs;
    // A context of its own: once this init is given up on, it spawns nothing more.
    const ctx = new Context(this, cell);
    try {
      const result = this.runSync(cell, () => cell.def.init!(args, ctx));
      if (!isThenable(result)) return result;
      return await this.within(result, ms, () => new TroupeError('ERR_TROUPE_INIT_TIMEOUT',
        `init of ${cell.path} did not finish within ${ms} ms (initTimeoutMs)`, { details: { actor: cell.path, initTimeoutMs: ms } }));
    } catch (err) {
      ctx.expired = true;
      throw err;
    }
  }

  /**
   * Runs a lifecycle hook (preRestart, postRestart, postStop), bounded by the actor's
   * shutdownMs; resolves with what went wrong (its throw, or ERR_TROUPE_HOOK_TIMEOUT), or null.
   * A hook that hangs is left behind: its outcome, if it ever comes, is ignored.
   */
  private async runHook(cell: Cell, hook: string, fn: (ctx: Context) => unknown): Promise<Error | null> {
    const ms = cell.sup.shutdownMs;
    // A context of its own: a hook given up on spawns nothing more.
    const ctx = new Context(this, cell);
    try {
      const result = this.runSync(cell, () => fn(ctx));
      if (isThenable(result)) {
        await this.within(result, ms, () => new TroupeError('ERR_TROUPE_HOOK_TIMEOUT',
          `${hook} of ${cell.path} did not finish within ${ms} ms (shutdownMs)`, { details: { actor: cell.path, hook, shutdownMs: ms } }));
      }
      return null;
    } catch (err) {
      ctx.expired = true;
      return err instanceof Error ? err : new Error(`${hook} threw a non-error: ${String(err)}`);
    }
  }

  /** Runs `fn` as the actor (its sends have it as sender; a crash of the worker now is blamed on it). */
  private runSync<T>(cell: Cell, fn: () => T): T {
    const stats = this.stats;
    // Nested (a child spawned by its parent's init): the outer actor's slots come back after.
    const prev = this.current;
    const prevActor = stats[S_CUR_ACTOR]!;
    const prevRoot = stats[S_CUR_ROOT]!;
    const prevFrom = stats[S_CUR_FROM]!;
    this.current = cell;
    stats[S_CUR_ACTOR] = cell.id;
    stats[S_CUR_ROOT] = cell.rootId;
    stats[S_CUR_FROM] = -1; // (no message of its mailbox is running)
    try {
      return fn();
    } finally {
      this.current = prev;
      stats[S_CUR_ACTOR] = prevActor;
      stats[S_CUR_ROOT] = prevRoot;
      stats[S_CUR_FROM] = prevFrom;
    }
  }

  /** `p`, or a rejection with `timeout()` after `ms`. */
  private within<T>(p: PromiseLike<T>, ms: number, timeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => reject(timeout()), ms);
      p.then((v) => { this.clock.clearTimeout(timer); resolve(v); }, (e: unknown) => { this.clock.clearTimeout(timer); reject(e); });
    });
  }

  event(e: SupervisionEvent): void {
    try {
      this.notifyMain({ t: 'event', event: e });
    } catch {
      // An error with fields the codec cannot carry: the events port can (unordered).
      this.eventBatch.push(e);
      if (this.eventBatch.length === 1) queueMicrotask(() => this.flushDeadLetters());
    }
  }

  private breakerMoved(cell: Cell, t: BreakerTransition): void {
    if (t.from === 'closed') this.stats[S_OPEN_BREAKERS]!++;
    else if (t.to === 'closed') this.stats[S_OPEN_BREAKERS]!--;
    this.event({ type: 'breaker', actor: cell.path, from: t.from, to: t.to, resetTimeoutMs: t.resetTimeoutMs, time: Date.now() });
    this.log[t.to === 'open' ? 'warn' : 'info']({ actor: cell.path, from: t.from, to: t.to, resetTimeoutMs: t.resetTimeoutMs },
      `circuit breaker ${t.from} -> ${t.to}`);
  }

  private handleSystem(cell: Cell, m: SystemMessage): void {
    switch (m.t) {
      case 'stop':
        // A permanent child that stops itself is restarted (OTP); any other stop is final.
        if (m.self && cell.sup.restartType === 'permanent' && !this.closed) this.supervision.restartAfterNormalStop(cell);
        else void this.stopCell(cell);
        return;
      case 'watch':
        this.addWatcher(cell, m.thread, m.id);
        return;
      case 'terminated':
        if (cell.watching?.delete(`${m.thread}.${m.id}`)) this.terminated(cell, new ActorRef(m.path, m.thread, m.id, this));
        return;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Watch

  /** `watcher` watches `ref`: it gets one `terminated` notice when `ref` stops, for any reason. */
  watch(watcher: Cell, ref: ActorRef): void {
    // The watcher keeps what it watches: a second watch of the same actor sends nothing, and
    // exactly one notice is taken per watch (a watch that crossed the actor's stop on the way
    // could otherwise bring a notice from the stop and another from "already gone").
    const key = `${ref.thread}.${ref.id}`;
    const watching = (watcher.watching ??= new Map());
    if (watching.has(key)) return;
    watching.set(key, ref.path);
    if (ref.thread !== this.thread) {
      this.mesh.send(ref.thread, ref.id, 0, 0, K_SYSTEM, { t: 'watch', thread: this.thread, id: watcher.id, path: ref.path });
      return;
    }
    const target = this.cells.get(ref.id);
    if (target && !target.stopped) this.addWatcher(target, this.thread, watcher.id);
    else if (!target && this.held?.has(ref.id)) this.hold(this.thread, ref.id, 0, 0, K_SYSTEM, { t: 'watch', thread: this.thread, id: watcher.id, path: ref.path });
    else this.sendTerminated(this.thread, watcher.id, ref.path, ref.thread, ref.id);
  }

  /**
   * Worker `thread` died and was replaced: what our actors watched there either lives again under
   * the same id (watch it anew: its watcher list died with it) or is gone (the notice, now).
   */
  private peerReplaced(thread: number, restarted: Set<number>): void {
    const prefix = `${thread}.`;
    for (const cell of this.cells.values()) {
      const watching = cell.watching;
      if (watching === null || cell.stopped) continue;
      for (const [key, path] of [...watching]) {
        if (!key.startsWith(prefix)) continue;
        const id = Number(key.slice(prefix.length));
        if (restarted.has(id)) {
          this.mesh.send(thread, id, 0, 0, K_SYSTEM, { t: 'watch', thread: this.thread, id: cell.id, path });
        } else {
          this.system(cell, { t: 'terminated', path, thread, id });
        }
      }
    }
  }

  private addWatcher(cell: Cell, thread: number, id: number): void {
    const w = (cell.watchers ??= []);
    for (let i = 0; i < w.length; i += 2) if (w[i] === thread && w[i + 1] === id) return; // once per watcher
    w.push(thread, id);
  }

  private sendTerminated(toThread: number, toId: number, path: string, thread: number, id: number): void {
    const notice: SystemMessage = { t: 'terminated', path, thread, id };
    if (toThread !== this.thread) {
      this.mesh.send(toThread, toId, 0, 0, K_SYSTEM, notice);
      return;
    }
    const watcher = this.cells.get(toId);
    if (watcher) this.system(watcher, notice);
  }

  /** Runs the watcher's `terminated` hook like a handler: its errors go to its supervisor. */
  private terminated(cell: Cell, ref: ActorRef): void {
    const hook = cell.def.terminated;
    if (!hook || cell.stopping !== null) return;
    this.current = cell;
    let result: unknown;
    try {
      result = hook(cell.state, ref, cell.ctx);
    } catch (err) {
      this.current = null;
      this.supervision.fail(cell, err, null);
      return;
    }
    this.current = null;
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      cell.busy = true;
      (result as Promise<unknown>).then(
        (s) => { if (cell.abandoned) return; this.settled(cell); if (s !== undefined) cell.state = s; this.resume(cell); },
        (err) => { if (cell.abandoned) return; this.settled(cell); this.supervision.fail(cell, err, null); this.resume(cell); },
      );
    } else if (result !== undefined) {
      cell.state = result;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Stopping

  private async stopById(id: number): Promise<ReleasedName[]> {
    const cell = this.cells.get(id);
    if (!cell) return [];
    const released: ReleasedName[] = [];
    const collect = (c: Cell): void => {
      if (c.name !== undefined) released.push({ name: registryKey(c), id: c.id });
      for (const child of c.children.values()) collect(child);
    };
    collect(cell);
    await this.stopCell(cell);
    // Main drops these names when this call returns, so a lookup right after stop() misses.
    return released;
  }

  /**
   * Stops an actor: waits for a running handler, stops its children (last started first), runs
   * postStop, and dead-letters the mail it will never read (reason `actor-stopped`).
   */
  stopCell(cell: Cell): Promise<void> {
    if (cell.stopping === null) cell.stopping = this.doStop(cell);
    return cell.stopping;
  }

  private async doStop(cell: Cell): Promise<void> {
    if (cell.busy && !(await this.waitIdle(cell, cell.sup.shutdownMs))) this.abandon(cell);
    const children = [...cell.children.values()].reverse();
    for (const child of children) await this.stopCell(child);
    if (cell.def.postStop) {
      // A postStop that throws or hangs is reported; the stop goes on (and releases the name).
      const failed = await this.runHook(cell, 'postStop', (ctx) => cell.def.postStop!(cell.state, ctx));
      if (failed !== null) this.supervision.report(cell, failed, 'postStop failed; the actor stopped all the same');
    }
    const box = cell.mailbox;
    while (box.size > 0) {
      const i = box.first;
      this.stats[S_QUEUED]!--;
      const corr = box.corrAt(i);
      const t = box.senderThreadAt(i);
      if (t >= F_RECEIPT && (t & F_LAST) === 0) {
        // From another node: it redelivers it (to this actor's next incarnation, or to no one).
        this.receipt(corr, R_RETRY);
        box.shift();
        continue;
      }
      this.stats[S_DEAD_LETTERED]!++;
      this.deadLetter('actor-stopped', cell.path, this.senderPath(t & THREAD_MASK, box.senderIdAt(i)), box.messageAt(i));
      if (t >= F_RECEIPT) this.receipt(corr, R_DEAD_LETTERED);
      else if (corr !== 0) {
        this.replyError(box.senderThreadAt(i), corr, cell.id,
          new TroupeError('ERR_TROUPE_ACTOR_STOPPED', `${cell.path} stopped before it read this message`));
      }
      box.shift();
    }
    box.system.length = 0;
    const breaker = cell.sup.breaker;
    if (breaker) {
      if (breaker.state !== 'closed') this.stats[S_OPEN_BREAKERS]!--;
      breaker.dispose();
    }
    cell.stopped = true;
    this.cells.delete(cell.id);
    const watchers = cell.watchers;
    if (watchers) for (let i = 0; i < watchers.length; i += 2) this.sendTerminated(watchers[i]!, watchers[i + 1]!, cell.path, this.thread, cell.id);
    (cell.parent ? cell.parent.children : this.roots).delete(cell.childKey);
    this.stats[S_ACTORS]!--;
    if (cell.name !== undefined) this.notifyMain({ t: 'unname', name: registryKey(cell), thread: this.thread, id: cell.id });
    if (cell.parent === null && !this.closed) this.notifyMain({ t: 'exit', thread: this.thread, id: cell.id });
    this.flushDeadLetters();
    this.mesh.schedule();
  }

  /** Waits up to `ms` for the cell's running handler; false if it is still running then. */
  private waitIdle(cell: Cell, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(false), ms);
      cell.idleWaiters.push(() => { this.clock.clearTimeout(timer); resolve(true); });
    });
  }

  /**
   * Forces a stop past a handler that did not finish within shutdownMs (OTP: stop, wait, then
   * kill): its message is dead-lettered `stop-timeout` and its ask rejected; if the handler ever
   * settles, its outcome is ignored. (A handler stuck in a loop needs the worker watchdog.)
   */
  private abandon(cell: Cell): void {
    cell.abandoned = true;
    cell.busy = false;
    const ctx = cell.busyCtx;
    cell.busyCtx = null;
    if (ctx === null) {
      // A `terminated` hook was running, not a message: nothing to count or answer.
      this.log.warn({ actor: cell.path, shutdownMs: cell.sup.shutdownMs }, 'terminated hook still running at stop; stopped without it');
      return;
    }
    this.stats[S_DEAD_LETTERED]!++;
    this.stats[S_QUEUED]!--;
    this.freeBusySlot(ctx);
    this.deadLetter('stop-timeout', cell.path, this.senderPath(ctx.thread, ctx.senderId), cell.busyWith);
    if (ctx.receipt !== 0) {
      this.receipt(ctx.receipt, R_DEAD_LETTERED);
      ctx.receipt = 0;
    } else if (ctx.corr !== 0 && !ctx.answered) {
      ctx.answered = true;
      this.replyError(ctx.thread, ctx.corr, cell.id,
        new TroupeError('ERR_TROUPE_ACTOR_STOPPED', `${cell.path} was stopped while handling this message (after ${cell.sup.shutdownMs} ms)`));
    }
    this.log.warn({ actor: cell.path, shutdownMs: cell.sup.shutdownMs }, 'handler still running at stop; stopped without it');
  }

  private async stopAll(): Promise<void> {
    const roots = [...this.roots.values()].reverse();
    for (const cell of roots) await this.stopCell(cell);
  }

  // ------------------------------------------------------------------------------------------
  // Dead letters, idleness, stats

  /**
   * A record that cannot be delivered (mesh.ts, Undeliverable): its port part went to this ring's
   * previous consumer, a worker that died (`worker-died`), or its bytes do not decode
   * (`undecodable`). Counted and dead-lettered; an ask for it is rejected, a reply's ask fails at
   * once, and a tell from another node is settled as dead-lettered.
   */
  private undeliverable(from: number, target: number, sender: number, corr: number, kind: number,
    reason: 'worker-died' | 'undecodable', bytes: number, error: Error | null): void {
    if (kind >= K_UNCOUNTED) {
      this.log.error({ from, target, kind, reason, err: error }, 'a system record could not be delivered; skipped');
      return;
    }
    this.stats[S_DEAD_LETTERED]!++;
    const reply = kind === K_REPLY || kind === K_REPLY_ERROR;
    const what = reply ? `ask #${corr}` : this.cells.get(target)?.path ?? `@${this.thread}.${target}`;
    const err = undeliverableError(reason, `@${this.thread}.${target}`, bytes, error);
    this.deadLetter(reason, what, reply ? null : this.senderPath(from, sender),
      reason === 'worker-died' ? '[lost: sent over the port of a worker that died before it read it]' : { bytes }, toWireError(err));
    if (reply) this.asks.fail(corr, err);
    else if (kind === K_ASK && corr !== 0) this.replyError(from, corr, target, err);
    else if (kind === K_TELL_RECEIPT || kind === K_TELL_LAST) this.receipt(corr, R_DEAD_LETTERED, err);
  }

  private senderPath(thread: number, sender: number): string | null {
    if (thread < 0 || sender === 0) return null;
    return this.refFor(thread, sender).path;
  }

  /** Records a dead letter (the caller counts it). Batched to main once per turn. */
  deadLetter(reason: string, target: string, sender: string | null, message: unknown, error?: WireError,
    failure?: Pick<DeadLetterWire, 'category' | 'severity' | 'retries'>): void {
    this.deadBatch.push({ reason, target, sender, message, error, time: Date.now(), ...failure });
    if (this.deadBatch.length === 1) queueMicrotask(() => this.flushDeadLetters());
  }

  private flushDeadLetters(): void {
    if (this.eventBatch.length > 0) {
      const events = this.eventBatch;
      this.eventBatch = [];
      this.post({ t: 'events', events });
    }
    const batch = this.deadBatch;
    if (batch.length === 0) return;
    this.deadBatch = [];
    try {
      this.post({ t: 'dead-letters', entries: batch });
    } catch {
      // A message in it cannot be cloned (a function sent within this worker): describe those.
      this.post({ t: 'dead-letters', entries: batch.map((e) => (isCloneable(e.message) ? e : { ...e, message: `[unclonable ${typeof e.message}]` })) });
    }
  }

  private isIdle(): boolean {
    for (const cell of this.cells.values()) if (cell.busy) return false;
    return this.runHead >= this.runQueue.length && this.stats[S_QUEUED] === 0 && this.mesh.quiet();
  }

  private checkIdle(): void {
    if (this.idleWaiters.length > 0 && this.isIdle()) {
      const waiters = this.idleWaiters.splice(0);
      for (const w of waiters) w();
    }
  }

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

  private hostStats(): HostStats {
    let busy = false;
    for (const cell of this.cells.values()) if (cell.busy) { busy = true; break; }
    return { actors: this.cells.size, queued: this.stats[S_QUEUED]!, busy };
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
      this.stats[S_DEAD_LETTERED]!++;
      this.deadLetter('actor-stopped', kind === K_REPLY || kind === K_REPLY_ERROR ? `ask #${corr}` : `@${to}.${target}`,
        this.senderPath(this.thread, sender), value ?? '[not sent: the system stopped]');
    });
    this.flushDeadLetters();
    this.mesh.close();
    // Last on this port, after every dead letter: main waits for it before closing the port.
    this.events.postMessage({ t: 'closed' });
    this.closeResolve();
  }
}
