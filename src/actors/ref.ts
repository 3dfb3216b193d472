/**
 * ActorRef: the address of an actor, and the way to send it mail.
 *
 * A ref is plain data (`path`, `thread`, `id`) and can travel inside messages to any thread:
 * the codec writes it as an extension and rebuilds it bound to the receiving thread's transport.
 * Identity is (thread, id): ids are never reused, so a ref to a stopped actor never reaches
 * another one; mail to it is dead-lettered `no-such-actor`. Across nodes it is (node, incarnation,
 * thread, id): a node that restarts reuses addresses, so a ref to its previous run is told apart.
 */
import type { Transferable } from 'node:worker_threads';
import { invalidArgument } from './errors.js';

/** Checked at every tell (send-options.ts): a bad value or another key throws ERR_TROUPE_INVALID_ARGUMENT. */
export interface TellOptions {
  /** ArrayBuffers (or MessagePorts) to transfer instead of copy; the message then goes over a port, in order. */
  transfer?: readonly Transferable[];
  /**
   * To an actor on another node: 'at-least-once' (default: JetStream, retried until stored,
   * deduplicated, acked when handled) or 'at-most-once' (core NATS: lower latency, lost if a
   * node or NATS is down). Local messages ignore it.
   */
  delivery?: 'at-least-once' | 'at-most-once';
}

/** Checked at every ask (send-options.ts): a bad value or another key rejects it with ERR_TROUPE_INVALID_ARGUMENT. */
export interface AskOptions {
  /** How long to wait for the reply: default 5000 ms; up to 2^31 - 1, or Infinity to wait as long as it takes. */
  timeoutMs?: number;
  /** An AbortSignal: aborting it rejects the ask at once with ERR_TROUPE_ASK_ABORTED; a later reply is dropped. */
  signal?: AbortSignal;
  transfer?: readonly Transferable[];
  /** As for tell (to an actor on another node). */
  delivery?: 'at-least-once' | 'at-most-once';
}

/** What a thread provides to refs: main's system or a worker's host. @internal */
export interface RefTransport {
  tell(ref: ActorRef, msg: unknown, options: TellOptions | undefined): boolean;
  ask(ref: ActorRef, msg: unknown, options: AskOptions | undefined): Promise<unknown>;
  ready(ref: ActorRef): Promise<void>;
}

export class ActorRef {
  /** Where the actor sits in its tree, e.g. `/user/orders/audit`. Informative; identity is (thread, id). */
  readonly path: string;
  /** Mesh thread of the actor (0 is main, host worker k is k + 1). */
  readonly thread: number;
  /** The actor's id on its thread; never reused. */
  readonly id: number;
  /** The node (system process) the actor lives on, when that is not this one; undefined for local actors. */
  readonly node: string | undefined;
  /**
   * @internal With `node`: the run of that node the actor lives in (undefined: not known). Mail
   * for an earlier run goes to the actor that now has its exposed name, or is dead-lettered `stale-ref`.
   */
  readonly incarnation: number | undefined;
  /**
   * @internal The actor's own high-water mark (its spawn option `mailbox.highWaterMark`), or 0 for
   * the system's: a sender's path to it takes this mark.
   */
  readonly mark: number;
  /** The system or host it sends through (null: not made by troupe). Private, so not part of its data. */
  readonly #transport: RefTransport | null;

  /** @internal refs are made by the runtime, never by users. */
  constructor(path: string, thread: number, id: number, transport: RefTransport | null, node?: string, incarnation?: number, mark = 0) {
    this.path = path;
    this.thread = thread;
    this.id = id;
    this.node = node;
    this.incarnation = incarnation;
    this.mark = mark;
    this.#transport = transport;
  }

  /** @internal The transport (system or host) it sends through, if troupe made it. */
  static transportOf(ref: ActorRef): RefTransport | undefined {
    return typeof ref === 'object' && ref !== null && #transport in ref ? ref.#transport ?? undefined : undefined;
  }

  /**
   * Sends `msg` and returns at once. Inside an actor, the sender is that actor. Returns false
   * once this sender's unprocessed messages to this actor reach the high-water mark (the
   * actor's `mailbox.highWaterMark`, or the system's, default 1 000): the message is queued and will be delivered
   * all the same, but the sender should wait (`await ref.ready()`) before sending more. An actor
   * that sends past the mark is not given its next message until the path drains.
   */
  tell(msg: unknown, options?: TellOptions): boolean {
    return transportOf(this).tell(this, msg, options);
  }

  /**
   * Resolves when this sender's unprocessed messages to this actor are below the high-water mark
   * again (at once if they are), or when the actor stops. Rejects with ERR_TROUPE_SYSTEM_STOPPED
   * when the system shuts down first.
   */
  ready(): Promise<void> {
    return transportOf(this).ready(this);
  }

  /** Sends `msg` and resolves with the reply (`ctx.reply(value)`), or rejects with the handler's error. */
  ask<R = unknown>(msg: unknown, options?: AskOptions): Promise<R> {
    return transportOf(this).ask(this, msg, options) as Promise<R>;
  }

  equals(other: ActorRef | null | undefined): boolean {
    return !!other && other.thread === this.thread && other.id === this.id && other.node === this.node && other.incarnation === this.incarnation;
  }

  toString(): string {
    return this.node === undefined ? `ActorRef(${this.path})` : `ActorRef(${this.node}:${this.path})`;
  }

  toJSON(): { path: string; thread: number; id: number; node?: string } {
    return this.node === undefined ? { path: this.path, thread: this.thread, id: this.id }
      : { path: this.path, thread: this.thread, id: this.id, node: this.node };
  }
}

/** The transport (system or host) a ref sends through, if troupe made it. @internal */
export function refTransport(ref: ActorRef): RefTransport | undefined {
  return ActorRef.transportOf(ref);
}

function transportOf(ref: ActorRef): RefTransport {
  const t = ActorRef.transportOf(ref);
  if (!t) throw invalidArgument('ref', 'an ActorRef made by troupe (from spawn, lookup or a message)', ref);
  return t;
}

export function isActorRef(v: unknown): v is ActorRef {
  return v instanceof ActorRef;
}
