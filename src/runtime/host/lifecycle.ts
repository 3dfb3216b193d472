/**
 * An actor's life on its host, up to its stop (stopping.ts): spawning it (a top-level actor for
 * main, a child for its parent), running its `init` (bounded by initTimeoutMs), its lifecycle
 * hooks (bounded by shutdownMs) and a restart's `preRestart`, children's stop, `init` again and
 * `postRestart`. Whatever an actor's own code runs synchronously is marked in shared memory
 * (S_CUR_ACTOR, S_CUR_ROOT) so that a worker that dies in it is blamed on that actor.
 */
import type { ActorRef, RefTransport } from '../../actors/ref.js';
import type { Tracing } from '../../observability/tracing.js';
import { typeOf } from './observe.js';
import type { ChildSpawnOptions } from '../../actors/define.js';
import { TroupeError, invalidArgument } from '../../actors/errors.js';
import { Mailbox, mailboxOptions } from '../../actors/mailbox.js';
import { CircuitBreaker, type BreakerTransition } from '../../supervision/breaker.js';
import type { Clock, Random } from '../../supervision/clock.js';
import {
  DEFAULT_SUPERVISOR, breakerOptions, restartType, shutdownMs, supervisorOptions, type RestartType, type SupervisorOptions,
} from '../../supervision/options.js';
import type { DefinedActor } from '../../actors/define.js';
import { S_CUR_ACTOR, S_CUR_FROM, S_CUR_ROOT } from '../constants.js';
import type { MainNotice, SpawnReply, SpawnRequest } from '../protocol.js';
import type { MeshNode } from '../mesh/mesh-node.js';
import { checkChildSpawnOptions } from '../main/spawn-options.js';
import { registryKey, type ActorTable } from './actor-table.js';
import type { HostFlow } from './flow-control.js';
import { Cell, type SupervisionSpec } from './cell.js';
import { Context, type ContextHost } from './context.js';
import { loadActor, loadedActor } from './modules.js';

/** How deep children spawned by an init are made at once, within the spawning call (spawnChild). */
const MAX_NESTED = 8;
/** How long init may take when the spawn does not say (initTimeoutMs). */
const DEFAULT_INIT_TIMEOUT_MS = 10_000;

/** What an actor's lifecycle asks of its host. */
export interface LifecycleHost {
  readonly thread: number;
  readonly stats: Float64Array;
  readonly clock: Clock;
  readonly random: Random;
  readonly mesh: MeshNode;
  readonly actors: ActorTable;
  readonly strict: boolean;
  readonly flow: HostFlow;
  readonly tracing: Tracing | null;
  /** The actor whose code runs synchronously now (the implicit sender of `ref.tell`). */
  current: Cell | null;
  breakerMoved(cell: Cell, t: BreakerTransition): void;
  notifyMain(n: MainNotice): void;
  stopCell(cell: Cell): Promise<void>;
}

export class Lifecycle {
  /** Children's supervision by default, for each parent's definition (supervisorOptions makes a new object each time). */
  private readonly policies = new WeakMap<DefinedActor, SupervisorOptions>();
  /** The last spawn's supervision settings: siblings spawned alike share them. */
  private lastSpec: SupervisionSpec | null = null;
  /** Children being made at once (spawnChild) within one another's init, now. */
  private nested = 0;

  constructor(private readonly host: LifecycleHost & ContextHost & RefTransport) {}

  /** A top-level actor, for main (or re-created on a replacement host under its old id). */
  async spawnRoot(req: SpawnRequest): Promise<SpawnReply> {
    const codec = this.host.mesh.codec;
    const args = req.argsBytes !== undefined ? codec.decode(req.argsBytes, 0, req.argsBytes.length, req.argsSlots ?? null) : undefined;
    const cell = await this.create(req.url, req.name, args, req.mailbox, null, req);
    return { id: cell.id, path: cell.path };
  }

