/**
 * One round of each --actor scenario, written once for every sender: the driver actor (troupe,
 * `ctx.tell` / `ctx.ask`) and the baseline's source worker (postMessage). Timed in the sending
 * thread; the messages are built there too, inside the timing, for both alike.
 */

import { latencyStats } from '../lib/stats.js';
import type { BenchMessages } from './messages.js';
import type { RoundResult, Scenario } from './wire.js';

/** How a sender reaches the receiver. */
export interface Channel {
  /** Sends message(0) ... message(n - 1) without waiting for anything. */
  tellAll(n: number, message: (seq: number) => unknown): void;
  /** Sends `msg` and resolves with the answer (answers come in the order asks were sent). */
  ask(msg: unknown): Promise<unknown>;
}

/** Runs one round of `s` over `ch` with the user's messages; what it measured. */
export async function runScenario(s: Scenario, messages: BenchMessages, ch: Channel): Promise<RoundResult> {
  const t0 = process.hrtime.bigint();
  switch (s.t) {
    case 'throughput':
      ch.tellAll(s.n, messages.message);
      await ch.ask(messages.ask(s.n));
      break;
    case 'pingpong': {
      const rtts = new Float64Array(s.k);
      for (let i = 0; i < s.k; i++) {
        const a = process.hrtime.bigint();
        await ch.ask(messages.ask(i));
        rtts[i] = Number(process.hrtime.bigint() - a) / 1e3;
      }
      return { elapsedNs: Number(process.hrtime.bigint() - t0), rtt: latencyStats(rtts) };
    }
    case 'asks': {
      let next = 0;
      // `window` loops, each keeping one ask in flight until all n have been sent.
      const loop = async () => {
        while (next < s.n) await ch.ask(messages.ask(next++));
      };
      await Promise.all(Array.from({ length: Math.min(s.window, s.n) }, loop));
      break;
    }
  }
  return { elapsedNs: Number(process.hrtime.bigint() - t0) };
}
