/** Timing sequential request/response round trips (the ping-pong scenario, any implementation). */

import { latencyStats } from './stats.js';

export interface Rtt {
  p50: number;
  p99: number;
  mean: number;
}

/** Runs `k` sequential round trips and returns their latency stats in microseconds. */
export async function timeRoundTrips(k: number, roundTrip: (seq: number) => Promise<unknown>): Promise<Rtt> {
  const rtts = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const t0 = process.hrtime.bigint();
    const back = await roundTrip(i);
    rtts[i] = Number(process.hrtime.bigint() - t0) / 1e3;
    if (back !== i) throw new Error(`round trip ${i} answered ${String(back)}`);
  }
  return latencyStats(rtts);
}
