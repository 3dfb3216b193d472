/**
 * A circuit breaker per child (Fowler's three states; Akka's CircuitBreaker is the bar).
 *
 * closed → open: `failureThreshold` failures within `windowMs`.
 * open: nothing is admitted; after `resetTimeout` it turns half-open by itself (a timer).
 * half-open: admits `halfOpenProbes` messages. A probe's success closes it (and the reset timeout
 * returns to `resetTimeoutMs`); a failure opens it again with the reset timeout doubled, up to
 * `maxResetTimeoutMs`. A probe that never reports (its message was lost with a stopped actor,
 * say) counts as failed after `resetTimeoutMs`, so half-open can never get stuck.
 * Every transition is reported to `onTransition`.
 */
import type { Clock, TimerHandle } from './clock.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Failures within the window that open it. Default 5. */
  failureThreshold: number;
  /** Default 10 000 ms. */
  windowMs: number;
  /** Time open before trying again. Default 5 000 ms. */
  resetTimeoutMs: number;
  /** Messages admitted while half-open. Default 1. */
  halfOpenProbes: number;
  /** Cap of the growing reset timeout. Default 60 000 ms. */
  maxResetTimeoutMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = {
  failureThreshold: 5, windowMs: 10_000, resetTimeoutMs: 5_000, halfOpenProbes: 1, maxResetTimeoutMs: 60_000,
};

export interface BreakerTransition {
  from: BreakerState;
  to: BreakerState;
  /** The reset timeout now in force (ms). */
  resetTimeoutMs: number;
  failures: number;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private readonly failures: number[] = [];
  private resetTimeout: number;
  private probesLeft = 0;
  private probesOut = 0;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly o: BreakerOptions,
    private readonly clock: Clock,
    private readonly onTransition: (t: BreakerTransition) => void,
  ) {
    this.resetTimeout = o.resetTimeoutMs;
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Whether a message may go through now. In half-open, each admitted message is a probe. */
  admit(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open' || this.probesLeft === 0) return false;
    this.probesLeft--;
    this.probesOut++;
    if (this.timer === null) this.timer = this.clock.setTimeout(() => this.probeLost(), this.o.resetTimeoutMs);
    return true;
  }

  success(): void {
    if (this.current !== 'half-open') return;
    this.resetTimeout = this.o.resetTimeoutMs;
    this.failures.length = 0;
    this.to('closed');
  }

  failure(): void {
    const now = this.clock.now();
    if (this.current === 'half-open') {
      this.resetTimeout = Math.min(this.o.maxResetTimeoutMs, this.resetTimeout * 2);
      this.open();
      return;
    }
    if (this.current === 'open') return;
    const f = this.failures;
    f.push(now);
    while (f.length > 0 && now - f[0]! >= this.o.windowMs) f.shift();
    if (f.length >= this.o.failureThreshold) this.open();
  }

  /** Stops its timer (the child stopped). */
  dispose(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private open(): void {
    this.dispose();
    this.probesOut = 0;
    this.probesLeft = 0;
    this.to('open');
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.probesLeft = this.o.halfOpenProbes;
      this.to('half-open');
    }, this.resetTimeout);
  }

  private probeLost(): void {
    this.timer = null;
    if (this.current === 'half-open' && this.probesOut > 0) this.failure();
  }

  private to(state: BreakerState): void {
    const from = this.current;
    if (from === state) return;
    this.current = state;
    if (state === 'closed') this.dispose();
    this.onTransition({ from, to: state, resetTimeoutMs: this.resetTimeout, failures: this.failures.length });
  }
}
