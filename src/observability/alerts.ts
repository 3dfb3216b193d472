/**
 * Alerts: rules over the system's health and counts, checked every second (and at once after a
 * supervision event). A rule fires once its condition has held for `forMs`, stays active while it
 * holds, and resolves by itself when it no longer does (Prometheus's alerting rules, in process).
 * `system.alerts` lists them and calls subscribers; with NATS each firing and resolution is also
 * published on `<prefix>.alerts.<severity>`.
 */
import { randomUUID } from 'node:crypto';
import { invalidArgument, refuseUnknownKeys } from '../actors/errors.js';
import type { SystemHealth, SystemStats } from '../runtime/main/system-types.js';
import { DEAD_LETTER_FLOOR, DEAD_LETTER_SHARE } from '../supervision/health.js';
import type { Alert, AlertSeverity } from './types.js';

export type { Alert, AlertSeverity };

/** What a rule's `when` is given. */
export interface AlertFacts {
  time: number;
  health: SystemHealth;
  stats: SystemStats;
  /** Counts over the health window (healthWindowMs): messages handled (processed or dead-lettered), dead letters, handler failures. */
  window: { ms: number; handled: number; deadLetters: number; failures: number };
  /** Actors (and main) held back at a high-water mark (flow control), as the workers said at most 5 s ago. */
  backpressured: number;
  nats: { connected: boolean; outbox: number } | null;
}

export interface AlertRule {
  name: string;
  severity: AlertSeverity;
  /** Whether the rule's condition holds: true, or a string that says what holds (the alert's message). */
  when: (facts: AlertFacts) => boolean | string;
  /** How long the condition must hold before the alert fires. Default 30 000 ms. */
  forMs?: number;
}

export interface AlertOptions {
  /** Rules of your own; one named like a default rule replaces it. */
  rules?: AlertRule[];
  /** Whether the default rules (DEFAULT_ALERT_RULES) apply. Default true. */
  defaults?: boolean;
  /** How often the rules are checked. Default 1 000 ms. */
  intervalMs?: number;
}

const SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical'];
const HISTORY = 1000;

function overShare(n: number, of: number): boolean {
  return n >= DEAD_LETTER_FLOOR && n > DEAD_LETTER_SHARE * of;
}

/** The rules every system has unless `alerts.defaults` is false. */
export const DEFAULT_ALERT_RULES: readonly AlertRule[] = [
  { name: 'breaker-open', severity: 'warning', forMs: 0, when: (f) => f.health.openBreakers > 0 && `${f.health.openBreakers} circuit breaker(s) open` },
  { name: 'health-critical', severity: 'critical', forMs: 0, when: (f) => f.health.status === 'critical' && f.health.reasons.join('; ') },
  {
    name: 'dead-letters', severity: 'warning', forMs: 0,
    when: (f) => overShare(f.window.deadLetters, f.window.handled) && `${f.window.deadLetters} of ${f.window.handled} message(s) dead-lettered within ${f.window.ms} ms`,
  },
  {
    name: 'failures', severity: 'warning', forMs: 0,
    when: (f) => overShare(f.window.failures, f.window.handled + f.window.failures) && `${f.window.failures} handler failure(s) within ${f.window.ms} ms`,
  },
  { name: 'backpressure', severity: 'warning', forMs: 30_000, when: (f) => f.backpressured > 0 && `${f.backpressured} sender(s) held at a high-water mark` },
  { name: 'nats-disconnected', severity: 'critical', forMs: 30_000, when: (f) => f.nats !== null && !f.nats.connected && `NATS unreachable; ${f.nats.outbox} message(s) wait in the outbox` },
];

