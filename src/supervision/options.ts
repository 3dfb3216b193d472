/**
 * How a parent supervises its children (`supervisor` in defineActor, overridable per child with
 * the `supervision` spawn option), with every default stated, as OTP's manual does:
 *
 * - `strategy`: 'one-for-one' (default), 'one-for-all' or 'rest-for-one';
 * - `maxRestarts` 3 within `withinMs` 5 000: the 4th restart in 5 s makes the supervisor fail
 *   and escalate to its own parent (at the top: logged, and that subtree stops; never the process);
 * - `maxRetries` 2: the message that failed is tried again up to twice (after each restart), then
 *   dead-lettered with its error;
 * - `backoff`: restarts wait 100 ms doubling to 10 s, ±20 % jitter, reset after 30 s quiet;
 * - `decide`: the default decider (see directive.ts). A function, so only in defineActor.
 *
 * Per child: `restart` type 'transient' (default: restarted after a failure, not when it stops
 * itself), 'permanent' (restarted whenever it stops, even normally, as OTP's permanent children)
 * or 'temporary' (never restarted: a restart directive stops it), and an optional
 * `circuitBreaker`. The default differs from OTP's (permanent) on purpose: a Node actor that
 * calls ctx.stop() when its job is done should stay stopped, as in Akka.
 *
 * What a timer waits (`shutdownMs`, default 5 000; the backoff's delays; a breaker's reset
 * timeouts) is at most 2^31 - 1 ms: Node fires a longer timer, Infinity too, after 1 ms.
 */
import { invalidArgument } from '../actors/errors.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { DEFAULT_BREAKER, type BreakerOptions } from './breaker.js';
import { defaultDecider, type Decider } from './directive.js';
import { STRATEGIES, type Strategy } from './strategy.js';

export interface SupervisorOptions {
  strategy: Strategy;
  maxRestarts: number;
  withinMs: number;
  maxRetries: number;
  backoff: BackoffOptions;
  decide: Decider;
}

/** What can be given: any subset; `backoff` may itself be partial. */
export type SupervisorSpec = Partial<Omit<SupervisorOptions, 'backoff'>> & { backoff?: Partial<BackoffOptions> };

export type RestartType = 'permanent' | 'transient' | 'temporary';
export const RESTART_TYPES: readonly RestartType[] = ['permanent', 'transient', 'temporary'];

export const DEFAULT_SUPERVISOR: SupervisorOptions = {
  strategy: 'one-for-one', maxRestarts: 3, withinMs: 5000, maxRetries: 2, backoff: DEFAULT_BACKOFF, decide: defaultDecider,
};

/** Merges specs over the defaults (later wins) and checks every value. */
export function supervisorOptions(...specs: (SupervisorSpec | undefined)[]): SupervisorOptions {
  let o: SupervisorOptions = DEFAULT_SUPERVISOR;
  for (const s of specs) {
    if (s === undefined) continue;
    if (s === null || typeof s !== 'object') throw invalidArgument('supervision', 'an object', s);
    o = { ...o, ...stripUndefined(s), backoff: { ...o.backoff, ...stripUndefined(s.backoff ?? {}) } } as SupervisorOptions;
  }
  if (!STRATEGIES.includes(o.strategy)) throw invalidArgument('supervision.strategy', STRATEGIES.join(', '), o.strategy);
  nonNegativeInt('supervision.maxRestarts', o.maxRestarts);
  nonNegativeInt('supervision.maxRetries', o.maxRetries);
  positive('supervision.withinMs', o.withinMs);
  if (typeof o.decide !== 'function') throw invalidArgument('supervision.decide', 'a function', o.decide);
  const b = o.backoff;
  timerMs('backoff.minMs', b.minMs, true);
  if (!(b.maxMs >= b.minMs)) throw invalidArgument('backoff.maxMs', 'a number of ms >= backoff.minMs', b.maxMs);
  timerMs('backoff.maxMs', b.maxMs, true);
  if (!(b.factor >= 1)) throw invalidArgument('backoff.factor', 'a number >= 1', b.factor);
  if (!(b.jitter >= 0 && b.jitter <= 1)) throw invalidArgument('backoff.jitter', 'a number from 0 to 1', b.jitter);
  nonNegative('backoff.resetAfterMs', b.resetAfterMs);
  return o;
}

export function breakerOptions(spec: Partial<BreakerOptions> | undefined): BreakerOptions | null {
  if (spec === undefined) return null;
  if (spec === null || typeof spec !== 'object') throw invalidArgument('circuitBreaker', 'an object', spec);
  const o = { ...DEFAULT_BREAKER, ...stripUndefined(spec) } as BreakerOptions;
  for (const k of ['failureThreshold', 'halfOpenProbes'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw invalidArgument(`circuitBreaker.${k}`, 'a positive integer', o[k]);
  }
  positive('circuitBreaker.windowMs', o.windowMs);
  timerMs('circuitBreaker.resetTimeoutMs', o.resetTimeoutMs, false);
  if (!(o.maxResetTimeoutMs >= o.resetTimeoutMs)) throw invalidArgument('circuitBreaker.maxResetTimeoutMs', '>= resetTimeoutMs', o.maxResetTimeoutMs);
  timerMs('circuitBreaker.maxResetTimeoutMs', o.maxResetTimeoutMs, false);
  return o;
}

/** How long a stop waits for a running handler: default 5 000 ms, at most 2^31 - 1 (a timer's range). */
export function shutdownMs(v: unknown): number {
  if (v === undefined) return 5000;
  timerMs('shutdownMs', v, false);
  return v as number;
}

export function restartType(v: unknown): RestartType {
  if (v === undefined) return 'transient';
  if (!RESTART_TYPES.includes(v as RestartType)) throw invalidArgument('restart', RESTART_TYPES.join(', '), v);
  return v as RestartType;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
function nonNegativeInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw invalidArgument(name, 'an integer >= 0', v);
}
function nonNegative(name: string, v: number): void {
  if (typeof v !== 'number' || !(v >= 0)) throw invalidArgument(name, 'a number >= 0', v);
}
function positive(name: string, v: number): void {
  if (typeof v !== 'number' || !(v > 0)) throw invalidArgument(name, 'a positive number', v);
}
/**
 * A delay a timer waits: Node fires a timer of more than 2^31 - 1 ms (Infinity too) after 1 ms,
 * so shutdownMs: Infinity would give up on a running handler at once.
 */
function timerMs(name: string, v: unknown, zero: boolean): void {
  if (typeof v !== 'number' || !(zero ? v >= 0 : v > 0) || v > 2 ** 31 - 1) {
    throw invalidArgument(name, `a ${zero ? 'non-negative' : 'positive'} number of milliseconds up to 2^31 - 1`, v);
  }
}
