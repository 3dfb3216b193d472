/**
 * The context a handler gets (`ctx`): one per message, so that `reply` and `sender` used after
 * the handler returned (in a `.then`, a timer) act for that message; one per actor for hooks
 * and `terminated`, and one per run of init or a lifecycle hook, which expires when the run is
 * given up on. It does what it does through its host (ContextHost).
 */
import type { Logger } from 'pino';
import type { Tracing } from '../../observability/tracing.js';
import type { ActorContext, ChildSpawnOptions } from '../../actors/define.js';
import { ActorRef, type AskOptions, type TellOptions } from '../../actors/ref.js';
import { invalidArgument } from '../../actors/errors.js';
import { checkTellOptions } from '../../actors/send-options.js';
import type { ErrorReport } from '../../observability/error-events.js';
import type { Cell } from './cell.js';

/** What a context asks of its host (the Host implements it). */
export interface ContextHost {
  /** Tracing on (observability/tracing.ts), or null. */
  readonly tracing: Tracing | null;
  readonly thread: number;
  readonly log: Logger;
  refFor(thread: number, id: number): ActorRef;
  reply(ctx: Context, value: unknown): void;
  send(to: ActorRef, msg: unknown, from: Cell | null, transfer: TellOptions['transfer'], delivery?: string): boolean;
  ready(to: ActorRef, from: Cell | null): Promise<void>;
  ask(to: ActorRef, msg: unknown, options: AskOptions | undefined, from: Cell | null): Promise<unknown>;
  spawnChild(parent: Cell, module: URL | string, options: ChildSpawnOptions, from: Context | null): Promise<ActorRef>;
  watch(watcher: Cell, ref: ActorRef): void;
  stopSelfOrChild(by: Cell, ref: ActorRef): void;
  reportError(cell: Cell, report: ErrorReport): void;
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
  /** Where its message's record waits in the ring from `thread` (runtime/mesh/ring.ts), or -1. */
  record = -1;
  /** An init given up on (it failed or timed out) may go on running: it spawns no more children. */
  expired = false;

  /**
   * @param thread the sender's thread (-1: no message), `sender` its actor id (0: none), `corr`
   *   the ask's id (0: a tell); `receipt`: a tell from another node wants a receipt with this id
   *   (0: none; cleared once sent), and `last`: it is its last delivery.
   */
  constructor(
    readonly host: ContextHost, readonly cell: Cell,
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

  tell(to: ActorRef, msg: unknown, options?: TellOptions): boolean {
    if (!(to instanceof ActorRef)) throw invalidArgument('to', 'an ActorRef', to);
    const tracing = this.host.tracing;
    return this.host.send(to, tracing === null ? msg : tracing.wrap(msg, this), this.cell, checkTellOptions(options), options?.delivery);
  }

  ready(to: ActorRef): Promise<void> {
    if (!(to instanceof ActorRef)) return Promise.reject(invalidArgument('to', 'an ActorRef', to));
    return this.host.ready(to, this.cell);
  }

  ask<R = unknown>(to: ActorRef, msg: unknown, options?: AskOptions): Promise<R> {
    if (!(to instanceof ActorRef)) return Promise.reject(invalidArgument('to', 'an ActorRef', to));
    const tracing = this.host.tracing;
    return this.host.ask(to, tracing === null ? msg : tracing.wrap(msg, this), options, this.cell) as Promise<R>;
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
