/**
 * What main does when a host worker dies: it accounts for what was lost with the worker's heap,
 * lets the root supervisor decide which top-level actors restart (supervision/root-restarts.ts),
 * and starts a replacement host on the same thread index, rings and counters, which reads on
 * from where its predecessor left off.
 */
import type { Logger } from 'pino';
import { TroupeError, toWireError } from '../../actors/errors.js';
import type { SupervisionEvents } from '../../supervision/events.js';
import { rootRestarts } from '../../supervision/root-restarts.js';
import type { AskTable } from '../ask-table.js';
import { takeBusyAsks } from '../busy-asks.js';
import {
  ASK_TABLE, K_ASK, K_REPLY_ERROR, K_TELL_LAST, K_TELL_RECEIPT, MAIN_THREAD, S_ACTORS, S_CUR_ACTOR, S_CUR_CORR, S_CUR_FROM, S_CUR_ROOT, S_DEAD_LETTERED,
  S_HEARTBEAT, S_LAST_ESCALATION_AT, S_LAST_RESTART_AT, S_OPEN_BREAKERS, S_OUTSTANDING, S_QUEUED, S_RESTARTS,
  S_ROOT_ESCALATIONS, S_SENT,
} from '../constants.js';
import type { Paths } from '../flow.js';
import type { MeshNode } from '../mesh/mesh-node.js';
import type { NodeBridge } from '../node-port.js';
import type { DeadLetters } from './dead-letters.js';
import type { HostHandle, Hosts, SpawnRecord } from './hosts.js';
import { forEachDepth } from '../mailbox-depths.js';
import type { Links } from './links.js';
import type { Names } from './names.js';

/** initTimeoutMs when a spawn does not say (the host applies it: host/lifecycle.ts). */
export const DEFAULT_INIT_TIMEOUT_MS = 10_000;
/** At most this many replacements of one thread within the window; then it stays dead (critical). */
const MAX_REPLACEMENTS = 5;
const REPLACEMENT_WINDOW_MS = 10_000;

/** What recovery sees of main. */
export interface RecoveryOwner {
  readonly log: Logger;
  readonly events: SupervisionEvents;
  readonly deadLetters: DeadLetters;
  readonly remote: NodeBridge | null;
  readonly mesh: MeshNode;
  readonly links: Links;
  readonly paths: Paths;
  threadGone(thread: number, forGood: boolean): void;
  readonly asks: AskTable;
  readonly mainStats: Float64Array;
  readonly hosts: Hosts;
  readonly names: Names;
  readonly running: boolean;
  readonly maxHandlerMs: number;
  readonly controlTimeoutMs: number;
}

export class Recovery {
  /** When workers died (and were replaced), for health; pruned by recentDeaths(). */
  private readonly diedAt: number[] = [];
  private readonly replacements = new Map<number, number[]>();

  constructor(private readonly main: RecoveryOwner) {}

  /** Worker deaths since `since` (ms since the epoch). */
  recentDeaths(since: number): number {
    while (this.diedAt.length > 0 && this.diedAt[0]! < since) this.diedAt.shift();
    return this.diedAt.length;
  }

