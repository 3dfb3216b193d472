/**
 * What crosses between main and a pool's workers (spawnPool): one piscina task per message, its
 * result, and the progress notes that let main's deadlines tell init from the handler.
 */
import type { WireError } from '../actors/errors.js';

export interface PoolTask {
  pool: string;
  url: string;
  args: unknown;
  msg: unknown;
  logLevel: string;
  /** Names the task in its progress notes (unique per pool). */
  seq: number;
  /** Only load the module and run init (spawnPool checks the module this way). */
  probe?: boolean;
}

export type PoolResult = { ok: true; value: unknown } | { ok: false; error: WireError };

/**
 * Worker → main, on the worker's parentPort (piscina's 'message' event). 'init': the task reached
 * a worker that must load the module and run init first; 'handler': its handler starts. Before
 * the handler the task is bounded by controlTimeoutMs, from then on by maxHandlerMs. `at`:
 * performance.timeOrigin + performance.now() on the worker.
 */
export interface PoolProgress { t: 'pool-progress'; seq: number; phase: 'init' | 'handler'; threadId: number; at: number }
