/**
 * Watch (ctx.watch): a watcher gets its `terminated(state, ref, ctx)` hook once per stop of an
 * actor it watches, for any reason, on any worker; also when the watched actor's worker died and
 * it was not restarted. Watch requests and notices are system messages (K_SYSTEM records across
 * workers), taken before user mail.
 */
import { ActorRef, type RefTransport } from '../../actors/ref.js';
import { K_SYSTEM } from '../constants.js';
import type { SystemMessage } from '../protocol.js';
import type { MeshNode } from '../mesh/mesh-node.js';
import type { ActorTable } from './actor-table.js';
import type { Cell } from './cell.js';
import type { Inbox } from './inbox.js';
import type { Scheduler } from './scheduler.js';
import type { Supervision } from './supervisor.js';
import type { Turns } from './turns.js';

/** What watching asks of its host. */
export interface WatchesHost {
  readonly thread: number;
  readonly mesh: MeshNode;
  readonly actors: ActorTable;
  readonly inbox: Inbox;
  readonly scheduler: Scheduler;
  readonly supervision: Supervision;
  readonly turns: Turns;
  /** The actor whose code runs synchronously now (the implicit sender of `ref.tell`). */
  current: Cell | null;
}

export class Watches {
  constructor(private readonly host: WatchesHost & RefTransport) {}

  /** `watcher` watches `ref`: it gets one `terminated` notice when `ref` stops, for any reason. */
  watch(watcher: Cell, ref: ActorRef): void {
    const h = this.host;
    // The watcher keeps what it watches: a second watch of the same actor sends nothing, and
    // exactly one notice is taken per watch (a watch that crossed the actor's stop on the way
    // could otherwise bring a notice from the stop and another from "already gone").
    const key = `${ref.thread}.${ref.id}`;
    const watching = (watcher.watching ??= new Map());
    if (watching.has(key)) return;
    watching.set(key, ref.path);
    if (ref.thread !== h.thread) {
      h.mesh.send(ref.thread, ref.id, 0, 0, K_SYSTEM, { t: 'watch', thread: h.thread, id: watcher.id, path: ref.path });
      return;
    }
    const target = h.actors.get(ref.id);
    if (target && !target.stopped) this.add(target, h.thread, watcher.id);
    else if (!target && h.inbox.holds(ref.id)) h.inbox.hold(h.thread, ref.id, 0, 0, K_SYSTEM, { t: 'watch', thread: h.thread, id: watcher.id, path: ref.path }, -1);
    else this.sendTerminated(h.thread, watcher.id, ref.path, ref.thread, ref.id);
  }

  /**
   * Worker `thread` died and was replaced: what our actors watched there either lives again under
   * the same id (watch it anew: its watcher list died with it) or is gone (the notice, now).
   */
  peerReplaced(thread: number, restarted: Set<number>): void {
    const h = this.host;
    const prefix = `${thread}.`;
    for (const cell of h.actors.values()) {
      const watching = cell.watching;
      if (watching === null || cell.stopped) continue;
      for (const [key, path] of [...watching]) {
        if (!key.startsWith(prefix)) continue;
        const id = Number(key.slice(prefix.length));
        if (restarted.has(id)) {
          h.mesh.send(thread, id, 0, 0, K_SYSTEM, { t: 'watch', thread: h.thread, id: cell.id, path });
        } else {
          h.scheduler.system(cell, { t: 'terminated', path, thread, id });
        }
      }
    }
  }

  /** Actor (thread, id) watches `cell`, once. */
  add(cell: Cell, thread: number, id: number): void {
    const w = (cell.watchers ??= []);
    for (let i = 0; i < w.length; i += 2) if (w[i] === thread && w[i + 1] === id) return; // once per watcher
    w.push(thread, id);
  }

  /** Tells watcher (toThread, toId) that the actor (thread, id) at `path` stopped. */
  sendTerminated(toThread: number, toId: number, path: string, thread: number, id: number): void {
    const h = this.host;
    const notice: SystemMessage = { t: 'terminated', path, thread, id };
    if (toThread !== h.thread) {
      h.mesh.send(toThread, toId, 0, 0, K_SYSTEM, notice);
      return;
    }
    const watcher = h.actors.get(toId);
    if (watcher) h.scheduler.system(watcher, notice);
  }

  /** A `terminated` notice reached a watcher: its hook runs (once per watch). */
  terminatedNotice(cell: Cell, m: Extract<SystemMessage, { t: 'terminated' }>): void {
    if (cell.watching?.delete(`${m.thread}.${m.id}`)) this.runHook(cell, new ActorRef(m.path, m.thread, m.id, this.host));
  }

  /** Runs the watcher's `terminated` hook like a handler: its errors go to its supervisor. */
  private runHook(cell: Cell, ref: ActorRef): void {
    const h = this.host;
    const hook = cell.def.terminated;
    if (!hook || cell.stopping !== null) return;
    h.current = cell;
    let result: unknown;
    try {
      result = hook(cell.state, ref, cell.ctx);
    } catch (err) {
      h.current = null;
      h.supervision.fail(cell, err, null);
      return;
    }
    h.current = null;
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      cell.busy = true;
      (result as Promise<unknown>).then(
        (s) => { if (cell.abandoned) return; h.turns.settled(cell); if (s !== undefined) cell.state = s; h.scheduler.resume(cell); },
        (err) => { if (cell.abandoned) return; h.turns.settled(cell); h.supervision.fail(cell, err, null); h.scheduler.resume(cell); },
      );
    } else if (result !== undefined) {
      cell.state = result;
    }
  }
}
