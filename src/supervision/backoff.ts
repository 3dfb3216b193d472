/**
 * Restart backoff: exponential from `minMs` to `maxMs` with jitter, reset after a quiet period
 * (the shape of Akka's BackoffSupervisor). The n-th restart in a row waits
 *   min(maxMs, minMs × factor^(n−1)) × (1 + jitter × (2·random − 1))
 * and a failure that comes more than `resetAfterMs` after the previous one starts again at n = 1.
 */
import type { Random } from './clock.js';

export interface BackoffOptions {
  /** Delay before the first restart. Default 100 ms. */
  minMs: number;
  /** Longest delay. Default 10 000 ms. */
  maxMs: number;
  /** Growth per restart. Default 2. */
  factor: number;
  /** Relative spread, 0 to 1: 0.2 means ±20 %. Default 0.2. */
  jitter: number;
  /** Quiet time after which the count starts over. Default 30 000 ms. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minMs: 100, maxMs: 10_000, factor: 2, jitter: 0.2, resetAfterMs: 30_000 };

export class Backoff {
  private n = 0;
  private last = -Infinity;

  constructor(private readonly o: BackoffOptions, private readonly random: Random) {}

  /** The delay before the next restart, for a failure at time `now`. */
  next(now: number): number {
    if (now - this.last > this.o.resetAfterMs) this.n = 0;
    this.last = now;
    this.n++;
    const base = Math.min(this.o.maxMs, this.o.minMs * this.o.factor ** (this.n - 1));
    const spread = this.o.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.min(this.o.maxMs, base * (1 + spread)));
  }

  /** Restarts in the current run (0 after a quiet period). */
  get attempt(): number {
    return this.n;
  }
}
