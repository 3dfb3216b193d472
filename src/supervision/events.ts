/**
 * Supervision events: every decision and breaker transition, as data. Hosts send them to main,
 * where `system.events` keeps the recent ones and calls subscribers; each is also a pino line
 * with the actor's path.
 */
import type { BreakerState } from './breaker.js';
import type { ErrorCategory, Severity } from './classify.js';
import type { Directive } from './directive.js';
import type { WireError } from '../actors/errors.js';

export type SupervisionEvent =
  | { type: 'failure'; actor: string; directive: Directive; category: ErrorCategory; severity: Severity; error: WireError; retries: number; time: number }
  | { type: 'restart'; actor: string; attempt: number; delayMs: number; siblings: string[]; time: number }
  | { type: 'escalate'; actor: string; to: string; reason: string; time: number }
  | { type: 'stop'; actor: string; reason: string; time: number }
  | { type: 'breaker'; actor: string; from: BreakerState; to: BreakerState; resetTimeoutMs: number; time: number }
  /** A host worker died. `lost`: messages that died with its heap (dead-lettered); `actor`: whose handler was running. */
  | { type: 'worker-died'; worker: number; lost: number; reason: 'worker-died' | 'timeout'; actor?: string; error: WireError; time: number }
  /** A replacement host took over the dead worker's rings; `restarted`: its top-level actors running again. */
  | { type: 'worker-replaced'; worker: number; restarted: string[]; time: number }
  /** The watchdog found a worker blocked past maxHandlerMs (in `actor`'s handler, if one was running). */
  | { type: 'runaway'; worker: number; actor?: string; blockedMs: number; time: number }
  /** terminate() of a runaway worker did not finish within terminateTimeoutMs: its actors escalated. */
  | { type: 'worker-stuck'; worker: number; time: number }
  /**
   * A worker of pool actor `pool` was terminated (`reason` 'timeout': a message ran past
   * maxHandlerMs; 'init-timeout': module load and init did not finish within controlTimeoutMs)
   * or died ('worker-died': it exited, threw, or ran out of memory). Its message was dead-lettered.
   */
  | { type: 'pool-worker-died'; pool: string; reason: 'timeout' | 'init-timeout' | 'worker-died'; error: WireError; time: number }
  /** A pool worker told to terminate had not exited after terminateTimeoutMs (stuck in native code). */
  | { type: 'pool-worker-stuck'; pool: string; threadId: number; time: number }
  /** The NATS bridge connected (set up) or lost its connection; `outbox`: messages waiting to leave. */
  | { type: 'nats'; connected: boolean; outbox: number; time: number }
  /** An exposed name of this node is held by node `holder` (it took it with expose: 'replace', or had it when this node registered late). */
  | { type: 'name-lost'; name: string; holder: string; time: number };

export class SupervisionEvents {
  private readonly recentEvents: SupervisionEvent[] = [];
  private readonly listeners = new Set<(e: SupervisionEvent) => void>();

  constructor(private readonly capacity = 1000) {}

  /** Calls `fn` for every event from now on; returns the unsubscribe function. */
  subscribe(fn: (e: SupervisionEvent) => void): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  /** The most recent events (up to 1000), oldest first, optionally of one type. */
  list(type?: SupervisionEvent['type']): SupervisionEvent[] {
    return type === undefined ? [...this.recentEvents] : this.recentEvents.filter((e) => e.type === type);
  }

  /** @internal */
  add(e: SupervisionEvent): void {
    this.recentEvents.push(e);
    if (this.recentEvents.length > this.capacity) this.recentEvents.splice(0, this.recentEvents.length - this.capacity);
    for (const fn of this.listeners) {
      try { fn(e); } catch { /* a listener's bug must not stop the next event */ }
    }
  }
}
