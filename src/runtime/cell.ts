/**
 * An actor as its host sees it: definition, state, mailbox, place in the tree, and the context
 * object its handlers get (one per actor, reused for every message).
 */
import type { Logger } from 'pino';
import type { ActorContext, ChildSpawnOptions, DefinedActor } from '../actors/define.js';
import { Mailbox } from '../actors/mailbox.js';
import { ActorRef, type AskOptions, type TellOptions } from '../actors/ref.js';
import { invalidArgument } from '../actors/errors.js';
import { checkTellOptions } from '../actors/send-options.js';
import type { ErrorReport } from '../bridge/error-events.js';
import type { Host } from './host.js';
import type { SupervisorOptions, RestartType } from '../supervision/options.js';
import type { Backoff } from '../supervision/backoff.js';
import type { CircuitBreaker } from '../supervision/breaker.js';
import type { RestartIntensity } from '../supervision/intensity.js';

/** How a cell is supervised: set by its host when it is created. */
export interface CellSupervision {
  /** The spawn args, kept to run init() again on restart. */
  args: unknown;
  restartType: RestartType;
  /** How long a stop waits for a running handler before it gives up on it. */
  shutdownMs: number;
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
  /** Children in start order (Map keeps insertion order), by name or `$id`. */
  readonly children = new Map<string, Cell>();
  readonly ctx: Context;
  state: unknown = undefined;
  /** In the run queue. */
  scheduled = false;
  /** An async handler is running. */
  busy = false;
  stopping: Promise<void> | null = null;
  stopped = false;
  /** Waiting out a restart backoff: takes no user mail until restarted. */
  suspended = false;
  /** The message an async handler is working on (for a stop that gives up on it). */
  busyWith: unknown = undefined;
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
  /** The current message's sender and correlation id (valid while its handler runs). */
  curThread = -1;
  curSender = 0;
  curCorr = 0;
  /** The current message's receipt id (a tell from another node), or 0; and whether it is its last delivery. */
  curReceipt = 0;
  curLast = false;
  /** Resolved when an async handler settles (for a stop that must wait for it). */
  idleWaiters: (() => void)[] = [];

  constructor(host: Host, id: number, path: string, name: string | undefined, def: DefinedActor, mailbox: Mailbox, parent: Cell | null) {
    this.id = id;
    this.path = path;
    this.name = name;
    this.def = def;
    this.mailbox = mailbox;
    this.parent = parent;
    this.ref = new ActorRef(path, host.thread, id, host);
    this.ctx = new Context(host, this);
  }

  get childKey(): string {
    return this.name ?? `$${this.id}`;
  }
}

export class Context implements ActorContext {
  private logger: Logger | undefined;
  constructor(private readonly host: Host, private readonly cell: Cell) {}

  get self(): ActorRef { return this.cell.ref; }
  get name(): string | undefined { return this.cell.name; }

  get sender(): ActorRef | null {
    const c = this.cell;
    if (c.curThread < 0 || c.curSender === 0) return null;
    return this.host.refFor(c.curThread, c.curSender);
  }

  get log(): Logger {
    // Made on first use: a pino child per actor is too heavy for 100k idle actors.
    return (this.logger ??= this.host.log.child({ actor: this.cell.path }));
  }

  reply(value: unknown): void {
    this.host.reply(this.cell, value);
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
    return this.host.spawnChild(this.cell, module, options);
  }

  watch(ref: ActorRef): void {
    if (!(ref instanceof ActorRef)) throw invalidArgument('ref', 'an ActorRef', ref);
    this.host.watch(this.cell, ref);
  }

  stop(ref?: ActorRef): void {
    this.host.requestStop(ref ?? this.cell.ref, this.cell);
  }

  reportError(report: ErrorReport): void {
    this.host.reportError(this.cell, report);
  }
}