/** Checks `alerts` options; returns the rules in force and the interval. */
export function alertConfig(o: AlertOptions | undefined): { rules: AlertRule[]; intervalMs: number } {
  if (o === undefined) return { rules: [...DEFAULT_ALERT_RULES], intervalMs: 1000 };
  if (o === null || typeof o !== 'object') throw invalidArgument('alerts', 'an object: { rules, defaults, intervalMs }', o);
  refuseUnknownKeys('alerts', o, ['rules', 'defaults', 'intervalMs']);
  const own = o.rules ?? [];
  if (!Array.isArray(own)) throw invalidArgument('alerts.rules', 'an array of { name, severity, when, forMs }', own);
  own.forEach((r, i) => {
    if (r === null || typeof r !== 'object') throw invalidArgument(`alerts.rules[${i}]`, 'an object: { name, severity, when, forMs }', r);
    refuseUnknownKeys(`alerts.rules[${i}]`, r, ['name', 'severity', 'when', 'forMs']);
    if (typeof r.name !== 'string' || r.name === '') throw invalidArgument(`alerts.rules[${i}].name`, 'a non-empty string', r.name);
    if (!SEVERITIES.includes(r.severity)) throw invalidArgument(`alerts.rules[${i}].severity`, SEVERITIES.join(', '), r.severity);
    if (typeof r.when !== 'function') throw invalidArgument(`alerts.rules[${i}].when`, 'a function of the facts', r.when);
    if (r.forMs !== undefined && !(Number.isInteger(r.forMs) && r.forMs >= 0)) throw invalidArgument(`alerts.rules[${i}].forMs`, 'an integer ≥ 0 (ms)', r.forMs);
  });
  if (o.defaults !== undefined && typeof o.defaults !== 'boolean') throw invalidArgument('alerts.defaults', 'true or false', o.defaults);
  const intervalMs = o.intervalMs ?? 1000;
  if (!Number.isInteger(intervalMs) || intervalMs < 10) throw invalidArgument('alerts.intervalMs', 'an integer ≥ 10 (ms)', intervalMs);
  const names = new Set(own.map((r) => r.name));
  if (names.size !== own.length) throw invalidArgument('alerts.rules', 'rules with different names', own.map((r) => r.name));
  const defaults = o.defaults === false ? [] : DEFAULT_ALERT_RULES.filter((r) => !names.has(r.name));
  return { rules: [...defaults, ...own], intervalMs };
}

export class Alerts {
  private readonly firing = new Map<string, Alert>();
  /** When each rule's condition started to hold (while it has not fired yet, or while active). */
  private readonly holding = new Map<string, number>();
  private readonly past: Alert[] = [];
  private readonly listeners = new Set<(a: Alert) => void>();
  /** @internal with NATS: publishes each firing and resolution. */
  publish: ((a: Alert) => void) | null = null;

  constructor(private readonly rules: readonly AlertRule[], private readonly onRuleError: (rule: string, err: unknown) => void = () => {}) {}

  /** The alerts firing now, oldest first. */
  active(): Alert[] {
    return [...this.firing.values()].map((a) => ({ ...a }));
  }

  /** Alerts fired and resolved, newest first (the last 1 000). */
  history(options: { limit?: number } = {}): Alert[] {
    const limit = options.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 0) throw invalidArgument('limit', 'an integer ≥ 0', limit);
    return this.past.slice(Math.max(0, this.past.length - limit)).reverse().map((a) => ({ ...a }));
  }

  /** Calls `fn` with each alert as it fires and as it resolves (`state` says which); returns the unsubscribe function. */
  subscribe(fn: (a: Alert) => void): () => void {
    if (typeof fn !== 'function') throw invalidArgument('fn', 'a function', fn);
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  /** @internal checks every rule against `facts`. */
  evaluate(facts: AlertFacts): void {
    const now = facts.time;
    for (const rule of this.rules) {
      let held: boolean | string;
      try { held = rule.when(facts); } catch (err) { this.onRuleError(rule.name, err); held = false; }
      const active = this.firing.get(rule.name);
      if (held === false || held === '' || held === undefined || held === null) {
        this.holding.delete(rule.name);
        if (active !== undefined) this.resolve(active, now);
        continue;
      }
      const since = this.holding.get(rule.name) ?? now;
      this.holding.set(rule.name, since);
      const message = typeof held === 'string' ? held : rule.name;
      if (active !== undefined) { active.message = message; continue; }
      if (now - since >= (rule.forMs ?? 30_000)) this.fire(rule, message, now);
    }
  }

  private fire(rule: AlertRule, message: string, now: number): void {
    const a: Alert = { id: randomUUID(), name: rule.name, severity: rule.severity, message, state: 'firing', firedAt: now, resolvedAt: null };
    this.firing.set(rule.name, a);
    this.tell(a);
  }

  private resolve(a: Alert, now: number): void {
    this.firing.delete(a.name);
    a.state = 'resolved';
    a.resolvedAt = now;
    this.past.push(a);
    if (this.past.length > HISTORY) this.past.splice(0, this.past.length - HISTORY);
    this.tell(a);
  }

  private tell(a: Alert): void {
    for (const fn of this.listeners) {
      try { fn({ ...a }); } catch { /* a listener's bug must not stop the next */ }
    }
    try { this.publish?.({ ...a }); } catch { /* best effort: NATS may be gone */ }
  }
}
