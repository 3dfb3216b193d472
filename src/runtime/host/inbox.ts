/**
 * What comes into a host: each record the mesh reads (or a message from an actor of this
 * worker) goes to its actor's mailbox, its ask table, or its actor's system lane — or, when it
 * cannot be taken, to the dead letters with a reason, its ask rejected and its receipt settled.
 *
 * Admission: an actor that is gone (`no-such-actor`), a breaker that is open (`circuit-open`),
 * a full mailbox (its overflow policy). A replacement host holds the mail of the actors main is
 * about to re-create (HostStart.restoring) until they are back (`restored`).
 */
import type { Logger } from 'pino';
import { CircuitOpenError, MailboxFullError, TroupeError, toWireError } from '../../actors/errors.js';
import { undeliverableError } from '../mesh/mesh-node.js';
import {
  F_CREDIT, F_CREDIT_DUE, F_LAST, F_RECEIPT, F_REREAD, KIND_MASK, K_ASK, K_CREDIT, K_REPLY, K_REPLY_ERROR, K_SYSTEM, K_TELL, K_TELL_LAST, K_TELL_RECEIPT, K_UNCOUNTED, R_DEAD_LETTERED, THREAD_MASK,
} from '../constants.js';
import type { SystemMessage } from '../protocol.js';
import type { AskTable } from '../ask-table.js';
import type { Ledger } from '../ledger.js';
import type { MeshNode } from '../mesh/mesh-node.js';
import { M_READ } from '../mesh/ring-reader.js';
import type { ActorTable } from './actor-table.js';
import type { Cell } from './cell.js';
import type { DeadLetterBatch } from './dead-letter-batch.js';
import type { HostFlow } from './flow-control.js';
import { pathKey } from '../flow.js';
import type { Scheduler } from './scheduler.js';
import type { Sending } from './sending.js';
import type { DeadLetterReason } from '../../actors/dead-letter-reasons.js';

/** What the inbox asks of its host. */
export interface InboxHost {
  readonly thread: number;
  readonly log: Logger;
  readonly ledger: Ledger;
  readonly asks: AskTable;
  readonly actors: ActorTable;
  readonly scheduler: Scheduler;
  readonly sending: Sending;
  readonly deadLetters: DeadLetterBatch;
  readonly flow: HostFlow;
  readonly mesh: MeshNode;
  senderPath(thread: number, sender: number): string | null;
  /** A watch of an actor already gone: the notice, at once (watches.ts). */
  sendTerminated(toThread: number, toId: number, path: string, thread: number, id: number): void;
}

type Held = [from: number, target: number, sender: number, corr: number, kind: number, value: unknown, at: number];

export class Inbox {
  /** A replacement host: records for actors not re-created yet, by actor id. */
  private held: Map<number, Held[]> | null;

  constructor(private readonly host: InboxHost, restoring: readonly number[]) {
    this.held = restoring.length > 0 ? new Map(restoring.map((id) => [id, []])) : null;
  }

  /**
   * A record from the mesh (thread `from`; `at`: its place in the ring, kept there while its
   * message waits in a mailbox). With M_READ in `kind`, a host that died had it queued.
   */
  deliver(from: number, target: number, sender: number, corr: number, kind: number, value: unknown, at: number): void {
    const h = this.host;
    let thread = from;
    if (kind >= M_READ) { kind ^= M_READ; thread |= F_REREAD; }
    if (kind === K_CREDIT) { h.flow.take(target, pathKey(from, sender)); return; }
    if (this.held !== null && kind !== K_REPLY && kind !== K_REPLY_ERROR && this.hold(from, target, sender, corr, thread === from ? kind : kind | M_READ, value, at)) return;
    // A tell or ask whose sender asks for credit when it is taken (flow-control.ts).
    if ((kind & F_CREDIT) !== 0) { this.accept(target, value, thread | F_CREDIT_DUE, sender, corr, at); return; }
    switch (kind) {
      case K_TELL:
      case K_ASK:
        this.accept(target, value, thread, sender, corr, at);
        return;
      case K_TELL_RECEIPT:
        this.accept(target, value, thread | F_RECEIPT, sender, corr, at);
        return;
      case K_TELL_LAST:
        this.accept(target, value, thread | F_RECEIPT | F_LAST, sender, corr, at);
        return;
      case K_REPLY:
      case K_REPLY_ERROR:
        h.asks.settle(corr, kind, value);
        return;
      case K_SYSTEM: {
        const cell = h.actors.get(target);
        const m = value as SystemMessage;
        if (cell) h.scheduler.system(cell, m);
        // Watching an actor that is already gone: the notice comes at once.
        else if (m.t === 'watch') h.sendTerminated(m.thread, m.id, m.path, h.thread, target);
        return;
      }
      default:
        h.log.error({ kind, from }, 'unknown record kind; dropped');
    }
  }

