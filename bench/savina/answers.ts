/**
 * What each benchmark must compute, and the check every implementation's result goes through
 * before its time counts (completion-verified, as in Savina: a wrong result fails the round).
 *
 * Every implementation returns a `SavinaResult`; `answer` has one meaning per benchmark
 * (below) and `errors` counts protocol violations the actors saw themselves (Big's unexpected
 * pong sender, a non-positive `sin²`, ...), which must be 0.
 */

import type { SavinaName, SavinaParams } from './params.js';

export interface SavinaResult {
  answer: number;
  errors?: number;
}

/** Savina's `performComputation(37.2)`: sin(θ)², which it throws on if ≤ 0 (to defeat dead-code elimination). */
export function fjComputation(theta: number): number {
  const sint = Math.sin(theta);
  const res = sint * sint;
  if (res <= 0) throw new Error(`sin²(${theta}) = ${res}, not positive`);
  return res;
}

export const FJ_THETA = 37.2;

/** fib(n) with fib(1) = fib(2) = 1, iteratively (the benchmark computes it with an actor per call). */
export function fibonacci(n: number): number {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

/** Complement of two chameneos colours (0 red, 1 yellow, 2 blue): same stays, different gives the third. */
export function complement(a: number, b: number): number {
  return a === b ? a : 3 - a - b;
}

/** What `answer` means, per benchmark, and its expected value for the given parameters. */
export const EXPECTED: { [K in Exclude<SavinaName, 'memory'>]: { meaning: string; value(p: SavinaParams[K]): number } } = {
  pingpong: { meaning: 'pongs received by Ping', value: (p) => p.n },
  counting: { meaning: 'the count the Counter replies with', value: (p) => p.n },
  fjthrput: { meaning: 'messages processed by all actors', value: (p) => p.actors * p.n },
  fjcreate: { meaning: 'actors that computed and reported', value: (p) => p.n },
  threadring: { meaning: 'ping hops around the ring (R down to 0)', value: (p) => p.pings + 1 },
  chameneos: { meaning: 'sum of the chameneos\' meeting counts (2 per meeting)', value: (p) => 2 * p.meetings },
  big: { meaning: 'pings sent by all actors', value: (p) => p.actors * p.pings },
  fib: { meaning: 'fib(N)', value: (p) => fibonacci(p.n) },
  skynet: { meaning: 'sum of the leaves\' ordinals', value: (p) => (p.leaves * (p.leaves - 1)) / 2 },
};

export type CheckedName = keyof typeof EXPECTED;

/** null when `result` is right for `params`; otherwise why it is wrong. */
export function checkAnswer<K extends CheckedName>(name: K, params: SavinaParams[K], result: SavinaResult | undefined): string | null {
  const spec = EXPECTED[name] as { meaning: string; value(p: SavinaParams[K]): number };
  if (result === undefined || typeof result !== 'object' || typeof result.answer !== 'number') {
    return `no result (got ${JSON.stringify(result)})`;
  }
  const expected = spec.value(params);
  if (result.answer !== expected) return `wrong answer: ${spec.meaning} = ${result.answer}, expected ${expected}`;
  if (result.errors !== undefined && result.errors !== 0) return `${result.errors} protocol errors seen by the actors`;
  return null;
}

/** Throws WrongAnswer (failing the round) unless `result` is right. */
export function assertAnswer<K extends CheckedName>(name: K, params: SavinaParams[K], result: SavinaResult | undefined): void {
  const why = checkAnswer(name, params, result);
  if (why !== null) throw new WrongAnswer(why);
}

export class WrongAnswer extends Error {
  override name = 'WrongAnswer';
}