  /**
   * A host worker died (it threw, exited, ran out of memory, or the watchdog terminated it).
   * Mail that came to it through its rings is not lost: a record stays in its ring until its
   * message is finished, so a replacement host on the same thread index reads again what was
   * queued, after its top-level actors restart under the same ids. The message whose handler was
   * running, and those whose async handlers were suspended, are dead-lettered with their content
   * (`timeout` for the one the watchdog stopped, else `worker-died`) and their asks rejected; they
   * are not run again. What lived only in its heap is gone, dead-lettered `worker-died` with a
   * count: mail between its own actors, records it let go of under ring pressure (ring.ts), and
   * what it had sent but not yet published.
   */
  hostDied(handle: HostHandle, err: Error): void {
    if (handle.died && !handle.stuck) return;
    const main = this.main;
    const wasStuck = handle.stuck;
    handle.alive = false;
    handle.died = true;
    handle.exited = true;
    handle.stuck = false;
    handle.onClosed();
    main.hosts.released(handle);
    const reason = handle.runaway ? 'timeout' : 'worker-died';
    const wrapped = handle.runaway
      ? new TroupeError('ERR_TROUPE_HANDLER_TIMEOUT', `${handle.label} was blocked for more than ${main.maxHandlerMs} ms (maxHandlerMs) and was terminated`, { cause: err })
      : new TroupeError('ERR_TROUPE_WORKER_FAILED', `${handle.label} died: ${err.message}`, { cause: err });
    handle.control.kill(wrapped);
    main.remote?.threadDied(handle.thread);
    // Names, replies and exits it sent before it died come first: after this, what comes from
    // its thread comes from its replacement.
    main.mesh.drainFrom(handle.thread);
    // Counts toward its actors (main's, and the other hosts') are done with: what survives in
    // the rings is read by the replacement, and what died with the worker is dead-lettered (flow.ts).
    main.threadGone(handle.thread, false);
    const running = main.running;
    const stats = handle.stats;
    const now = Date.now();
    let queued = stats[S_QUEUED]!;
    const culpritId = stats[S_CUR_ACTOR]!;
    const culprit = culpritId === 0 ? undefined : handle.actors.get(culpritId)?.path ?? `@${handle.thread}.${culpritId}`;
    const from = stats[S_CUR_FROM]!;
    // What its rings still hold: the started messages end here; the queued ones come again.
    const failed = new TroupeError('ERR_TROUPE_WORKER_FAILED', `${handle.label} died while this message was being handled: ${err.message}`, { cause: err });
    const endedInRing = new Set<string>();
    let culpritInRing = false;
    let started = 0;
    const inRings = new Map<number, number>();
    const requeued = main.links.leftFor(handle.thread, (senderThread, kind, target, sender, corr, value, answered) => {
      const isCulprit = target === culpritId && senderThread * 0x100000000 + sender === from;
      culpritInRing ||= isCulprit;
      started++;
      queued--;
      stats[S_DEAD_LETTERED]!++;
      const error = isCulprit ? wrapped : failed;
      main.deadLetters.add({ reason: isCulprit ? reason : 'worker-died', target: handle.actors.get(target)?.path ?? `@${handle.thread}.${target}`,
        sender: sender === 0 ? null : `@${senderThread}.${sender}`, message: value ?? '[lost with the worker: it came over a port]',
        error: toWireError(error), time: now });
      if (kind === K_ASK) {
        endedInRing.add(`${senderThread}.${corr}`);
        if (!answered) this.rejectAsk(senderThread, corr, target, error);
      }
      else if (kind === K_TELL_RECEIPT || kind === K_TELL_LAST) main.remote?.culpritDied(corr);
    }, inRings);
    queued = Math.max(0, queued - requeued);
    if (culpritId !== 0 && from >= 0 && !culpritInRing && queued > 0) {
      // The message whose handler was running when the worker went down.
      queued--;
      stats[S_DEAD_LETTERED]!++;
      const senderThread = Math.floor(from / 0x100000000);
      const sender = from % 0x100000000;
      main.deadLetters.add({ reason, target: culprit!, sender: sender === 0 ? null : `@${senderThread}.${sender}`,
        message: '[lost with the worker: its handler was running]', error: toWireError(wrapped), time: now });
      const corr = stats[S_CUR_CORR]!;
      // A tell from another node that takes its worker down is not redelivered to do it again.
      if (corr < 0) main.remote?.culpritDied(-corr);
      else this.rejectAsk(senderThread, corr, culpritId, wrapped);
    }
    // Asks whose handlers were suspended in an await: their messages died with the heap too;
    // each is dead-lettered and its ask rejected now, not left to time out.
    let suspended = 0;
    for (const [thread, corr, actor] of takeBusyAsks(handle.busyAsks)) {
      if (endedInRing.has(`${thread}.${corr}`)) continue;
      if (queued <= 0) break;
      queued--;
      suspended++;
      stats[S_DEAD_LETTERED]!++;
      main.deadLetters.add({ reason, target: handle.actors.get(actor)?.path ?? `@${handle.thread}.${actor}`, sender: null,
        message: '[lost with the worker: its handler was suspended in an await]', error: toWireError(wrapped), time: now });
      this.rejectAsk(thread, corr, actor, wrapped);
    }
    const lost = queued + stats[S_OUTSTANDING]!;
    stats[S_DEAD_LETTERED]! += lost;
    // The top-level actor whose subtree's code was running: its fault, not its siblings'.
    const blamed = handle.actors.get(stats[S_CUR_ROOT]!);
    for (const slot of [S_QUEUED, S_OUTSTANDING, S_ACTORS, S_OPEN_BREAKERS, S_CUR_ACTOR, S_CUR_ROOT, S_HEARTBEAT]) stats[slot] = 0;
    // What lived only in its heap, per actor where its mailbox depth says so; the rest (what it
    // had sent and not published) in one entry for the worker.
    let unattributed = lost;
    forEachDepth(handle.depths, (id, depth) => {
      const n = Math.min(depth - (inRings.get(id) ?? 0), unattributed);
      if (n <= 0) return;
      unattributed -= n;
      main.deadLetters.add({ reason: 'worker-died', target: handle.actors.get(id)?.path ?? `@${handle.thread}.${id}`, sender: null,
        message: { lost: n }, error: toWireError(wrapped), time: now });
    });
    if (unattributed > 0) {
      main.deadLetters.add({ reason: 'worker-died', target: handle.label, sender: null, message: { lost: unattributed },
        error: toWireError(wrapped), time: now });
    }
    // Which of its top-level actors restart (the root supervisor's decision); the rest, and
    // every child actor, are gone.
    let restart: SpawnRecord[] = [];
    if (running && !wasStuck) {
      const decided = rootRestarts(handle.actors.values(), blamed, performance.now());
      for (const rec of decided.temporary) {
        main.events.add({ type: 'stop', actor: rec.path, reason: `${handle.label} died; a temporary actor is not restarted`, time: now });
      }
      for (const rec of decided.escalate) {
        this.escalate(rec, `${handle.label} died${blamed === rec ? ` in ${rec.path}'s code` : ''} and ${rec.path} had no restarts left (maxRestarts)`);
      }
      restart = decided.restart;
    }
    const keep = new Set(restart.map((r) => r.id));
    for (const rec of handle.actors.values()) if (!keep.has(rec.id)) main.names.unexpose(handle.thread, rec);
    handle.actors.clear();
    main.names.dropThread(handle.thread, keep);
    this.diedAt.push(Date.now());
    main.events.add({ type: 'worker-died', worker: handle.thread - 1, lost: lost + suspended + started + (culpritId !== 0 && from >= 0 && !culpritInRing ? 1 : 0), reason,
      ...(culprit ? { actor: culprit } : {}), error: toWireError(err), time: now });
    if (!running) return;
    main.log.error({ err, worker: handle.thread - 1, lost, actor: culprit, reason }, `host worker died; ${restart.length} actor(s) restart on a replacement`);
    // Replaced even with nothing to restart (a dedicated worker's temporary actor, say): the
    // replacement reads its rings, so mail still coming to its dead actors is dead-lettered
    // `no-such-actor` (and asks rejected) rather than left in flight, and watchers hear of them.
    if (!this.mayReplace(handle.thread)) {
      main.log.fatal({ worker: handle.thread - 1 }, `${handle.label} died ${MAX_REPLACEMENTS} times within ${REPLACEMENT_WINDOW_MS} ms; not replaced again`);
      for (const rec of restart) this.escalate(rec, `${handle.label} keeps dying`);
      main.threadGone(handle.thread, true);
      return;
    }
    void this.replace(handle, restart);
  }

  /** Rejects ask `corr` of thread `thread` (the message it asked about is lost). */
  rejectAsk(thread: number, corr: number, replier: number, err: TroupeError): void {
    if (corr === 0) return;
    if (thread === MAIN_THREAD) {
      this.main.asks.fail(corr, err);
      return;
    }
    const host = this.main.hosts.get(thread);
    if (!host || !host.alive) return;
    // A reply like any other: counted as sent here, as processed where it lands.
    this.main.mesh.send(thread, ASK_TABLE, replier, corr, K_REPLY_ERROR, toWireError(err));
    this.main.mainStats[S_SENT]!++;
  }

  /** A top-level actor's failure goes past the root: it stays stopped, and health is critical for a while. */
  escalate(rec: SpawnRecord, reason: string): void {
    const now = Date.now();
    this.main.events.add({ type: 'escalate', actor: rec.path, to: '/user', reason, time: now });
    this.main.mainStats[S_ROOT_ESCALATIONS]!++;
    this.main.mainStats[S_LAST_ESCALATION_AT] = now;
    this.main.log.error({ actor: rec.path }, `failure escalated to the top (${reason}); it stays stopped`);
  }

  /** Bounds replacements of one thread (a worker that dies as it starts must not loop forever). */
  private mayReplace(thread: number): boolean {
    const now = performance.now();
    const times = (this.replacements.get(thread) ?? []).filter((t) => now - t < REPLACEMENT_WINDOW_MS);
    if (times.length >= MAX_REPLACEMENTS) return false;
    times.push(now);
    this.replacements.set(thread, times);
    return true;
  }

  /** Starts a host on the dead one's thread index, rings and counters, and restarts its actors there. */
  private async replace(dead: HostHandle, restart: SpawnRecord[]): Promise<void> {
    const main = this.main;
    let host: HostHandle;
    let restored!: () => void;
    const done = new Promise<void>((resolve) => { restored = resolve; });
    const starting = main.hosts.replacement(dead, restart.map((r) => r.id));
    // A stop or spawn on this thread waits until the actors are back (the start put it in hosts).
    const attempt = main.hosts.get(dead.thread)!;
    attempt.restored = done;
    try {
      host = await starting;
    } catch (err) {
      restored();
      if (!main.running) return;
      main.log.error({ err, worker: dead.thread - 1 }, 'could not replace a dead host worker; its actors stay stopped');
      for (const rec of restart) this.escalate(rec, `${dead.label} could not be replaced`);
      // Unless the attempt's own death already started another one.
      if (main.hosts.get(dead.thread) === attempt) {
        main.hosts.reinstate(dead);
        main.threadGone(dead.thread, true);
      }
      return;
    }
    const restarted: number[] = [];
    try {
      if (!main.running) return;
      // All at once: an init may ask a sibling restored after it (its mail waits until restored()).
      await Promise.all(restart.map(async (rec) => {
        // On the replacement's list before its spawn: if the replacement dies meanwhile (another
        // actor's init took it down, say), this one is among those its own replacement restarts.
        host.actors.set(rec.id, rec);
        try {
          await host.control.call('spawn', [{ ...rec.req, id: rec.id }], main.controlTimeoutMs + (rec.req.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS));
          restarted.push(rec.id);
        } catch (err) {
          if (host.died) return; // (hostDied took it over)
          host.actors.delete(rec.id);
          main.log.error({ err, actor: rec.path }, 'restart on the replacement worker failed; it stays stopped');
          main.events.add({ type: 'stop', actor: rec.path, reason: `restart failed: ${(err as Error).message}`, time: Date.now() });
          if (rec.name !== undefined) main.names.forget(rec.name, dead.thread, rec.id);
          main.names.unexpose(dead.thread, rec);
        }
      }));
      if (host.died) return;
      await host.control.call('restored', [], main.controlTimeoutMs).catch((err) =>
        main.log.error({ err, worker: dead.thread - 1 }, 'replacement worker: restored() failed'));
    } finally {
      restored();
    }
    if (!main.running || host.died) return;
    const now = Date.now();
    host.stats[S_RESTARTS]! += restarted.length;
    if (restarted.length > 0) host.stats[S_LAST_RESTART_AT] = now;
    main.events.add({ type: 'worker-replaced', worker: dead.thread - 1, restarted: restart.filter((r) => restarted.includes(r.id)).map((r) => r.path), time: now });
    main.log.warn({ worker: dead.thread - 1, restarted: restarted.length }, 'host worker replaced');
    // Watchers elsewhere: watch the restarted actors anew, and hear that the others are gone.
    for (const h of main.hosts.all) {
      if (h && h.alive && h !== host) h.events.postMessage({ t: 'peer-replaced', thread: dead.thread, restarted });
    }
  }
}
