/**
 * An actor as its host sees it: definition, state, mailbox, place in the tree, and the context
 * objects its handlers get (one per message; one per actor for init, hooks and `terminated`).
 */
import type { Logger } from 'pino';
import type { ActorContext, ChildSpawnOptions, DefinedActor } from '../../actors/define.js';
import { Mailbox } from '../../actors/mailbox.js';
import { ActorRef, type AskOptions, type TellOptions } from '../../actors/ref.js';
import { invalidArgument } from '../../actors/errors.js';
import { checkTellOptions } from '../../actors/send-options.js';
import type { ErrorReport } from '../../observability/error-events.js';
import type { Host } from './host.js';
import type { SupervisorOptions, RestartType } from '../../supervision/options.js';
import type { Backoff } from '../../supervision/backoff.js';
import type { CircuitBreaker } from '../../supervision/breaker.js';
import type { RestartIntensity } from '../../supervision/intensity.js';

/** How a cell is supervised: set by its host when it is created. */
export interface CellSupervision {
  /** The spawn args, kept to run init() again on restart. */
  args: unknown;
  restartType: RestartType;
  /** How long a stop waits for a running handler (and a lifecycle hook may take) before it gives up on it. */
  shutdownMs: number;
  /** How long init may take (on spawn and on restart). */
  initTimeoutMs: number;
  /** How its parent (or the root) supervises it. */
  policy: SupervisorOptions;
  backoff: Backoff;
  breaker: CircuitBreaker | null;
  /** Restarts allowed for this cell's children (its parent's window), or its own at the top. */
  intensity: RestartIntensity;
}

export class Cell {
  readonly id: number;
  readonly path: string;
  readonly name: string | undefined;
  readonly def: DefinedActor;
  readonly mailbox: Mailbox;
  readonly ref: ActorRef;
  readonly parent: Cell | null;
  /** The id of its top-level ancestor (its own, at the top): a worker's death is blamed on that subtree. */
  readonly rootId: number;
  /** Children in start order (Map keeps insertion order), by name or `$id`. */
  readonly children = new Map<string, Cell>();
  /** The context of init, the lifecycle hooks and `terminated`: no message, no sender. */
  readonly ctx: Context;
  /** The context of the message being handled (or last handled), or null before the first. */
  cur: Context | null = null;
  /** Made on first use of ctx.log: a pino child per actor is too heavy for 100k idle actors. */
  logger: Logger | undefined = undefined;
  state: unknown = undefined;
  /** In the run queue. */
  scheduled = false;
  /** An async handler is running. */
  busy = false;
  stopping: Promise<void> | null = null;
  stopped = false;
  /** Waiting out a restart backoff: takes no user mail until restarted. */
  suspended = false;
  /** The message an async handler is working on, and its context (for a stop that gives up on it); not a hook's. */
  busyWith: unknown = undefined;
  busyCtx: Context | null = null;
  /** A stop gave up waiting for the running handler: ignore its outcome. */
  abandoned = false;
  /** Times the message at the head of the mailbox has already failed (a retry after restart). */
  retries = 0;
  /** Set right after construction by the host. */
  sup!: CellSupervision;
  /** What this actor watches (`thread.id` → path), until the notice comes. */
  watching: Map<string, string> | null = null;
  /** Who watches this actor: (thread, id) pairs, flattened. */
  watchers: number[] | null = null;
  /** As a supervisor: the restart window shared by its children (made on first child). */
  childIntensity: RestartIntensity | null = null;
  /** Resolved when an async handler settles (for a stop that must wait for it). */
  idleWaiters: (() => void)[] = [];

  constructor(host: Host, id: number, path: string, name: string | undefined, def: DefinedActor, mailbox: Mailbox, parent: Cell | null) {
    this.id = id;
    this.path = path;
    this.name = name;
    this.def = def;
    this.mailbox = mailbox;
    this.parent = parent;
    this.rootId = parent ? parent.rootId : id;
    this.ref = new ActorRef(path, host.thread, id, host);
    this.ctx = new Context(host, this);
  }

  get childKey(): string {
    return this.name ?? `$${this.id}`;
  }
}

/**
 * What a handler sees besides its state and message. There is one per message: it keeps the
 * message it was handed with, so `reply` and `sender` used after the handler returned (in a
 * `.then`, a timer) act for that message, never for whichever message the actor is on by then.
 */
export class Context implements ActorContext {
  /** Its ask has been answered (by a reply, or by the runtime rejecting it): another reply is late. */
  answered = false;
  /** While its handler is suspended: its entry in the host's busy-ask table (busy-asks.ts), or -1. */
  busySlot = -1;
  /** An init given up on (it failed or timed out) may go on running: it spawns no more children. */
  expired = false;

  /**
   * @param thread the sender's thread (-1: no message), `sender` its actor id (0: none), `corr`
   *   the ask's id (0: a tell); `receipt`: a tell from another node wants a receipt with this id
   *   (0: none; cleared once sent), and `last`: it is its last delivery.
   */
  constructor(
    readonly host: Host, readonly cell: Cell,
    readonly thread = -1, readonly senderId = 0, readonly corr = 0, public receipt = 0, readonly last = false,
  ) {}

  get self(): ActorRef { return this.cell.ref; }
  get name(): string | undefined { return this.cell.name; }

  get sender(): ActorRef | null {
    if (this.thread < 0 || this.senderId === 0) return null;
    return this.host.refFor(this.thread, this.senderId);
  }

  get log(): Logger {
    const c = this.cell;
    return (c.logger ??= this.host.log.child({ actor: c.path }));
  }

  reply(value: unknown): void {
    this.host.reply(this, value);
  }

  tell(to: ActorRef, msg: unknown, options?: TellOptions): void {
    if (!(to instanceof ActorRef)) throw invalidArgument('to', 'an ActorRef', to);
    this.host.send(to, msg, this.cell, checkTellOptions(options), options?.delivery);
  }

  ask<R = unknown>(to: ActorRef, msg: unknown, options?: AskOptions): Promise<R> {
    if (!(to instanceof ActorRef)) return Promise.reject(invalidArgument('to', 'an ActorRef', to));
    return this.host.ask(to, msg, options, this.cell) as Promise<R>;
  }

  spawn(module: URL | string, options: ChildSpawnOptions = {}): Promise<ActorRef> {
    return this.host.spawnChild(this.cell, module, options, this);
  }

  watch(ref: ActorRef): void {
    if (!(ref instanceof ActorRef)) throw invalidArgument('ref', 'an ActorRef', ref);
    this.host.watch(this.cell, ref);
  }

  stop(ref?: ActorRef): void {
    if (ref !== undefined && !(ref instanceof ActorRef)) throw invalidArgument('ref', 'an ActorRef (this actor or a child)', ref);
    this.host.stopSelfOrChild(this.cell, ref ?? this.cell.ref);
  }

  reportError(report: ErrorReport): void {
    this.host.reportError(this.cell, report);
  }
}