  /** Whether mail for actor `id` is held until main re-creates it. */
  holds(id: number): boolean {
    return this.held?.has(id) ?? false;
  }

  /** Mail for an actor main is about to re-create waits for it (counted as queued; its record kept in its ring). */
  hold(from: number, target: number, sender: number, corr: number, kind: number, value: unknown, at: number): boolean {
    const waiting = this.held?.get(target);
    if (waiting === undefined || this.host.actors.has(target)) return false;
    waiting.push([from, target, sender, corr, kind, value, at]);
    if ((kind & KIND_MASK) < K_UNCOUNTED) {
      this.host.ledger.queued();
      if (at >= 0) this.host.mesh.pin(from, at);
    }
    return true;
  }

  /** Delivers what waited for actor `id`, now that it exists (or, with it gone, dead-letters it). */
  private release(id: number): void {
    const waiting = this.held?.get(id);
    if (waiting === undefined) return;
    this.held!.delete(id);
    if (this.held!.size === 0) this.held = null;
    for (const [from, target, sender, corr, kind, value, at] of waiting) {
      if ((kind & KIND_MASK) < K_UNCOUNTED) this.host.ledger.queued(-1);
      // Pinned while it waited: admission keeps it pinned, or finishes it.
      this.deliver(from, target, sender, corr, kind, value, at);
    }
  }

  /** main re-created the actors it was going to: mail still held for the others is theirs no more. */
  restored(): void {
    for (const id of [...(this.held?.keys() ?? [])]) this.release(id);
    this.held = null;
  }

  /**
   * A user message arrives at actor `id`: into its mailbox, or dead letters. With F_CREDIT_DUE in
   * `thread`, its sender asked for credit: given when it is taken (turns.ts), or here when it is not.
   * `at`: its record's place in the ring from its sender's thread, pinned there while it waits, or -1.
   */
  accept(id: number, msg: unknown, thread: number, sender: number, corr: number, at = -1): void {
    const due = thread & F_CREDIT_DUE;
    const kept = this.admit(id, msg, thread ^ due, sender, corr, due, at);
    if (kept) return;
    // Anything not taken into a mailbox is done with now.
    if (at >= 0) this.host.mesh.finish(thread & THREAD_MASK, at);
    if (due !== 0) this.host.flow.give(thread & THREAD_MASK, sender, id);
  }

