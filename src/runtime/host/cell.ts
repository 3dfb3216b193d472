/**
 * An actor as its host sees it: definition, state, mailbox, place in the tree, how it is
 * supervised, and what it watches. Its handlers' contexts are context.ts's.
 */
import type { Paths } from '../flow.js';
import type { Logger } from 'pino';
import type { DefinedActor } from '../../actors/define.js';
import { Mailbox } from '../../actors/mailbox.js';
import { ActorRef, type RefTransport } from '../../actors/ref.js';
import { Context, type ContextHost } from './context.js';
import type { SupervisorOptions, RestartType } from '../../supervision/options.js';
import type { Backoff } from '../../supervision/backoff.js';
import type { CircuitBreaker } from '../../supervision/breaker.js';
import type { RestartIntensity } from '../../supervision/intensity.js';
import type { ActorKind } from './observe.js';

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
  /** Made with its first restart. */
  backoff: Backoff | null;
  breaker: CircuitBreaker | null;
  /** Restarts allowed for this cell's children (its parent's window), or its own at the top. */
  intensity: RestartIntensity;
}

const NO_CHILDREN: ReadonlyMap<string, Cell> = new Map<string, Cell>();

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
  /** Children in start order (Map keeps insertion order), by name or `$id`; made with the first (most actors have none). */
  private kids: Map<string, Cell> | null = null;
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
  /** Its paths toward the actors it sends to (flow control, flow.ts): made on its first send. */
  paths: Paths | null = null;
  /** Its slot in the host's mailbox-depth table (mailbox-depths.ts), or -1. */
  depthSlot = -1;
  /** Its actor type's counts on this host (observe.ts), and its own: messages given to its handler (per turn), failures, restarts. */
  kind!: ActorKind;
  handled = 0;
  failed = 0;
  restarts = 0;
  /** performance.now() when its timed handler started (about one message in 64 per type: observe.ts), or -1. */
  timedAt = -1;
  /** Asks waiting in its mailbox (a muted actor still runs while one waits: flow-control.ts). */
  asks = 0;
  /** Called when its async handler settles (for a stop or restart that must wait for it); made when something waits. */
  idleWaiters: (() => void)[] | null = null;
  /** The context of init, the lifecycle hooks and `terminated`: no message, no sender (made on first use). */
  private context: Context | null = null;
  private readonly host: ContextHost & RefTransport;

  constructor(host: ContextHost & RefTransport, id: number, path: string, name: string | undefined, def: DefinedActor, mailbox: Mailbox, parent: Cell | null) {
    this.id = id;
    this.path = path;
    this.name = name;
    this.def = def;
    this.mailbox = mailbox;
    this.parent = parent;
    this.rootId = parent ? parent.rootId : id;
    this.ref = new ActorRef(path, host.thread, id, host, undefined, undefined, mailbox.highWaterMark);
    this.host = host;
  }

  /** Its children by child key. */
  get children(): ReadonlyMap<string, Cell> {
    return this.kids ?? NO_CHILDREN;
  }

  /** Its children, to add one to. */
  childMap(): Map<string, Cell> {
    return (this.kids ??= new Map());
  }

  /** Its context of init, the lifecycle hooks and `terminated`. */
  get ctx(): Context {
    return (this.context ??= new Context(this.host, this));
  }

  /** Runs `fn` when its running handler settles. */
  whenIdle(fn: () => void): void {
    (this.idleWaiters ??= []).push(fn);
  }

  get childKey(): string {
    return this.name ?? `$${this.id}`;
  }
}

