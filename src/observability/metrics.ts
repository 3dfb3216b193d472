/**
 * `GET /metrics`: Prometheus text from prom-client, in a registry of the server's own (not the
 * global one). Values are read at scrape time from what the system already counts (shared-memory
 * counters, dead-letter and failure counts on main, each host's counts per actor type), so a
 * scrape costs one `observe` round trip per host and nothing is done per message beyond the
 * counts. Labels: actor type (the module's file name), dead-letter reason, failure category;
 * never an actor's path or id. At most MAX_TYPES actor types are labelled; the rest are `other`.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { HANDLER_BUCKETS, type KindRow } from './types.js';
import { addKind, emptyKind, type Observatory } from './observatory.js';

const MAX_TYPES = 100;
const STATUS = { healthy: 0, degraded: 1, critical: 2, stopped: 2 } as const;

/** The handler-duration histogram: its buckets are counted on the hosts, so it is a metric of our own for the registry. */
class HandlerHistogram {
  readonly name = 'troupe_handler_duration_seconds';
  readonly help = 'Handler durations by actor type, sampled: about one message in 64 per type on each worker (async handlers until they settle)';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  kinds: KindRow[] = [];

  get(): { name: string; help: string; type: string; aggregator: string; values: { value: number; labels: Record<string, string | number>; metricName: string }[] } {
    const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
    for (const k of this.kinds) {
      let cumulative = 0;
      HANDLER_BUCKETS.forEach((le, i) => {
        cumulative += k.handler.buckets[i] ?? 0;
        values.push({ value: cumulative, labels: { actor_type: k.type, le }, metricName: `${this.name}_bucket` });
      });
      values.push({ value: k.handler.count, labels: { actor_type: k.type, le: '+Inf' }, metricName: `${this.name}_bucket` });
      values.push({ value: k.handler.sum, labels: { actor_type: k.type }, metricName: `${this.name}_sum` });
      values.push({ value: k.handler.count, labels: { actor_type: k.type }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class Metrics {
  readonly registry = new Registry();
  private readonly histogram = new HandlerHistogram();
  private readonly c: Record<'sent' | 'processed' | 'deadLetters' | 'restarts' | 'failures' | 'typeHandled' | 'typeFailed', Counter>;
  private readonly g: Record<'mailbox' | 'actors' | 'breakers' | 'workers' | 'health' | 'queued' | 'inFlight', Gauge>;
  /** With NATS only. */
  private readonly nats: { connected: Gauge; outbox: Gauge } | null;

  constructor(private readonly observatory: Observatory) {
    const registers = [this.registry];
    const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers });
    const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers });
    this.c = {
      sent: counter('troupe_messages_sent_total', 'User messages sent (tell and ask), every thread'),
      processed: counter('troupe_messages_processed_total', 'Messages handled without error'),
      deadLetters: counter('troupe_dead_letters_total', 'Dead letters, by reason', ['reason']),
      restarts: counter('troupe_actor_restarts_total', 'Actor restarts'),
      failures: counter('troupe_actor_failures_total', 'Handler failures, by category', ['category']),
      typeHandled: counter('troupe_actor_messages_handled_total', 'Messages given to handlers (failed ones too), by actor type (live workers)', ['actor_type']),
      typeFailed: counter('troupe_actor_messages_failed_total', 'Handler failures, by actor type (live workers)', ['actor_type']),
    };
    this.g = {
      mailbox: gauge('troupe_mailbox_messages', 'Messages waiting in mailboxes, by actor type', ['actor_type']),
      actors: gauge('troupe_actors', 'Live actors'),
      breakers: gauge('troupe_breakers_open', 'Circuit breakers open or half-open'),
      workers: gauge('troupe_workers', 'Host workers alive'),
      health: gauge('troupe_health_status', 'Health: 0 healthy, 1 degraded, 2 critical (or stopped)'),
      queued: gauge('troupe_messages_queued', 'Messages in mailboxes, every thread'),
      inFlight: gauge('troupe_messages_in_flight', 'Messages sent and not yet in a mailbox (in rings, spilled, or on their way to NATS)'),
    };
    this.nats = observatory.counts().nats === null ? null : {
      connected: gauge('troupe_nats_connected', '1 while connected to NATS, else 0'),
      outbox: gauge('troupe_nats_outbox_messages', 'Messages waiting in the outbox to other nodes'),
    };
    this.registry.registerMetric(this.histogram as never);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The metrics now, as Prometheus text. */
  async text(): Promise<string> {
    const o = this.observatory;
    const look = await o.actors(0);
    const { health, stats, failures, deadLetters, nats } = o.counts();
    const { c, g } = this;
    set(c.sent, stats.sent);
    set(c.processed, stats.processed);
    c.deadLetters.reset();
    for (const [reason, n] of Object.entries(deadLetters)) c.deadLetters.inc({ reason }, n);
    set(c.restarts, health.restarts);
    c.failures.reset();
    for (const [category, n] of failures) c.failures.inc({ category }, n);
    const kinds = capTypes(look.kinds);
    c.typeHandled.reset();
    c.typeFailed.reset();
    g.mailbox.reset();
    for (const k of kinds) {
      c.typeHandled.inc({ actor_type: k.type }, k.processed);
      c.typeFailed.inc({ actor_type: k.type }, k.failed);
      g.mailbox.set({ actor_type: k.type }, k.mailbox);
    }
    this.histogram.kinds = kinds;
    g.actors.set(stats.actors);
    g.breakers.set(health.openBreakers);
    g.workers.set(health.workers.alive);
    g.health.set(STATUS[health.status]);
    g.queued.set(stats.queued);
    g.inFlight.set(Math.max(0, stats.inFlight));
    if (this.nats !== null && nats !== null) {
      this.nats.connected.set(nats.connected ? 1 : 0);
      this.nats.outbox.set(nats.outbox);
    }
    return this.registry.metrics();
  }
}

function set(counter: Counter, value: number): void {
  counter.reset();
  counter.inc(Math.max(0, value));
}

/** At most MAX_TYPES actor types, the busiest; the rest summed as `other`. */
function capTypes(kinds: KindRow[]): KindRow[] {
  if (kinds.length <= MAX_TYPES) return kinds;
  const sorted = [...kinds].sort((a, b) => b.processed - a.processed);
  const kept = sorted.slice(0, MAX_TYPES - 1);
  const other = emptyKind('other');
  for (const k of sorted.slice(MAX_TYPES - 1)) addKind(other, k);
  return [...kept, other];
}
