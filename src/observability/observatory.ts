/**
 * What the observability routes, the metrics and the alerts read, gathered on main: the counts in
 * shared memory (stats, health), each live host's `observe` answer (host/observe.ts: its busiest
 * actors, counts per actor type, busy share, heap), dead letters, error events and alerts. Hosts
 * are asked only when someone looks (a scrape, a dashboard, an alert tick), never per message.
 */
import type { Observation } from '../runtime/host/observe.js';
import type { ControlClient } from '../runtime/main/control.js';
import type { DeadLetters } from '../runtime/main/dead-letters.js';
import { previewOf } from '../runtime/main/message-size.js';
import type { SystemHealth, SystemStats } from '../runtime/main/system-types.js';
import type { SupervisionEvents } from '../supervision/events.js';
import type { Alerts } from './alerts.js';
import type { ErrorEvents } from './error-events.js';
import type { ActorRow, ActorsReport, DeadLettersReport, ErrorsReport, KindRow, Snapshot, WorkerRow } from './types.js';

/** What the observatory sees of a host worker. */
export interface ObservedHost {
  readonly thread: number;
  readonly alive: boolean;
  readonly dedicated: boolean;
  readonly control: ControlClient;
}

/** What the observatory sees of the system (Main). */
export interface ObservedSystem {
  readonly name: string;
  readonly node: string;
  readonly controlTimeoutMs: number;
  readonly deadLetters: DeadLetters;
  readonly errors: ErrorEvents;
  readonly alerts: Alerts;
  readonly events: SupervisionEvents;
  readonly remote: { readonly connected: boolean; readonly outboxSize: number } | null;
  /** Main's paths past their high-water mark now. */
  readonly paths: { readonly overMark: number };
  /** Pool actors (spawnPool): shown as actors of type `pool:<name>` on worker -1. */
  readonly pools: ReadonlySet<{ readonly name: string; observed(): { waiting: number; running: number; handled: number; failed: number } }>;
  stats(): SystemStats;
  healthReport(): SystemHealth;
  observedHosts(): readonly ObservedHost[];
}

/** How many actors `GET /actors` shows by default. */
export const DEFAULT_ACTOR_LIMIT = 200;

export class Observatory {
  /** Handler failures since start, by category (from the supervision events). */
  private readonly failures = new Map<string, number>();

  constructor(private readonly system: ObservedSystem) {
    system.events.subscribe((e) => {
      if (e.type === 'failure') this.failures.set(e.category, (this.failures.get(e.category) ?? 0) + 1);
    });
  }

  /** The counts the metrics read, all from main (no host asked). */
  counts(): { health: SystemHealth; stats: SystemStats; failures: ReadonlyMap<string, number>; deadLetters: Record<string, number>; nats: Snapshot['nats'] } {
    const s = this.system;
    return {
      health: s.healthReport(), stats: s.stats(), failures: this.failures, deadLetters: s.deadLetters.counts(),
      nats: s.remote === null ? null : { connected: s.remote.connected, outbox: s.remote.outboxSize },
    };
  }

  /** The busiest `limit` actors over all hosts, the workers, counts per actor type. */
  async actors(limit = DEFAULT_ACTOR_LIMIT): Promise<ActorsReport> {
    const s = this.system;
    const hosts = s.observedHosts();
    const looks = await Promise.all(hosts.map((h) => (h.alive
      ? h.control.call('observe', [limit], s.controlTimeoutMs).catch(() => null)
      : Promise.resolve(null))));
    const rows: ActorRow[] = [];
    const workers: WorkerRow[] = [];
    const kinds = new Map<string, KindRow>();
    let total = 0;
    let backpressured = s.paths.overMark > 0 ? 1 : 0;
    hosts.forEach((h, i) => {
      const look: Observation | null = looks[i]!;
      const worker = h.thread - 1;
      workers.push({
        worker, alive: h.alive && look !== null, dedicated: h.dedicated, actors: look?.actors ?? 0, queued: look === null ? 0 : look.kinds.reduce((n, k) => n + k.mailbox, 0),
        busy: look?.busy ?? 0, heapUsed: look?.heapUsed ?? 0, heapTotal: look?.heapTotal ?? 0,
      });
      if (look === null) return;
      total += look.actors;
      backpressured += look.backpressured;
      for (const a of look.top) rows.push({ ...a, worker });
      for (const k of look.kinds) {
        const m = kinds.get(k.type);
        if (m === undefined) kinds.set(k.type, addKind(emptyKind(k.type), k));
        else addKind(m, k);
      }
    });
    for (const p of s.pools) {
      const o = p.observed();
      total++;
      rows.push({
        path: `pool:${p.name}`, name: p.name, type: `pool:${p.name}`, worker: -1, mailbox: o.waiting, processed: o.handled, failed: o.failed,
        restarts: 0, breaker: null, parent: null, children: 0, subtree: 0, backpressured: false,
      });
    }
    rows.sort((a, b) => (b.mailbox - a.mailbox) || (b.processed - a.processed));
    return { time: Date.now(), total, actors: rows.slice(0, limit), workers, kinds: [...kinds.values()], backpressured };
  }

  deadLetters(limit = 50): DeadLettersReport {
    const d = this.system.deadLetters;
    const recent = d.list({}).slice(-limit).reverse().map((e) => ({
      reason: e.reason, target: e.target, sender: e.sender, message: previewOf(e.message, 200), error: e.error?.message ?? null, time: e.time,
    }));
    return { total: d.count, byReason: d.counts(), recent, replay: this.system.remote !== null };
  }

  async errors(limit = 50): Promise<ErrorsReport> {
    const s = this.system;
    const recent = (await s.errors.recent({ limit })).reverse();
    return { recent, totals: await s.errors.totals() };
  }

  /** Everything the dashboard shows, at once. */
  async snapshot(limit = DEFAULT_ACTOR_LIMIT): Promise<Snapshot> {
    const s = this.system;
    const [actors, errors] = await Promise.all([this.actors(limit), this.errors(20)]);
    return {
      time: Date.now(), system: s.name, node: s.node, health: s.healthReport(), stats: s.stats(), actors,
      deadLetters: this.deadLetters(20), errors, alerts: { active: s.alerts.active(), history: s.alerts.history({ limit: 50 }) },
      nats: s.remote === null ? null : { connected: s.remote.connected, outbox: s.remote.outboxSize },
    };
  }
}

/** A type's counts, all zero. */
export function emptyKind(type: string): KindRow {
  return { type, actors: 0, mailbox: 0, processed: 0, failed: 0, handler: { buckets: [], sum: 0, count: 0 } };
}

/** Adds `k`'s counts to `into` (returned). */
export function addKind(into: KindRow, k: KindRow): KindRow {
  into.actors += k.actors;
  into.mailbox += k.mailbox;
  into.processed += k.processed;
  into.failed += k.failed;
  into.handler.sum += k.handler.sum;
  into.handler.count += k.handler.count;
  k.handler.buckets.forEach((n, b) => { into.handler.buckets[b] = (into.handler.buckets[b] ?? 0) + n; });
  return into;
}
