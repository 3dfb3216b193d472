/**
 * Checks the alert rules (alerts.ts) every `intervalMs`, and soon after each supervision event:
 * gathers the facts (health, stats and the health window's counts from shared memory, the
 * backpressured count from the hosts, asked at most every 5 s) and hands them to Alerts. One check
 * at a time.
 */
import type { SystemHealth, SystemStats } from '../runtime/main/system-types.js';
import type { AlertFacts, Alerts } from './alerts.js';

export interface AlertSource {
  readonly healthWindowMs: number;
  readonly remote: { readonly connected: boolean; readonly outboxSize: number } | null;
  stats(): SystemStats;
  healthReport(): SystemHealth;
  /** Messages handled, dead letters and handler failures within the health window. */
  healthWindow(): { handled: number; dead: number; failed: number };
  /** Senders held at a high-water mark now (asks the hosts). */
  backpressured(): Promise<number>;
}

/** How often the hosts are asked how many of their actors are held at a high-water mark. */
const BACKPRESSURE_MS = 5000;

export class AlertTicker {
  private readonly timer: ReturnType<typeof setInterval>;
  private running = false;
  private again = false;
  private stopped = false;
  private lastBackpressured = 0;
  /** When the hosts were last asked (at most every BACKPRESSURE_MS: a round trip to each). */
  private backpressuredAt = -Infinity;

  constructor(private readonly alerts: Alerts, private readonly source: AlertSource, intervalMs: number) {
    this.timer = setInterval(() => this.poke(), intervalMs);
    this.timer.unref();
  }

  /** Checks the rules soon (coalesced with a check under way). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) { this.again = true; return; }
    this.running = true;
    void this.check().finally(() => {
      this.running = false;
      if (this.again) { this.again = false; this.poke(); }
    });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    const s = this.source;
    if (performance.now() - this.backpressuredAt >= BACKPRESSURE_MS) {
      this.backpressuredAt = performance.now();
      try {
        this.lastBackpressured = await s.backpressured();
      } catch { /* a host that does not answer: keep the last count */ }
    }
    if (this.stopped) return;
    const health = s.healthReport();
    if (health.status === 'stopped') return;
    const w = s.healthWindow();
    const facts: AlertFacts = {
      time: Date.now(), health, stats: s.stats(),
      window: { ms: s.healthWindowMs, handled: w.handled, deadLetters: w.dead, failures: w.failed },
      backpressured: this.lastBackpressured,
      nats: s.remote === null ? null : { connected: s.remote.connected, outbox: s.remote.outboxSize },
    };
    this.alerts.evaluate(facts);
  }
}
