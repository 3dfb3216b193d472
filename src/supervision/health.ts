/**
 * Health from the facts main gathers (counters, windows, the state of workers, rings, pools and
 * NATS): a pure function, so each rule is tested on its own. The rules are the `SystemHealth`
 * doc comment's (runtime/main/system-types.ts).
 */

export type HealthStatus = 'healthy' | 'degraded' | 'critical' | 'stopped';

export interface HealthFacts {
  /** The system's state: once shutdown() was called, health is 'stopped' and nothing else. */
  state: 'running' | 'stopping' | 'stopped';
  /** Shared host workers alive now. */
  liveWorkers: number;
  /** Host workers dead and not replaced, and stuck (terminate() did not finish). */
  deadWorkers: number;
  stuckWorkers: number;
  /** Within the health window: a failure escalated past the top, an actor restarted, an actor failed. */
  escalated: boolean;
  restarted: boolean;
  failed: boolean;
  /** Worker deaths within the window (each replaced). */
  replaced: number;
  /** Breakers open or half-open now. */
  openBreakers: number;
  /** Dead letters and messages handled (processed or dead-lettered) within the window. */
  windowDeadLetters: number;
  windowHandled: number;
  /** Rings whose records wait with none taken (the limit passed), in words. */
  wedgedLinks: string[];
  /** Reasons from elsewhere (pools, NATS), already judged. */
  critical: string[];
  degraded: string[];
}

/** At least this many dead letters in the window before their share is judged. */
export const DEAD_LETTER_FLOOR = 100;
/** The share of the messages handled in the window past which dead letters make health degraded. */
export const DEAD_LETTER_SHARE = 0.01;

export function judgeHealth(f: HealthFacts): { status: HealthStatus; reasons: string[] } {
  if (f.state !== 'running') return { status: 'stopped', reasons: [f.state === 'stopping' ? 'the system is shutting down' : 'the system is stopped'] };
  const critical: string[] = [];
  const degraded: string[] = [];
  if (f.liveWorkers === 0) critical.push('no host worker is alive');
  if (f.deadWorkers > 0) critical.push(`${f.deadWorkers} worker(s) dead and not replaced`);
  if (f.stuckWorkers > 0) critical.push(`${f.stuckWorkers} worker(s) stuck: terminate() did not finish`);
  for (const link of f.wedgedLinks) critical.push(link);
  if (f.escalated) critical.push('a failure escalated to the top of the tree');
  critical.push(...f.critical);
  if (f.windowDeadLetters >= DEAD_LETTER_FLOOR && f.windowDeadLetters > DEAD_LETTER_SHARE * f.windowHandled) {
    degraded.push(`${f.windowDeadLetters} of ${f.windowHandled} message(s) handled within the health window were dead-lettered (over 1 %)`);
  }
  degraded.push(...f.degraded);
  if (f.replaced > 0) degraded.push(`${f.replaced} worker death(s) recently (each replaced)`);
  if (f.openBreakers > 0) degraded.push(`${f.openBreakers} circuit breaker(s) open`);
  if (f.restarted) degraded.push('an actor restarted recently');
  else if (f.failed) degraded.push('an actor failed recently');
  return { status: critical.length > 0 ? 'critical' : degraded.length > 0 ? 'degraded' : 'healthy', reasons: [...critical, ...degraded] };
}
