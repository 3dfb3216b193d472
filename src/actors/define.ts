/**
 * defineActor: how a user writes an actor. Actor logic is a plain object (as in xstate v5); the
 * module that default-exports it is what `spawn` loads inside a worker.
 */
import type { Logger } from 'pino';
import type { ErrorReport } from '../observability/error-events.js';
import type { ActorRef, AskOptions, TellOptions } from './ref.js';
import type { MailboxOptions } from './mailbox.js';
import { invalidArgument } from './errors.js';
import { supervisorOptions, type SupervisorSpec, type RestartType } from '../supervision/options.js';
import type { BreakerOptions } from '../supervision/breaker.js';

/**
 * What a handler sees besides its state and message. One per message: `reply` and `sender` act
 * for the message the handler was given, also when used after it returned (in a `.then`, a timer).
 */
export interface ActorContext {
  /** This actor's ref. */
  readonly self: ActorRef;
  /** The sender of the current message, or null (sent from outside any actor, or no message). */
  readonly sender: ActorRef | null;
  /** This actor's name, if it was spawned with one. */
  readonly name: string | undefined;
  /** A pino child logger bound to this actor's path and thread. */
  readonly log: Logger;
  /**
   * Answers this message: resolves the sender's ask, or, for a tell from an actor, tells that
   * actor `value`. With no one to answer, the reply is dead-lettered `no-reply-to`; a second
   * reply to one ask is dead-lettered `late-reply`.
   */
  reply(value: unknown): void;
  /**
   * Sends to another actor, with this actor as sender. Returns false once this actor's
   * unprocessed messages to `to` reach the high-water mark: the message is queued all the same,
   * and this actor is not given its next message until the path drains (see ActorRef.tell).
   */
  tell(to: ActorRef, msg: unknown, options?: TellOptions): boolean;
  /**
   * Resolves when this actor's unprocessed messages to `to` are below the high-water mark (at
   * once if they are): for a handler that awaits between sends. (Between messages there is no
   * need: an actor past the mark is not given its next message until the path drains.)
   */
  ready(to: ActorRef): Promise<void>;
  /** Asks another actor; await it inside an async receive. */
  ask<R = unknown>(to: ActorRef, msg: unknown, options?: AskOptions): Promise<R>;
  /**
   * Starts a child on this actor's worker, supervised by this actor (see `supervisor`). Children
   * start in order and stop before their parent, last started first.
   */
  spawn(module: URL | string, options?: ChildSpawnOptions): Promise<ActorRef>;
  /**
   * Watches another actor, on any worker: when it stops, for any reason, this actor's
   * `terminated(state, ref, ctx)` hook runs once. Watching an actor already gone runs it at once.
   */
  watch(ref: ActorRef): void;
  /**
   * Stops a child (or, with no argument or its own ref, this actor) after the current message.
   * Any other ref throws ERR_TROUPE_NOT_A_CHILD (ask that actor to stop, or use system.stop).
   */
  stop(ref?: ActorRef): void;
  /**
   * Reports an error event (`system.errors`): with NATS it is stored in the error stream, else
   * logged. `severity` defaults to 'error', `category` to 'unknown'.
   */
  reportError(report: ErrorReport): void;
}

export interface ChildSpawnOptions {
  /** Unique among this actor's children; the child's path is `<parent path>/<name>`. */
  name?: string;
  args?: unknown;
  mailbox?: Partial<MailboxOptions>;
  /** 'transient' (default), 'permanent' or 'temporary': see SupervisorSpec. */
  restart?: RestartType;
  /** Overrides this parent's `supervisor` for this child only. */
  supervision?: SupervisorSpec;
  /** A circuit breaker around this child: while open, its mail is dead-lettered `circuit-open`. */
  circuitBreaker?: Partial<BreakerOptions>;
  /**
   * How long stopping it waits for a running handler before going on without it, and how long
   * each lifecycle hook (preRestart, postRestart, postStop) may take. Default 5 000 ms.
   */
  shutdownMs?: number;
  /**
   * How long its init may take (on spawn and on restart) before ERR_TROUPE_INIT_TIMEOUT: a
   * positive number of ms, at most 2^31 - 1. Default 10 000 ms.
   */
  initTimeoutMs?: number;
}

export interface ActorDefinition<S = any, M = any, A = any> {
  /** Makes the initial state from the spawn `args`. May be async; a throw fails the spawn. Default: undefined state. */
  init?(args: A, ctx: ActorContext): S | Promise<S>;
  /**
   * Handles one message and returns the new state (returning undefined keeps the state). May be
   * async: the actor takes its next message only after the promise settles. A throw goes to the
   * actor's supervisor, whose directive (resume, restart, stop, escalate) decides what follows;
   * the message is retried or dead-lettered with the error (reason `actor-failed`), and an ask
   * for it rejects with that error.
   */
  receive(state: S, msg: M, ctx: ActorContext): S | void | Promise<S | void>;
  /** Called once after the actor stopped taking mail (its children are already stopped). */
  postStop?(state: S, ctx: ActorContext): void | Promise<void>;
  /** Before a restart, with the old state and the error (then its children stop, and init runs again). */
  preRestart?(state: S, error: Error, ctx: ActorContext): void | Promise<void>;
  /** After a restart, with the new state. */
  postRestart?(state: S, ctx: ActorContext): void | Promise<void>;
  /** A watched actor (ctx.watch) stopped. May return the new state, or a promise of it. */
  terminated?(state: S, ref: ActorRef, ctx: ActorContext): S | void | Promise<S | void>;
  /** How this actor supervises its children; the defaults are in SupervisorSpec's doc. */
  supervisor?: SupervisorSpec;
}

/** The brand that marks a defineActor() result, across module copies (Symbol.for is global). */
export const ACTOR_BRAND = Symbol.for('troupe.actor');

export type DefinedActor<S = any, M = any, A = any> = ActorDefinition<S, M, A> & { readonly [ACTOR_BRAND]: true };

/** Marks an actor definition; export its result as the module's default export. */
export function defineActor<S = any, M = any, A = any>(definition: ActorDefinition<S, M, A>): DefinedActor<S, M, A> {
  if (definition === null || typeof definition !== 'object') throw invalidArgument('definition', 'an object with receive()', definition);
  if (typeof definition.receive !== 'function') throw invalidArgument('definition.receive', 'a function', definition.receive);
  for (const hook of ['init', 'postStop', 'preRestart', 'postRestart', 'terminated'] as const) {
    const fn = definition[hook];
    if (fn !== undefined && typeof fn !== 'function') throw invalidArgument(`definition.${hook}`, 'a function', fn);
  }
  if (definition.supervisor !== undefined) supervisorOptions(definition.supervisor); // throws early on a bad spec
  return Object.freeze({ ...definition, [ACTOR_BRAND]: true as const });
}

export function isDefinedActor(v: unknown): v is DefinedActor {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[ACTOR_BRAND] === true;
}
