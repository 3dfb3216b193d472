/**
 * The watchdog, on main: every heartbeat interval it finds the hosts blocked past maxHandlerMs
 * (supervision/runaways.ts) and terminates their workers; recovery replaces them. A worker that
 * terminate() cannot stop within terminateTimeoutMs (stuck in native code) is given up on: its
 * actors escalate past the root and stay stopped.
 */
import type { Logger } from 'pino';
import { TroupeError } from '../../actors/errors.js';
import type { SupervisionEvents } from '../../supervision/events.js';
import { runaways } from '../../supervision/runaways.js';
import { S_CUR_ACTOR, S_HEARTBEAT } from '../constants.js';
import type { HostHandle, Hosts } from './hosts.js';
import type { Names } from './names.js';
import type { Recovery } from './recovery.js';

/** What the watchdog sees of main. */
export interface WatchdogOwner {
  readonly log: Logger;
  readonly events: SupervisionEvents;
  readonly hosts: Hosts;
  readonly names: Names;
  readonly recovery: Recovery;
  readonly running: boolean;
}

export class Watchdog {
  private readonly timer: ReturnType<typeof setInterval> | null;

  /** `heartbeatMs`: how often the hosts beat, and it looks (0: no watchdog). */
  constructor(private readonly main: WatchdogOwner, private readonly maxHandlerMs: number, heartbeatMs: number,
    private readonly terminateTimeoutMs: number) {
    this.timer = heartbeatMs > 0 ? setInterval(() => this.check(), heartbeatMs) : null;
    this.timer?.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** A host whose heartbeat is older than maxHandlerMs is blocked: terminate it. */
  check(): void {
    if (!this.main.running) return;
    const now = performance.timeOrigin + performance.now();
    const watched = this.main.hosts.all.filter((h): h is HostHandle => !!h).map((h) => ({ h, beat: h.stats[S_HEARTBEAT]!, watched: h.alive && !h.runaway }));
    for (const { host, blockedMs } of runaways(watched, now, this.maxHandlerMs)) this.terminate(host.h, blockedMs);
  }

  private terminate(h: HostHandle, blockedMs: number): void {
    h.runaway = true;
    const id = h.stats[S_CUR_ACTOR]!;
    const actor = id === 0 ? undefined : h.actors.get(id)?.path ?? `@${h.thread}.${id}`;
    this.main.events.add({ type: 'runaway', worker: h.thread - 1, ...(actor ? { actor } : {}), blockedMs: Math.round(blockedMs), time: Date.now() });
    this.main.log.error({ worker: h.thread - 1, actor, blockedMs: Math.round(blockedMs), maxHandlerMs: this.maxHandlerMs },
      'host worker blocked past maxHandlerMs; terminating it');
    const worker = h.pool.threads.find((w) => w.threadId === h.workerThreadId);
    if (!worker) return;
    const timer = setTimeout(() => this.stuck(h), this.terminateTimeoutMs);
    timer.unref();
    void worker.terminate().finally(() => clearTimeout(timer));
  }

  /**
   * terminate() did not finish in time (the thread is stuck in native code, where V8 cannot stop
   * it): its actors escalate to the root and stay stopped. If the thread ever exits, a fresh
   * host takes its place (with no actors).
   */
  private stuck(h: HostHandle): void {
    const main = this.main;
    if (h.died || !main.running) return;
    h.stuck = true;
    h.alive = false;
    h.died = true;
    const err = new TroupeError('ERR_TROUPE_WORKER_FAILED', `${h.label} could not be terminated within ${this.terminateTimeoutMs} ms`);
    h.control.kill(err);
    main.events.add({ type: 'worker-stuck', worker: h.thread - 1, time: Date.now() });
    main.log.fatal({ worker: h.thread - 1, terminateTimeoutMs: this.terminateTimeoutMs }, 'host worker stuck: terminate() did not finish; its actors escalate');
    for (const rec of h.actors.values()) {
      main.recovery.escalate(rec, `${h.label} is stuck and could not be terminated`);
      main.names.unexpose(h.thread, rec);
    }
    main.names.dropThread(h.thread);
    h.actors.clear();
  }
}
