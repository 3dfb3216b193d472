/**
 * Flow control on a host (the counting is flow.ts's): each actor's paths toward the actors it
 * sends to, and one for what is sent from outside any handler; the credit the host's actors hand
 * back to their senders when they take a message that asked for it; and muting. An actor with a
 * path at or past the high-water mark is not given its next message until that path drains (as
 * Pony mutes a sender; its thread is never blocked, the other actors run) — unless its own
 * mailbox holds more than `mark - quantum` messages: then it runs, so that actors flooding each
 * other in a cycle all make progress (a muted sender's target always holds that many); or an ask
 * waits in it: its asker may be the very actor it waits for (busy in an `await`, taking nothing).
 *
 * An actor's paths are its cell's, found through the actor table when credit comes back; those
 * of an actor that first sent while its `init` ran (it is in the table only after) are kept by
 * id too, so that credit coming back meanwhile is not lost. (Keeping every sender's by id cost a
 * Map entry made and deleted an actor: 6 % of Skynet's time, its million actors each sending once.)
 */
import { TroupeError } from '../../actors/errors.js';
import { F_CREDIT, K_CREDIT, MAIN_THREAD } from '../constants.js';
import { ASKS_CREDIT, creditQuantum, OUTBOX_PATH, pathKey, Paths } from '../flow.js';
import type { MeshNode } from '../mesh/mesh-node.js';
import type { ActorTable } from './actor-table.js';
import type { Cell } from './cell.js';
import type { Scheduler } from './scheduler.js';

/** What flow control asks of its host. */
export interface FlowHost {
  readonly thread: number;
  readonly mesh: MeshNode;
  readonly actors: ActorTable;
  readonly scheduler: Scheduler;
}

export class HostFlow {
  /** The system's mark (an actor may have its own: its mailbox's). */
  readonly mark: number;
  /** A muted actor runs all the same while its mailbox holds more than this (see the file's note; for the system's mark). */
  private readonly slack: number;
  /** Sends from outside any handler (a timer, a promise's callback with no actor running). */
  private readonly outside: Paths;
  /** The paths of actors that first sent while their init ran, by id, until they stop. */
  private readonly byId = new Map<number, Paths>();
  /** Threads closed for good (indexed by thread): mail to them is not counted. */
  private readonly gone: boolean[] = [];

  constructor(private readonly host: FlowHost, mark: number) {
    this.mark = mark;
    this.slack = mark - creditQuantum(mark);
    this.outside = new Paths(mark);
  }

  /**
   * Counts a message from `from` (null: from outside any handler) to actor `id` of thread
   * `thread`, whose own mark is `mark` (0: the system's); returns what Paths.sent says
   * (ASKS_CREDIT, AT_MARK). Mail for main's thread is mail for other nodes (main's bridge, or
   * its proxies of remote actors): one path, the outbox (flow.ts).
   */
  sent(from: Cell | null, thread: number, id: number, mark: number): number {
    if (this.gone[thread] === true) return 0;
    const paths = this.pathsOf(from);
    return thread === MAIN_THREAD ? paths.sent(OUTBOX_PATH, 0) : paths.sentTo(thread, id, mark);
  }

  /** Whether thread `thread` closed for good: nothing reads mail for it. */
  closed(thread: number): boolean {
    return this.gone[thread] === true;
  }

  /** Takes back a count: its message could not be sent. */
  unsent(from: Cell | null, thread: number, id: number): void {
    if (this.gone[thread] !== true) this.pathsOf(from).unsent(keyOf(thread, id));
  }

  /** The record kind for a message `sent` said this of: it asks for credit every quantum-th time. */
  kind(kind: number, sent: number): number {
    return (sent & ASKS_CREDIT) !== 0 ? kind | F_CREDIT : kind;
  }

  /** Whether the cell must wait for its paths to drain before its next message. */
  muted(cell: Cell): boolean {
    const paths = cell.paths;
    if (paths === null || paths.overMark === 0 || cell.asks !== 0) return false;
    const own = cell.mailbox.highWaterMark;
    return cell.mailbox.size <= (own === 0 ? this.slack : own - creditQuantum(own));
  }

  /** `ref.ready()` on this worker: the running actor's path (or the outside one) to actor `id` of `thread`. */
  ready(from: Cell | null, thread: number, id: number): Promise<void> {
    return this.pathsOf(from).ready(keyOf(thread, id));
  }

  /**
   * Actor `target` of this host took (or dead-lettered) a message that asked for credit: its
   * sender, actor `sender` of thread `thread`, hears so.
   */
  give(thread: number, sender: number, target: number): void {
    const h = this.host;
    if (thread === h.thread) this.take(sender, pathKey(thread, target));
    else h.mesh.send(thread, sender, target, 0, K_CREDIT, null);
  }

  /** Credit for this host's actor `sender` (0: outside any handler) on its path `key`. */
  take(sender: number, key: number): void {
    if (sender === 0) { this.outside.credit(key); return; }
    const paths = this.host.actors.get(sender)?.paths ?? this.byId.get(sender);
    // Below the mark on every path again: it may run.
    if (paths !== undefined && paths.credit(key) && paths.overMark === 0) this.resume(sender);
  }

  /**
   * Thread `thread` died (`forGood`: it was closed, or will not be replaced): the counts toward it
   * are done with (see Paths.resetThread); for good, mail to it is not counted from now on.
   */
  resetThread(thread: number, forGood: boolean): void {
    if (forGood) this.gone[thread] = true;
    this.outside.resetThread(thread);
    for (const cell of this.host.actors.values()) {
      const paths = cell.paths;
      if (paths !== null && paths.resetThread(thread) && paths.overMark === 0) this.host.scheduler.resume(cell);
    }
    // (Still in init: no one to resume yet. Those since started were reset above: this finds nothing more.)
    for (const paths of this.byId.values()) paths.resetThread(thread);
  }

  /** The actor stopped: its paths go, and whoever waits on them (ctx.ready) hears so. */
  forget(cell: Cell): void {
    const paths = cell.paths;
    if (paths === null) return;
    if (this.byId.get(cell.id) === paths) this.byId.delete(cell.id);
    cell.paths = null;
    // (No closure per stop: most actors have no one waiting in ready().)
    if (paths.waiting) paths.stop(() => new TroupeError('ERR_TROUPE_ACTOR_STOPPED', `${cell.path} stopped while it waited for ready()`));
  }

  /** The host closes: every ready() waiting on it rejects with ERR_TROUPE_SYSTEM_STOPPED. */
  stop(): void {
    this.outside.stop();
    for (const cell of this.host.actors.values()) cell.paths?.stop();
    for (const paths of this.byId.values()) paths.stop();
  }

  private resume(id: number): void {
    const cell = this.host.actors.get(id);
    if (cell !== undefined) this.host.scheduler.resume(cell);
  }

  private pathsOf(from: Cell | null): Paths {
    if (from === null) return this.outside;
    let paths = from.paths;
    if (paths === null) {
      paths = from.paths = new Paths(this.mark);
      if (this.host.actors.get(from.id) !== from) this.byId.set(from.id, paths);
    }
    return paths;
  }
}

/** A path's key: mail for main's thread goes on to other nodes, through the outbox. */
function keyOf(thread: number, id: number): number {
  return thread === MAIN_THREAD ? OUTBOX_PATH : pathKey(thread, id);
}