  /**
   * ctx.spawn: a child of `parent`, on this worker. `from`: the context that spawns it. When its
   * module is loaded and its init is synchronous, the child is made at once, with no await: a
   * promise, an async frame and a microtask each fewer per actor (agents that spawn a child per
   * request pay this on each).
   */
  spawnChild(parent: Cell, module: URL | string, options: ChildSpawnOptions, from: Context | null = null): Promise<ActorRef> {
    try {
      if (from?.expired) {
        throw new TroupeError('ERR_TROUPE_ACTOR_STOPPED', `the init of ${parent.path} that spawns this was given up on (it failed or timed out); it spawns nothing more`);
      }
      const url = module instanceof URL ? module.href : module;
      if (typeof url !== 'string') throw invalidArgument('module', 'a URL or a URL string', module);
      checkChildSpawnOptions(options);
      if (parent.stopping) throw new TroupeError('ERR_TROUPE_ACTOR_STOPPED', `${parent.path} is stopping; it cannot spawn`);
      const h = this.host;
      const args = h.strict && options.args !== undefined ? h.mesh.codec.copy(options.args) : options.args;
      // Made at once only a few levels deep: a chain of inits that each spawn the next would
      // otherwise recurse on the stack, one level per link. Deeper, the making waits a microtask.
      const loaded = this.nested < MAX_NESTED ? loadedActor(url) : undefined;
      let made: Cell | Promise<Cell>;
      if (loaded === undefined) made = this.create(url, options.name, args, options.mailbox, parent, options);
      else {
        this.nested++;
        try {
          made = this.start(loaded, url, options.name, args, options.mailbox, parent, options);
        } finally {
          this.nested--;
        }
      }
      return made instanceof Cell ? Promise.resolve(made.ref) : made.then((cell) => cell.ref);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private async create(url: string, name: string | undefined, args: unknown, mailbox: SpawnRequest['mailbox'], parent: Cell | null, o: Settings): Promise<Cell> {
    return this.start(await loadActor(url), url, name, args, mailbox, parent, o);
  }

  /**
   * Makes the actor and runs its init: the cell, at once when init is synchronous (or absent),
   * else a promise of it. Throws (or rejects) with ERR_TROUPE_INIT_FAILED or ERR_TROUPE_INIT_TIMEOUT.
   */
  private start(loaded: DefinedActor, url: string, name: string | undefined, args: unknown, mailbox: SpawnRequest['mailbox'], parent: Cell | null,
    o: Settings): Cell | Promise<Cell> {
    const h = this.host;
    const box = new Mailbox(mailboxOptions(mailbox));
    const restart = restartType(o.restart);
    const breaker = breakerOptions(o.circuitBreaker);
    // Tracing: its receive runs each traced message inside a span (observability/tracing.ts).
    const def = h.tracing === null ? loaded : h.tracing.actor(loaded, typeOf(url));
    const policy = o.supervision === undefined ? this.policyOf(parent) : supervisorOptions(parent?.def.supervisor, o.supervision);
    const sup = this.spec(restart, policy, shutdownMs(o.shutdownMs), o.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS);
    if (name !== undefined && h.actors.siblingTaken(parent, name)) {
      throw new TroupeError('ERR_TROUPE_NAME_TAKEN', `${parent ? parent.path : '/user'} already has a child named ${JSON.stringify(name)}`);
    }
    const id = h.actors.allocate(o.id);
    const cell = new Cell(h, id, childPath(parent, name, h.thread, id), name, def, box, parent, sup, args);
    cell.kind = h.actors.kinds.of(url);
    if (breaker) cell.breaker = new CircuitBreaker(breaker, h.clock, (t) => h.breakerMoved(cell, t));
    // Restart intensity is the supervisor's: shared by all children of one parent (OTP), by its first child's policy.
    if (parent) parent.childPolicy ??= policy;
    h.actors.addSibling(cell); // reserve the name while init runs
    if (!def.init) return this.started(cell);
    let state: unknown;
    try {
      state = this.init(cell, args);
    } catch (err) {
      return this.initFailed(cell, err);
    }
    if (!(state instanceof InitRunning)) {
      cell.state = state;
      return this.started(cell);
    }
    return state.done.then((s) => { cell.state = s; return this.started(cell); }, (err: unknown) => this.initFailed(cell, err));
  }

  /** Its init is done: it takes mail. */
  private started(cell: Cell): Cell {
    const h = this.host;
    h.actors.add(cell);
    if (cell.name !== undefined) h.notifyMain({ t: 'name', name: registryKey(cell), path: cell.path, thread: h.thread, id: cell.id, mark: cell.mailbox.highWaterMark });
    return cell;
  }

  /** Its init failed: its name is free again, and children its init spawned go with it. Rejects with what the spawn rejects with. */
  private async initFailed(cell: Cell, err: unknown): Promise<never> {
    const h = this.host;
    h.actors.removeSibling(cell);
    h.flow.forget(cell);
    for (const child of [...cell.childList()].reverse()) await h.stopCell(child);
    if (err instanceof TroupeError && err.code === 'ERR_TROUPE_INIT_TIMEOUT') throw err;
    throw new TroupeError('ERR_TROUPE_INIT_FAILED', `init of ${cell.path} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }

  /** How `parent`'s children are supervised when their spawn does not say (the root's way for a top-level actor). */
  private policyOf(parent: Cell | null): SupervisorOptions {
    if (parent === null || parent.def.supervisor === undefined) return DEFAULT_SUPERVISOR;
    let p = this.policies.get(parent.def);
    if (p === undefined) this.policies.set(parent.def, p = supervisorOptions(parent.def.supervisor));
    return p;
  }

  /** These settings, as the last spawn's object when they are the same. */
  private spec(restartType: RestartType, policy: SupervisorOptions, shutdownMs: number, initTimeoutMs: number): SupervisionSpec {
    const last = this.lastSpec;
    if (last !== null && last.restartType === restartType && last.policy === policy && last.shutdownMs === shutdownMs && last.initTimeoutMs === initTimeoutMs) {
      return last;
    }
    return (this.lastSpec = { restartType, policy, shutdownMs, initTimeoutMs });
  }

  /**
   * A restart: preRestart (a failure of it is reported with `onHookFailure` and the restart goes
   * on), the children stop, init again, postRestart. Rejects when init or postRestart failed
   * (threw or timed out): the restart failed.
   */
  async reinit(cell: Cell, error: Error, onHookFailure: (err: Error) => void): Promise<void> {
    const def = cell.def;
    if (def.preRestart) {
      const failed = await this.runHook(cell, 'preRestart', (ctx) => def.preRestart!(cell.state, error, ctx));
      if (failed !== null) onHookFailure(failed);
    }
    // Children do not outlive their parent's old state (Akka's default preRestart).
    for (const child of [...cell.childList()].reverse()) await this.host.stopCell(child);
    if (def.init) {
      const state = this.init(cell, cell.args);
      cell.state = state instanceof InitRunning ? await state.done : state;
    } else {
      cell.state = undefined;
    }
    if (def.postRestart) {
      const failed = await this.runHook(cell, 'postRestart', (ctx) => def.postRestart!(cell.state, ctx));
      if (failed !== null) throw failed;
    }
  }

  /**
   * Runs init (on spawn and on restart), blamed on the actor if it takes the worker down: the
   * state it returned, or, when it returned a promise, an InitRunning whose `done` resolves with
   * the state, bounded by the actor's initTimeoutMs (ERR_TROUPE_INIT_TIMEOUT). Throws what init throws.
   */
  private init(cell: Cell, args: unknown): unknown {
    // A context of its own: once this init is given up on, it spawns nothing more.
    const ctx = new Context(this.host, cell);
    let result: unknown;
    try {
      result = this.runSync(cell, cell.def.init!, cell.def, args, ctx);
    } catch (err) {
      ctx.expired = true;
      throw err;
    }
    if (!isThenable(result)) return result;
    const ms = cell.sup.initTimeoutMs;
    const done = this.within(result, ms, () => new TroupeError('ERR_TROUPE_INIT_TIMEOUT',
      `init of ${cell.path} did not finish within ${ms} ms (initTimeoutMs)`, { details: { actor: cell.path, initTimeoutMs: ms } }));
    return new InitRunning(done.catch((err: unknown) => { ctx.expired = true; throw err; }));
  }

  /**
   * Runs a lifecycle hook (preRestart, postRestart, postStop), bounded by the actor's
   * shutdownMs; resolves with what went wrong (its throw, or ERR_TROUPE_HOOK_TIMEOUT), or null.
   * A hook that hangs is left behind: its outcome, if it ever comes, is ignored.
   */
  async runHook(cell: Cell, hook: string, fn: (ctx: Context) => unknown): Promise<Error | null> {
    const ms = cell.sup.shutdownMs;
    // A context of its own: a hook given up on spawns nothing more.
    const ctx = new Context(this.host, cell);
    try {
      const result = this.runSync(cell, fn, undefined, ctx, undefined);
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

  /**
   * Runs `fn` (with `self` as this, and `a`, `b`) as the actor: its sends have it as sender, a
   * crash of the worker now is blamed on it. (Its arguments passed along rather than closed over:
   * no closure per spawn.)
   */
  private runSync<A, B, T>(cell: Cell, fn: (a: A, b: B) => T, self: unknown, a: A, b: B): T {
    const h = this.host;
    const stats = h.stats;
    // Nested (a child spawned by its parent's init): the outer actor's slots come back after.
    const prev = h.current;
    const prevActor = stats[S_CUR_ACTOR]!;
    const prevRoot = stats[S_CUR_ROOT]!;
    const prevFrom = stats[S_CUR_FROM]!;
    h.current = cell;
    stats[S_CUR_ACTOR] = cell.id;
    stats[S_CUR_ROOT] = cell.rootId;
    stats[S_CUR_FROM] = -1; // (no message of its mailbox is running)
    try {
      return fn.call(self, a, b);
    } finally {
      h.current = prev;
      stats[S_CUR_ACTOR] = prevActor;
      stats[S_CUR_ROOT] = prevRoot;
      stats[S_CUR_FROM] = prevFrom;
    }
  }

  /** `p`, or a rejection with `timeout()` after `ms`. */
  private within<T>(p: PromiseLike<T>, ms: number, timeout: () => Error): Promise<T> {
    const clock = this.host.clock;
    return new Promise<T>((resolve, reject) => {
      const timer = clock.setTimeout(() => reject(timeout()), ms);
      p.then((v) => { clock.clearTimeout(timer); resolve(v); }, (e: unknown) => { clock.clearTimeout(timer); reject(e); });
    });
  }
}

/** An async init still running (a class of troupe's own, so no state an init returns is taken for it). */
class InitRunning {
  constructor(readonly done: Promise<unknown>) {}
}

/** The spawn options a cell's making reads (ctx.spawn's, or main's SpawnRequest). */
type Settings = Pick<SpawnRequest, 'restart' | 'supervision' | 'circuitBreaker' | 'shutdownMs' | 'initTimeoutMs' | 'id'>;

/**
 * `/user/…/<name>`, or `…/$<thread>.<id>` without a name. A named child's is joined in one go: a
 * flat string, where `a + b` keeps the pieces and the rope joining them (in a heap snapshot of idle
 * actors, 40 bytes of strings an actor against 112 with the `$id` key). An unnamed child's is its
 * parent's prefix (`…/$<thread>.`, made once for the siblings spawned one after another) and its
 * id, one rope: ~58 B with the id's string against ~47 for a flat copy (200,000 in a heap), and
 * 107-148 ns against 318-358 for the join it replaces (a loop of 100,000, Node 20): the join was
 * 7 % of a worker's time in Fork-Join creation (a CPU profile). The prefix is a rope too, shared
 * by the siblings.
 */
function childPath(parent: Cell | null, name: string | undefined, thread: number, id: number): string {
  const at = parent ? parent.path : '/user';
  // Below a long path, a rope over the parent's (32 B and its own part) rather than a copy of it:
  // deep trees (Fibonacci's, 25 levels) spent 257 B an actor on copies of their parents' paths.
  if (name !== undefined) return at.length > LONG_PATH ? at + ('/' + name) : [at, '/', name].join('');
  if (thread !== prefixThread) {
    prefixThread = thread;
    own = `/$${thread}.`;
    prefixOf = undefined;
  }
  // The parent itself, not its path, says whether the prefix is still right: two paths of one
  // length, ropes, compare only once both are flattened (70 % of this function's time that way).
  if (parent !== prefixOf) {
    prefixOf = parent;
    prefix = at + own;
  }
  return prefix + id;
}

/**
 * The last unnamed child's parent (null: top-level) and thread, what follows the parent's path for
 * the children of that thread (`/$<thread>.`), and the parent's path with it: ropes over the
 * parent's path, not copies (a join of the pieces for each new parent was 3.5-5 % of a worker's
 * time in Fibonacci, where each parent has two children: a CPU profile). The parent's cell is let
 * go when it stops (`forgetChildPrefix`), so it does not keep the actor's state alive.
 */
let prefixOf: Cell | null | undefined;
let prefixThread = -1;
let own = '';
let prefix = '';

/** The actor of `cell` stopped: the prefix cache lets go of it. */
export function forgetChildPrefix(cell: Cell): void {
  if (prefixOf === cell) prefixOf = undefined;
}

/** A path of more chars than this is not copied into its children's (a flat string costs 16 B and its chars; a rope 32 B). */
const LONG_PATH = 32;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}
