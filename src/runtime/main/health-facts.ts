/**
 * system.stats() and system.health() on main: the counts summed from every thread's shared
 * counters (no round trip to the workers), and the facts health is judged on — gathered here,
 * judged by supervision/health.ts.
 */
import { judgeHealth } from '../../supervision/health.js';
import {
  MAIN_THREAD, S_ACTORS, S_DEAD_LETTERED, S_FAILED, S_LAST_ESCALATION_AT, S_LAST_FAILURE_AT, S_LAST_RESTART_AT,
  S_OPEN_BREAKERS, S_PROCESSED, S_QUEUED, S_RESTARTS, S_RETURNED, S_SENT, S_TURNS,
} from '../constants.js';
import type { NodeBridge } from '../node-port.js';
import type { PoolRef } from '../pool/pool.js';
import { HealthSignals } from './health-signals.js';
import type { Hosts } from './hosts.js';
import type { Links } from './links.js';
import type { Recovery } from './recovery.js';
import type { SystemHealth, SystemStats } from './system-types.js';

/** What health sees of main. */
export interface HealthOwner {
  readonly hosts: Hosts;
  readonly mainStats: Float64Array;
  readonly links: Links;
  readonly recovery: Recovery;
  readonly remote: NodeBridge | null;
  readonly pools: ReadonlySet<PoolRef>;
  readonly state: 'running' | 'stopping' | 'stopped';
}

export class Health {
  /** Dead letters and ring progress over the health window, sampled by `sampler` (and at each report). */
  private readonly signals: HealthSignals;
  private readonly sampler: ReturnType<typeof setInterval>;

  constructor(private readonly main: HealthOwner, private readonly windowMs: number, private readonly maxHandlerMs: number) {
    this.signals = new HealthSignals(windowMs);
    this.sample();
    this.sampler = setInterval(() => this.sample(), Math.max(10, Math.min(1000, Math.floor(windowMs / 10))));
    this.sampler.unref();
  }

  stop(): void {
    clearInterval(this.sampler);
  }

  /** Counts over all threads, read from shared memory. */
  stats(): SystemStats {
    const sum = (slot: number) => this.main.hosts.sum(slot, this.main.mainStats[slot]!);
    const sent = sum(S_SENT);
    const processed = sum(S_PROCESSED);
    const deadLettered = sum(S_DEAD_LETTERED);
    const queued = sum(S_QUEUED);
    return {
      sent, processed, deadLettered, queued, inFlight: sent - processed - deadLettered - queued - sum(S_RETURNED),
      failed: sum(S_FAILED), returned: sum(S_RETURNED), actors: sum(S_ACTORS), turns: sum(S_TURNS),
    };
  }

  /** The system's health now; the rules are SystemHealth's doc (system-types.ts). */
  report(): SystemHealth {
    const { hosts, mainStats, remote, state } = this.main;
    const all = hosts.all.filter((h) => h !== undefined);
    const sum = (slot: number) => hosts.sum(slot, mainStats[slot]!);
    const latest = (slot: number) => all.reduce((n, h) => Math.max(n, h.stats[slot]!), 0);
    const since = Date.now() - this.windowMs;
    const processed = sum(S_PROCESSED);
    const failed = sum(S_FAILED);
    const openBreakers = sum(S_OPEN_BREAKERS);
    const running = state === 'running';
    if (running) this.sample();
    const window = this.signals.windowCounts();
    const critical: string[] = [];
    const degraded: string[] = [];
    if (remote && !remote.connected) {
      const why = remote.refused ? "NATS refuses this node's credentials (ERR_TROUPE_NATS_AUTH)" : 'NATS unreachable';
      degraded.push(`${why}: ${remote.outboxSize} message(s) wait in the outbox`);
    }
    if (remote) degraded.push(...remote.healthReasons());
    for (const pool of this.main.pools) pool.judge(since, critical, degraded);
    const { status, reasons } = judgeHealth({
      state,
      liveWorkers: hosts.liveShared(),
      deadWorkers: all.filter((h) => h.died && !h.stuck).length,
      stuckWorkers: all.filter((h) => h.stuck).length,
      escalated: Math.max(latest(S_LAST_ESCALATION_AT), mainStats[S_LAST_ESCALATION_AT]!) >= since,
      restarted: latest(S_LAST_RESTART_AT) >= since,
      failed: latest(S_LAST_FAILURE_AT) >= since,
      replaced: this.main.recovery.recentDeaths(since),
      openBreakers,
      windowDeadLetters: running ? window.dead : 0,
      windowHandled: running ? window.handled : 0,
      wedgedLinks: running ? this.wedgedLinks() : [],
      critical,
      degraded,
    });
    return {
      status, actors: sum(S_ACTORS), restarts: sum(S_RESTARTS), openBreakers, deadLetters: sum(S_DEAD_LETTERED),
      processed, failed, successRate: processed + failed === 0 ? 1 : processed / (processed + failed),
      workers: { total: all.length, alive: all.filter((h) => h.alive).length },
      reasons,
      ...(remote ? { nats: { connected: remote.connected, outbox: remote.outboxSize } } : {}),
    };
  }

  /** Messages handled, dead letters and handler failures within the health window, sampled now. */
  window(): { handled: number; dead: number; failed: number } {
    this.sample();
    return this.signals.windowCounts();
  }

  /** Samples the counts and the rings (health-signals.ts). */
  private sample(): void {
    const { hosts, mainStats } = this.main;
    const dead = hosts.sum(S_DEAD_LETTERED, mainStats[S_DEAD_LETTERED]!);
    const handled = hosts.sum(S_PROCESSED, mainStats[S_PROCESSED]!) + dead;
    this.signals.sample(performance.now(), handled, dead, hosts.sum(S_FAILED, mainStats[S_FAILED]!), this.main.links.rings);
  }

  /**
   * Records that wait on a ring whose live consumer has not taken one for maxHandlerMs (30 s
   * with the watchdog off), in words. A dead consumer is its own reason.
   */
  private wedgedLinks(): string[] {
    const limit = this.maxHandlerMs > 0 ? this.maxHandlerMs : 30_000;
    const hosts = this.main.hosts;
    const label = (t: number) => (t === MAIN_THREAD ? 'main' : hosts.get(t)?.label ?? `thread ${t}`);
    const out: string[] = [];
    for (const key of this.signals.stuckLinks(performance.now(), limit)) {
      const from = Math.floor(key / 65536);
      const to = key % 65536;
      if (to !== MAIN_THREAD && !hosts.get(to)?.alive) continue;
      out.push(`records from ${label(from)} to ${label(to)} have waited ${limit} ms or more with none taken (a wedged link)`);
    }
    return out;
  }
}
