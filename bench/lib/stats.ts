/** Small, dependency-free statistics for round results and latency samples. */

import type { Summary } from './types.js';

/** Sorted copy, ascending. */
function sorted(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Median (mean of the two middle values for an even count); NaN for no values. */
export function median(values: ArrayLike<number>): number {
  const s = sorted(values);
  const n = s.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Nearest-rank percentile of already sorted values (p in (0, 1]): the smallest value with at
 * least p of the samples at or below it — the definition latency tools (HdrHistogram) use.
 */
export function percentileSorted(s: ArrayLike<number>, p: number): number {
  const n = s.length;
  if (n === 0) return Number.NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil(p * n)));
  return s[rank - 1]!;
}

export function summarize(samples: number[]): Summary {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of samples) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { median: median(samples), min, max, samples: [...samples] };
}

/** p50, p99 and mean of one round's latencies, in the unit they were given in. */
export function latencyStats(values: Float64Array): { p50: number; p99: number; mean: number } {
  const s = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return { p50: percentileSorted(s, 0.5), p99: percentileSorted(s, 0.99), mean: sum / s.length };
}

/** What Savina's harness keeps of a set of rounds: those within ±tolerance of the median. */
export interface Sanitized {
  kept: number;
  total: number;
  /** Median of the kept values (NaN with none). */
  median: number;
}

/** Savina's "sanitize" (BenchmarkRunner): drop values outside ±`tolerance` (default 20 %) of the median. */
export function savinaSanitize(samples: number[], tolerance = 0.2): Sanitized {
  const m = median(samples);
  const kept = samples.filter((v) => v >= m * (1 - tolerance) && v <= m * (1 + tolerance));
  return { kept: kept.length, total: samples.length, median: median(kept) };
}
