/**
 * An actor as its host sees it: definition, state, mailbox, place in the tree, how it is
 * supervised, and what it watches. Its handlers' contexts are context.ts's.
 *
 * A host may hold a million idle actors, so a cell keeps in its own fields only what an actor
 * that does nothing needs, and its booleans as bits of one number. The rest (its counts of
 * failures, a running async handler, what it watches, its logger...) lives in a side object made
 * the first time one of those is set (Rare); reading one before that gives its default.
 */
import type { Paths } from '../flow.js';
import type { Logger } from 'pino';
import type { DefinedActor } from '../../actors/define.js';
import type { Mailbox } from '../../actors/mailbox.js';
import { ActorRef, type RefTransport } from '../../actors/ref.js';
import { Context, type ContextHost } from './context.js';
import type { SupervisorOptions, RestartType } from '../../supervision/options.js';
import type { Backoff } from '../../supervision/backoff.js';
import type { CircuitBreaker } from '../../supervision/breaker.js';
import { RestartIntensity } from '../../supervision/intensity.js';
import type { ActorKind } from './observe.js';

/** How a cell is supervised: the spawn's settings, shared by the cells spawned with the same ones. */
export interface SupervisionSpec {
  readonly restartType: RestartType;
  /** How long a stop waits for a running handler (and a lifecycle hook may take) before it gives up on it. */
  readonly shutdownMs: number;
  /** How long init may take (on spawn and on restart). */
  readonly initTimeoutMs: number;
  /** How its parent (or the root) supervises it. */
  readonly policy: SupervisorOptions;
}

/** A child's key among its siblings: its name, or its id when it has none. */
export type ChildKey = string | number;

const NO_CHILDREN: readonly Cell[] = [];

/**
 * A parent's children in start order: a list through the children's own sibling links, so that
 * adding or removing one touches no array or Map (the driver of Fork-Join creation, parent of
 * 40,000 at once, spent 10 % of its time growing, rehashing and shrinking a Map of them), and
 * the named ones by name.
 */
class Kids {
  first: Cell | null = null;
  last: Cell | null = null;
  count = 0;
  named: Map<string, Cell> | null = null;
}

// Its booleans, as bits of Cell.flags.
const SCHEDULED = 1;
const BUSY = 2;
const STOPPED = 4;
const SUSPENDED = 8;
const ABANDONED = 16;

/** What few actors need, or need only once they have done something (see the file's note). */
class Rare {
  logger: Logger | undefined = undefined;
  busyWith: unknown = undefined;
  busyCtx: Context | null = null;
  retries = 0;
  failed = 0;
  restarts = 0;
  timedAt = -1;
  watching: Map<string, string> | null = null;
  watchers: number[] | null = null;
  /** Its children's shared restart window (Cell.intensity). */
  childIntensity: RestartIntensity | null = null;
  idleWaiters: (() => void)[] | null = null;
  context: Context | null = null;
  backoff: Backoff | null = null;
  breaker: CircuitBreaker | null = null;
  /** A top-level actor's own restart window (a child's is its parent's childIntensity). */
  ownIntensity: RestartIntensity | null = null;
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
  /** How it is supervised (shared with its siblings spawned alike). */
  readonly sup: SupervisionSpec;
  /** The spawn args, kept to run init() again on restart. */
  readonly args: unknown;
  /** Its children (made with the first: most actors have none); `prevSib`, `nextSib`: its place among its parent's. */
  private kids: Kids | null = null;
  private prevSib: Cell | null = null;
  private nextSib: Cell | null = null;
  /** The context of the message being handled, or null between messages (with tracing on: the one handled last). */
  cur: Context | null = null;
  state: unknown = undefined;
  stopping: Promise<void> | null = null;
  private flags = 0;
  /** Its paths toward the actors it sends to (flow control, flow.ts): made on its first send. */
  paths: Paths | null = null;
  /** Its slot in the host's mailbox-depth table (mailbox-depths.ts), or -1. */
  depthSlot = -1;
  /** Its actor type's counts on this host (observe.ts), and its own: messages given to its handler (per turn). */
  kind!: ActorKind;
  handled = 0;
  /** Asks waiting in its mailbox (a muted actor still runs while one waits: flow-control.ts). */
  asks = 0;
  /**
   * The policy its children's shared restart window is made by (its first child's, OTP's intensity
   * being the supervisor's), or null before its first child. The window itself is made with the
   * first restart: a parent whose children never fail (most) carries no Rare for it.
   */
  childPolicy: SupervisorOptions | null = null;
  private x: Rare | null = null;