  /** Admission: into the mailbox (true; with `due` kept in it), or held, or dead letters (false). */
  private admit(id: number, msg: unknown, thread: number, sender: number, corr: number, due: number, at: number): boolean {
    const h = this.host;
    const cell = h.actors.get(id);
    const reread = thread & F_REREAD;
    thread ^= reread;
    if (cell === undefined && this.held?.has(id)) {
      // An actor being restored (a sibling on this worker wrote to it first).
      this.hold(thread & THREAD_MASK, id, sender, corr, corr !== 0 && thread < F_RECEIPT ? K_ASK : (thread & F_LAST) !== 0 ? K_TELL_LAST : thread >= F_RECEIPT ? K_TELL_RECEIPT : K_TELL, msg, -1);
      return false;
    }
    if (cell === undefined || cell.stopped) {
      h.ledger.deadLettered();
      // Queued for an actor that died with its worker and did not come back (a child, say).
      h.deadLetters.add(reread !== 0 ? 'worker-died' : 'no-such-actor', `@${h.thread}.${id}`, h.senderPath(thread & THREAD_MASK, sender), msg);
      if (thread >= F_RECEIPT) h.sending.receipt(corr, R_DEAD_LETTERED);
      else if (corr !== 0) {
        h.sending.replyError(thread, corr, id, new TroupeError('ERR_TROUPE_ACTOR_NOT_FOUND', `no live actor @${h.thread}.${id}`));
      }
      return false;
    }
    if (cell.breaker !== null && !cell.breaker.admit()) {
      if (thread >= F_RECEIPT) { h.sending.notTaken(cell, thread, sender, corr, msg, 'circuit-open'); return false; }
      h.ledger.deadLettered();
      h.deadLetters.add('circuit-open', cell.path, h.senderPath(thread, sender), msg);
      if (corr !== 0) h.sending.replyError(thread, corr, id, new CircuitOpenError(cell.path));
      return false;
    }
    const box = cell.mailbox;
    if (box.isFull) {
      if (box.overflow === 'drop-oldest') {
        const i = box.first;
        let t = box.senderThreadAt(i);
        if ((t & F_CREDIT_DUE) !== 0) { t ^= F_CREDIT_DUE; h.flow.give(t & THREAD_MASK, box.senderIdAt(i), id); }
        if (box.corrAt(i) !== 0 && t < F_RECEIPT) cell.asks--;
        this.dropped(cell, box.messageAt(i), t, box.senderIdAt(i), box.corrAt(i), 'dropped-oldest');
        const dropped = box.recordAt(i);
        box.shift();
        if (dropped >= 0) h.mesh.finish(t & THREAD_MASK, dropped);
        h.ledger.queued(-1);
      } else if (thread >= F_RECEIPT) {
        h.sending.notTaken(cell, thread, sender, corr, msg, 'mailbox-full');
        return false;
      } else {
        this.dropped(cell, msg, thread, sender, corr, 'mailbox-full');
        return false;
      }
    }
    box.push(msg, thread | due, sender, corr, at);
    if (at >= 0) h.mesh.pin(thread & THREAD_MASK, at);
    if (corr !== 0 && thread < F_RECEIPT) cell.asks++;
    h.ledger.queued();
    if (h.scheduler.runnable(cell)) h.scheduler.enqueue(cell);
    return true;
  }

  private dropped(cell: Cell, msg: unknown, thread: number, sender: number, corr: number, reason: DeadLetterReason): void {
    const h = this.host;
    h.ledger.deadLettered();
    h.deadLetters.add(reason, cell.path, h.senderPath(thread & THREAD_MASK, sender), msg);
    if (thread >= F_RECEIPT) h.sending.receipt(corr, R_DEAD_LETTERED);
    else if (corr !== 0 && (cell.mailbox.overflow !== 'dead-letter')) {
      h.sending.replyError(thread, corr, cell.id, new MailboxFullError(cell.path, cell.mailbox.capacity));
    }
  }

  /**
   * A record that cannot be delivered (inlinks.ts, Undeliverable): its port part went to this
   * ring's previous consumer, a worker that died (`worker-died`), or its bytes do not decode
   * (`undecodable`). Counted and dead-lettered; an ask for it is rejected, a reply's ask fails at
   * once, and a tell from another node is settled as dead-lettered.
   */
  undeliverable(from: number, target: number, sender: number, corr: number, kind: number,
    reason: 'worker-died' | 'undecodable', bytes: number, error: Error | null): void {
    const h = this.host;
    if ((kind & F_CREDIT) !== 0) { kind ^= F_CREDIT; h.flow.give(from, sender, target); }
    if (kind >= K_UNCOUNTED) {
      h.log.error({ from, target, kind, reason, err: error }, 'a system record could not be delivered; skipped');
      return;
    }
    h.ledger.deadLettered();
    const reply = kind === K_REPLY || kind === K_REPLY_ERROR;
    const what = reply ? `ask #${corr}` : h.actors.get(target)?.path ?? `@${h.thread}.${target}`;
    const err = undeliverableError(reason, `@${h.thread}.${target}`, bytes, error);
    h.deadLetters.add(reason, what, reply ? null : h.senderPath(from, sender),
      reason === 'worker-died' ? '[lost: sent over the port of a worker that died before it read it]' : { bytes }, toWireError(err));
    if (reply) h.asks.fail(corr, err);
    else if (kind === K_ASK && corr !== 0) h.sending.replyError(from, corr, target, err);
    else if (kind === K_TELL_RECEIPT || kind === K_TELL_LAST) h.sending.receipt(corr, R_DEAD_LETTERED, err);
  }
}
