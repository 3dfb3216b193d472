/**
 * The Savina benchmarks' parameters: the defaults of each `*Config.java` in shamsimam/savina
 * (see /work/shared/notes/performance-anchors.md §1) for a full run, and smaller ones for
 * `--quick` (which checks the harness; its numbers are not for quoting).
 */

export interface PingPongParams { n: number }
export interface CountingParams { n: number }
export interface FjThroughputParams { actors: number; n: number }
export interface FjCreateParams { n: number }
export interface ThreadRingParams { actors: number; pings: number }
export interface ChameneosParams { chameneos: number; meetings: number }
export interface BigParams { actors: number; pings: number }
export interface FibParams { n: number }
export interface SkynetParams { leaves: number; div: number }
export interface MemoryParams { actors: number }

export interface SavinaParams {
  pingpong: PingPongParams;
  counting: CountingParams;
  fjthrput: FjThroughputParams;
  fjcreate: FjCreateParams;
  threadring: ThreadRingParams;
  chameneos: ChameneosParams;
  big: BigParams;
  fib: FibParams;
  skynet: SkynetParams;
  memory: MemoryParams;
}

export type SavinaName = keyof SavinaParams;

/** Savina's defaults (Skynet's from atemerev/skynet; memory: 1M idle actors). */
export const FULL_PARAMS: SavinaParams = {
  pingpong: { n: 40_000 },
  counting: { n: 1_000_000 },
  fjthrput: { actors: 60, n: 10_000 },
  fjcreate: { n: 40_000 },
  threadring: { actors: 100, pings: 100_000 },
  chameneos: { chameneos: 100, meetings: 200_000 },
  big: { actors: 120, pings: 20_000 },
  fib: { n: 25 },
  skynet: { leaves: 1_000_000, div: 10 },
  memory: { actors: 1_000_000 },
};

/** --quick: the same shapes, smaller. */
export const QUICK_PARAMS: SavinaParams = {
  pingpong: { n: 10_000 },
  counting: { n: 200_000 },
  fjthrput: { actors: 60, n: 1_000 },
  fjcreate: { n: 10_000 },
  threadring: { actors: 100, pings: 20_000 },
  chameneos: { chameneos: 100, meetings: 20_000 },
  big: { actors: 120, pings: 1_000 },
  fib: { n: 18 },
  skynet: { leaves: 10_000, div: 10 },
  memory: { actors: 100_000 },
};

export function savinaParams(quick: boolean): SavinaParams {
  return quick ? QUICK_PARAMS : FULL_PARAMS;
}
