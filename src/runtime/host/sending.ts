/**
 * What a host sends: tells and asks to actors (on this worker by reference, else over the mesh,
 * or to main's bridge for another node), replies and error replies to asks, and receipts for
 * tells that came from another node. Everything sent is counted here (the ledger).
 */
import type { Transferable } from 'node:worker_threads';
import type { Tracing } from '../../observability/tracing.js';
import { ActorRef, type AskOptions } from '../../actors/ref.js';
import { TroupeError, toWireError } from '../../actors/errors.js';
import { ASK_TABLE, F_CREDIT_DUE, F_LAST, K_ASK, K_RECEIPT, K_REMOTE, K_REPLY, K_REPLY_ERROR, K_TELL, MAIN_THREAD, R_DEAD_LETTERED, R_RETRY, THREAD_MASK } from '../constants.js';
import type { RemoteSend } from '../protocol.js';
import type { AskTable } from '../ask-table.js';
import type { Ledger } from '../ledger.js';
import type { MeshNode } from '../mesh/mesh-node.js';
import type { Cell } from './cell.js';
import type { Context } from './context.js';
import type { DeadLetterBatch } from './dead-letter-batch.js';
import type { HostFlow } from './flow-control.js';
import { ASKS_CREDIT, AT_MARK } from '../flow.js';
import { microtask, raise } from '../microtask.js';
import type { DeadLetterReason } from '../../actors/dead-letter-reasons.js';

/** What sending asks of its host. */
export interface SendingHost {
  readonly thread: number;
  /** Tracing on (observability/tracing.ts), or null. */
  readonly tracing: Tracing | null;
  readonly mesh: MeshNode;
  readonly asks: AskTable;
  readonly ledger: Ledger;
  readonly deadLetters: DeadLetterBatch;
  readonly flow: HostFlow;
  /** strictMessages: messages between actors of this worker are encoded and decoded as across threads. */
  readonly strict: boolean;
  /** A message for an actor of this worker (inbox.ts). */
  accept(id: number, msg: unknown, thread: number, sender: number, corr: number): void;
  refFor(thread: number, id: number): ActorRef;
  senderPath(thread: number, sender: number): string | null;
  /** The ask of `ctx` is answered: main need not reject it if this worker dies (turns.ts). */
  freeBusySlot(ctx: Context): void;
}

export class Sending {
  constructor(private readonly host: SendingHost) {}

  /** A tell; false once the sender's path to `to` is at the high-water mark (flow-control.ts). */
  send(to: ActorRef, msg: unknown, from: Cell | null, transfer: readonly Transferable[] | undefined, delivery?: string): boolean {
    const h = this.host;
    // `ref.tell` in a handler: the handler's trace context (ctx.tell wrapped it already).
    if (h.tracing !== null) msg = h.tracing.wrap(msg, from?.cur ?? null);
    const sender = from ? from.id : 0;
    const flow = h.flow;
    if (to.node !== undefined) return (this.sendRemote(to, msg, from, 0, undefined, delivery) & AT_MARK) === 0;
    if (to.thread === h.thread) {
      // Same worker: no encoding, the message is passed by reference (treat messages as immutable),
      // unless strictMessages asks for the cross-thread rules here too.
      const m = h.strict ? h.mesh.codec.copy(msg) : msg;
      const sent = flow.sent(from, to.thread, to.id, to.mark);
      h.ledger.sent();
      h.accept(to.id, m, (sent & ASKS_CREDIT) !== 0 ? h.thread | F_CREDIT_DUE : h.thread, sender, 0);
      return (sent & AT_MARK) === 0;
    }
    if (flow.closed(to.thread)) {
      this.toClosed(to, msg, from);
      return true;
    }
    const sent = flow.sent(from, to.thread, to.id, to.mark);
    try {
      h.mesh.send(to.thread, to.id, sender, 0, flow.kind(K_TELL, sent), msg, transfer);
    } catch (err) {
      flow.unsent(from, to.thread, to.id);
      throw err;
    }
    h.ledger.sent();
    return (sent & AT_MARK) === 0;
  }

  /** `ref.ready()` inside this worker (the running actor's path, or the outside one). */
  ready(to: ActorRef, from: Cell | null): Promise<void> {
    return this.host.flow.ready(from, to.node !== undefined ? MAIN_THREAD : to.thread, to.id);
  }

  ask(ref: ActorRef, msg: unknown, options: AskOptions | undefined, from: Cell | null): Promise<unknown> {
    const h = this.host;
    if (h.tracing !== null) msg = h.tracing.wrap(msg, from?.cur ?? null);
    const sender = from ? from.id : 0;
    const { corr, promise } = h.asks.open(ref.path, options);
    if (corr === 0) return promise; // already aborted, or bad options
    if (ref.node !== undefined) {
      try { this.sendRemote(ref, msg, from, corr, options?.timeoutMs, options?.delivery); } catch (err) { h.asks.fail(corr, err); }
      return promise;
    }
    const flow = h.flow;
    try {
      if (ref.thread === h.thread) {
        const m = h.strict ? h.mesh.codec.copy(msg) : msg;
        const sent = flow.sent(from, ref.thread, ref.id, ref.mark);
        h.accept(ref.id, m, (sent & ASKS_CREDIT) !== 0 ? h.thread | F_CREDIT_DUE : h.thread, sender, corr);
      } else if (flow.closed(ref.thread)) {
        this.toClosed(ref, msg, from);
        h.asks.fail(corr, new TroupeError('ERR_TROUPE_ACTOR_NOT_FOUND', `no live actor ${ref.path}: its worker closed`));
        return promise;
      } else {
        const sent = flow.sent(from, ref.thread, ref.id, ref.mark);
        try {
          h.mesh.send(ref.thread, ref.id, sender, corr, flow.kind(K_ASK, sent), msg, options?.transfer);
        } catch (err) {
          flow.unsent(from, ref.thread, ref.id);
          throw err;
        }
      }
    } catch (err) {
      h.asks.fail(corr, err);
      return promise;
    }
    h.ledger.sent();
    return promise;
  }

