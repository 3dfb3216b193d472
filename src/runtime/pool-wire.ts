/** Messages of pool actors (spawnPool): one piscina task per message. */
import type { WireError } from '../actors/errors.js';

export interface PoolTask {
  pool: string;
  url: string;
  args: unknown;
  msg: unknown;
  logLevel: string;
  /** Only load the module and run init (spawnPool checks the module this way). */
  probe?: boolean;
}

export type PoolResult = { ok: true; value: unknown } | { ok: false; error: WireError };
