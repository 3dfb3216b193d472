// Alert rules on given facts (no clock): forMs, firing once, resolving by itself, rule errors, options.
import { describe, expect, it } from 'vitest';
import { Alerts, DEFAULT_ALERT_RULES, type Alert, type AlertFacts } from '../../src/index.js';
import { alertConfig } from '../../src/observability/alerts.js';

function facts(time: number, over: Partial<AlertFacts> = {}): AlertFacts {
  return {
    time,
    health: { status: 'healthy', actors: 1, restarts: 0, openBreakers: 0, deadLetters: 0, processed: 0, failed: 0, successRate: 1, workers: { total: 1, alive: 1 }, reasons: [] },
    stats: { sent: 0, processed: 0, deadLettered: 0, queued: 0, inFlight: 0, failed: 0, returned: 0, actors: 1, turns: 0 },
    window: { ms: 30_000, handled: 0, deadLetters: 0, failures: 0 },
    backpressured: 0,
    nats: null,
    ...over,
  };
}

describe('Alerts', () => {
  it('fires once its condition has held for forMs, once, and resolves by itself', () => {
    const alerts = new Alerts(alertConfig({ defaults: false, rules: [{ name: 'busy', severity: 'warning', forMs: 1000, when: (f) => f.backpressured > 0 && `${f.backpressured} held` }] }).rules);
    const seen: Alert[] = [];
    alerts.subscribe((a) => seen.push(a));
    alerts.evaluate(facts(0, { backpressured: 2 }));
    alerts.evaluate(facts(999, { backpressured: 2 }));
    expect(seen).toEqual([]);
    alerts.evaluate(facts(1000, { backpressured: 3 }));
    alerts.evaluate(facts(5000, { backpressured: 3 }));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ name: 'busy', severity: 'warning', state: 'firing', message: '3 held', firedAt: 1000, resolvedAt: null });
    expect(alerts.active()).toHaveLength(1);
    alerts.evaluate(facts(6000));
    expect(seen[1]).toMatchObject({ name: 'busy', state: 'resolved', firedAt: 1000, resolvedAt: 6000, id: seen[0]!.id });
    expect(alerts.active()).toEqual([]);
    expect(alerts.history()).toMatchObject([{ name: 'busy', state: 'resolved' }]);
  });

  it('starts forMs again when the condition stops holding before it', () => {
    const alerts = new Alerts(alertConfig({ defaults: false, rules: [{ name: 'x', severity: 'info', forMs: 100, when: (f) => f.backpressured > 0 }] }).rules);
    alerts.evaluate(facts(0, { backpressured: 1 }));
    alerts.evaluate(facts(50));
    alerts.evaluate(facts(60, { backpressured: 1 }));
    alerts.evaluate(facts(150, { backpressured: 1 }));
    expect(alerts.active()).toEqual([]);
    alerts.evaluate(facts(160, { backpressured: 1 }));
    expect(alerts.active()).toMatchObject([{ name: 'x', message: 'x' }]);
  });

  it('has default rules: breaker open, health critical, dead letters and failures over the health thresholds, backpressure, NATS down', () => {
    expect(DEFAULT_ALERT_RULES.map((r) => r.name)).toEqual(['breaker-open', 'health-critical', 'dead-letters', 'failures', 'backpressure', 'nats-disconnected']);
    const alerts = new Alerts(alertConfig(undefined).rules);
    const h = facts(0).health;
    alerts.evaluate(facts(0, {
      health: { ...h, status: 'critical', openBreakers: 2, reasons: ['no host worker is alive'] },
      window: { ms: 30_000, handled: 1000, deadLetters: 150, failures: 120 },
      nats: { connected: false, outbox: 5 }, backpressured: 1,
    }));
    expect(alerts.active().map((a) => a.name).sort()).toEqual(['breaker-open', 'dead-letters', 'failures', 'health-critical']);
    expect(alerts.active().find((a) => a.name === 'health-critical')?.message).toBe('no host worker is alive');
    alerts.evaluate(facts(30_000, { nats: { connected: false, outbox: 5 }, backpressured: 1 }));
    expect(alerts.active().map((a) => a.name).sort()).toEqual(['backpressure', 'nats-disconnected']);
    // 99 dead letters are under the floor (100), as for health().
    alerts.evaluate(facts(31_000, { window: { ms: 30_000, handled: 200, deadLetters: 99, failures: 0 } }));
    expect(alerts.active()).toEqual([]);
  });

  it('a rule that throws counts as not holding, and is reported', () => {
    const errors: string[] = [];
    const alerts = new Alerts(alertConfig({ defaults: false, rules: [{ name: 'bad', severity: 'critical', forMs: 0, when: () => { throw new Error('oops'); } }] }).rules, (rule) => errors.push(rule));
    alerts.evaluate(facts(0));
    expect(alerts.active()).toEqual([]);
    expect(errors).toEqual(['bad']);
  });

  it('checks its options, and a rule of yours replaces the default of its name', () => {
    expect(() => alertConfig({ rules: [{ name: 'x', severity: 'loud' as never, when: () => true }] })).toThrow(/severity/);
    expect(() => alertConfig({ rules: [{ name: 'x', severity: 'info', when: 'yes' as never }] })).toThrow(/when/);
    expect(() => alertConfig({ rules: [{ name: 'x', severity: 'info', when: () => true, forMs: -1 }] })).toThrow(/forMs/);
    expect(() => alertConfig({ rules: [{ name: 'x', severity: 'info', when: () => true }, { name: 'x', severity: 'info', when: () => true }] })).toThrow(/different names/);
    expect(() => alertConfig({ colour: 1 } as never)).toThrow(/colour/);
    const c = alertConfig({ rules: [{ name: 'breaker-open', severity: 'critical', when: () => false }] });
    expect(c.rules.filter((r) => r.name === 'breaker-open')).toMatchObject([{ severity: 'critical' }]);
    expect(c.rules).toHaveLength(DEFAULT_ALERT_RULES.length);
  });
});