  /**
   * A message for an actor of a thread closed for good (a dedicated worker whose actor stopped):
   * nothing reads its rings, so it is dead-lettered here, as a live worker would.
   */
  private toClosed(to: ActorRef, msg: unknown, from: Cell | null): void {
    const h = this.host;
    h.ledger.sent();
    h.ledger.deadLettered();
    h.deadLetters.add('no-such-actor', to.path, from ? from.path : null, msg);
  }

  /**
   * A message for an actor on another node: main's bridge carries it (counted as sent here), on
   * the sender's path to the outbox (flow.ts). Returns what HostFlow.sent said.
   */
  private sendRemote(to: ActorRef, msg: unknown, from: Cell | null, corr: number, timeoutMs: number | undefined, delivery: string | undefined): number {
    const h = this.host;
    const send: RemoteSend = { node: to.node!, incarnation: to.incarnation, thread: to.thread, id: to.id, path: to.path, msg, timeoutMs };
    if (delivery === 'at-most-once') send.atMostOnce = true;
    const flow = h.flow;
    const sent = flow.sent(from, MAIN_THREAD, 0, 0);
    try {
      h.mesh.send(MAIN_THREAD, 0, from ? from.id : 0, corr, flow.kind(K_REMOTE, sent), send);
    } catch (err) {
      flow.unsent(from, MAIN_THREAD, 0);
      throw err;
    }
    h.ledger.sent();
    return sent;
  }

  /**
   * ctx.reply: answers the message `ctx` was handed with (its ask, or a tell back to the actor
   * that sent it). A second reply to one ask is dead-lettered `late-reply`; with no one to answer,
   * `no-reply-to`.
   */
  reply(ctx: Context, value: unknown): void {
    const h = this.host;
    const cell = ctx.cell;
    const thread = ctx.thread;
    if (ctx.corr !== 0) {
      if (ctx.answered) {
        h.ledger.sent();
        h.ledger.deadLettered();
        h.deadLetters.add('late-reply', `ask #${ctx.corr}`, cell.path, value);
        return;
      }
      if (thread === h.thread) h.asks.settle(ctx.corr, K_REPLY, h.strict ? h.mesh.codec.copy(value) : value);
      else h.mesh.send(thread, ASK_TABLE, cell.id, ctx.corr, K_REPLY, value);
      ctx.answered = true; // (a reply that cannot be encoded threw above: the ask is still open)
      h.freeBusySlot(ctx);
      const record = ctx.record;
      // Once the reply is published (at the end of this synchronous run: the publish is queued
      // first), its record says so: if this worker dies before the handler is done, main does not
      // reject the ask too. A worker that dies before then never published the reply: main does.
      if (record >= 0) microtask(() => { try { h.mesh.answered(thread, record); } catch (err) { raise(err); } });
      h.ledger.sent();
      return;
    }
    if (thread >= 0 && ctx.senderId !== 0) {
      this.send(h.refFor(thread, ctx.senderId), value, cell, undefined);
      return;
    }
    h.ledger.sent();
    h.ledger.deadLettered();
    h.deadLetters.add('no-reply-to', cell.path, null, value);
  }

  /** Rejects ask `corr` of thread `thread` with `err` (counted as a reply sent). */
  replyError(thread: number, corr: number, replier: number, err: unknown): void {
    const h = this.host;
    const wire = toWireError(err);
    if (thread === h.thread) h.asks.settle(corr, K_REPLY_ERROR, wire);
    else {
      try {
        h.mesh.send(thread, ASK_TABLE, replier, corr, K_REPLY_ERROR, wire);
      } catch {
        // Custom fields that cannot be encoded: send the error without them.
        h.mesh.send(thread, ASK_TABLE, replier, corr, K_REPLY_ERROR, { name: wire.name, message: wire.message, stack: wire.stack, code: wire.code });
      }
    }
    h.ledger.sent();
  }

  /** Tells main how a message from another node ended (its node acks, retries or dead-letters it). */
  receipt(id: number, outcome: number, error?: unknown): void {
    if (outcome === R_RETRY) this.host.ledger.returned();
    this.host.mesh.send(MAIN_THREAD, id, outcome, 0, K_RECEIPT, error === undefined ? null : toWireError(error));
  }

  /** A receipted tell could not be taken (or finished) here: retried later by its node, or (last delivery) dead-lettered. */
  notTaken(cell: Cell | undefined, thread: number, sender: number, receipt: number, msg: unknown, reason: DeadLetterReason): void {
    const h = this.host;
    if ((thread & F_LAST) === 0) {
      this.receipt(receipt, R_RETRY);
      return;
    }
    h.ledger.deadLettered();
    h.deadLetters.add(reason, cell ? cell.path : `@${h.thread}.?`, h.senderPath(thread & THREAD_MASK, sender), msg);
    this.receipt(receipt, R_DEAD_LETTERED);
  }
}