  constructor(host: ContextHost & RefTransport, id: number, path: string, name: string | undefined, def: DefinedActor, mailbox: Mailbox,
    parent: Cell | null, sup: SupervisionSpec, args: unknown) {
    this.id = id;
    this.path = path;
    this.name = name;
    this.def = def;
    this.mailbox = mailbox;
    this.parent = parent;
    this.rootId = parent ? parent.rootId : id;
    this.sup = sup;
    this.args = args;
    this.ref = new ActorRef(path, host.thread, id, host, undefined, undefined, mailbox.highWaterMark);
  }

  private rare(): Rare {
    return (this.x ??= new Rare());
  }

  private flag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }

  /** In the run queue. */
  get scheduled(): boolean { return (this.flags & SCHEDULED) !== 0; }
  set scheduled(v: boolean) { this.flag(SCHEDULED, v); }
  /** An async handler is running. */
  get busy(): boolean { return (this.flags & BUSY) !== 0; }
  set busy(v: boolean) { this.flag(BUSY, v); }
  get stopped(): boolean { return (this.flags & STOPPED) !== 0; }
  set stopped(v: boolean) { this.flag(STOPPED, v); }
  /** Waiting out a restart backoff: takes no user mail until restarted. */
  get suspended(): boolean { return (this.flags & SUSPENDED) !== 0; }
  set suspended(v: boolean) { this.flag(SUSPENDED, v); }
  /** A stop gave up waiting for the running handler: ignore its outcome. */
  get abandoned(): boolean { return (this.flags & ABANDONED) !== 0; }
  set abandoned(v: boolean) { this.flag(ABANDONED, v); }

  /** Made on first use of ctx.log: a pino child per actor is too heavy for 100k idle actors. */
  get logger(): Logger | undefined { return this.x?.logger; }
  set logger(v: Logger | undefined) { if (v !== undefined || this.x !== null) this.rare().logger = v; }
  /** The message an async handler is working on, and its context (for a stop that gives up on it); not a hook's. */
  get busyWith(): unknown { return this.x?.busyWith; }
  set busyWith(v: unknown) { if (v !== undefined || this.x !== null) this.rare().busyWith = v; }
  get busyCtx(): Context | null { return this.x?.busyCtx ?? null; }
  set busyCtx(v: Context | null) { if (v !== null || this.x !== null) this.rare().busyCtx = v; }
  /** Times the message at the head of the mailbox has already failed (a retry after restart). */
  get retries(): number { return this.x?.retries ?? 0; }
  set retries(v: number) { if (v !== 0 || this.x !== null) this.rare().retries = v; }
  /** Its own counts: failures, restarts. */
  get failed(): number { return this.x?.failed ?? 0; }
  set failed(v: number) { this.rare().failed = v; }
  get restarts(): number { return this.x?.restarts ?? 0; }
  set restarts(v: number) { this.rare().restarts = v; }
  /** performance.now() when its timed handler started (about one message in 64 per type: observe.ts), or -1. */
  get timedAt(): number { return this.x?.timedAt ?? -1; }
  set timedAt(v: number) { if (v !== -1 || this.x !== null) this.rare().timedAt = v; }
  /** What this actor watches (`thread.id` → path), until the notice comes. */
  get watching(): Map<string, string> | null { return this.x?.watching ?? null; }
  set watching(v: Map<string, string> | null) { if (v !== null || this.x !== null) this.rare().watching = v; }
  /** Who watches this actor: (thread, id) pairs, flattened. */
  get watchers(): number[] | null { return this.x?.watchers ?? null; }
  set watchers(v: number[] | null) { if (v !== null || this.x !== null) this.rare().watchers = v; }
  /** Called when its async handler settles (for a stop or restart that must wait for it); made when something waits. */
  get idleWaiters(): (() => void)[] | null { return this.x?.idleWaiters ?? null; }
  set idleWaiters(v: (() => void)[] | null) { if (v !== null || this.x !== null) this.rare().idleWaiters = v; }
  /** Its restart backoff: made with its first restart. */
  get backoff(): Backoff | null { return this.x?.backoff ?? null; }
  set backoff(v: Backoff | null) { if (v !== null || this.x !== null) this.rare().backoff = v; }
  /** With the spawn option circuitBreaker. */
  get breaker(): CircuitBreaker | null { return this.x?.breaker ?? null; }
  set breaker(v: CircuitBreaker | null) { if (v !== null || this.x !== null) this.rare().breaker = v; }

  /**
   * The restart window it counts against: its parent's, shared by all the parent's children
   * (made by `childPolicy`), or at the top its own (by its spawn's policy). Made on first use.
   */
  get intensity(): RestartIntensity {
    const parent = this.parent;
    if (parent !== null) {
      const r = parent.rare();
      return (r.childIntensity ??= new RestartIntensity(parent.childPolicy!.maxRestarts, parent.childPolicy!.withinMs));
    }
    const r = this.rare();
    return (r.ownIntensity ??= new RestartIntensity(this.sup.policy.maxRestarts, this.sup.policy.withinMs));
  }

  /** Its children, in start order (a new array: the list is the children's own links). */
  childList(): readonly Cell[] {
    const kids = this.kids;
    if (kids === null) return NO_CHILDREN;
    const list = new Array<Cell>(kids.count);
    let i = 0;
    for (let c = kids.first; c !== null; c = c.nextSib) list[i++] = c;
    return list;
  }

  get childCount(): number {
    return this.kids?.count ?? 0;
  }

  /** Its child with child key `key` (by id, a walk of its children: what finds one by id is the actor table). */
  child(key: ChildKey): Cell | undefined {
    const kids = this.kids;
    if (kids === null) return undefined;
    if (typeof key === 'string') return kids.named?.get(key);
    for (let c = kids.first; c !== null; c = c.nextSib) if (c.name === undefined && c.id === key) return c;
    return undefined;
  }

  /** Whether `cell` is among its children now. */
  hasChild(cell: Cell): boolean {
    return cell.parent === this && this.kids !== null && (cell.prevSib !== null || this.kids.first === cell);
  }

  /** Adds `child` last, or, named as a child it has, in that one's place (as Map.set). */
  addChild(child: Cell): void {
    if (this.hasChild(child)) return; // (linked twice, it would point at itself)
    const kids = (this.kids ??= new Kids());
    const name = child.name;
    const old = name === undefined || kids.named === null ? undefined : kids.named.get(name);
    if (name !== undefined) (kids.named ??= new Map()).set(name, child);
    if (old !== undefined) {
      const prev = (child.prevSib = old.prevSib);
      const next = (child.nextSib = old.nextSib);
      if (prev === null) kids.first = child; else prev.nextSib = child;
      if (next === null) kids.last = child; else next.prevSib = child;
      old.prevSib = old.nextSib = null;
      return;
    }
    const last = kids.last;
    child.prevSib = last;
    child.nextSib = null;
    if (last === null) kids.first = child; else last.nextSib = child;
    kids.last = child;
    kids.count++;
  }

  /** Removes `child` from its children (nothing if it is not one of them now). */
  removeChild(child: Cell): void {
    if (!this.hasChild(child)) return;
    const kids = this.kids!;
    const prev = child.prevSib;
    const next = child.nextSib;
    if (prev === null) kids.first = next; else prev.nextSib = next;
    if (next === null) kids.last = prev; else next.prevSib = prev;
    child.prevSib = child.nextSib = null;
    if (child.name !== undefined && kids.named!.get(child.name) === child) kids.named!.delete(child.name);
    if (--kids.count === 0) this.kids = null;
  }

  /** Its context of init, the lifecycle hooks and `terminated`. */
  get ctx(): Context {
    const r = this.rare();
    return (r.context ??= new Context(ActorRef.transportOf(this.ref) as ContextHost & RefTransport, this));
  }

  /** Runs `fn` when its running handler settles. */
  whenIdle(fn: () => void): void {
    (this.rare().idleWaiters ??= []).push(fn);
  }

  /** Its key among its siblings: its name, or its id. */
  get childKey(): ChildKey {
    return this.name ?? this.id;
  }
}
