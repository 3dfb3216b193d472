/**
 * The --actor suite's messages (types only): main → the driver actor (troupe) or the source
 * worker (the postMessage baseline), one round of a scenario each, and what comes back.
 */

import type { MessagePort } from 'node:worker_threads';
import type { ActorRef } from 'troupe';
import type { Rtt } from '../lib/round-trips.js';

/** One round of a scenario, run by the sending side against the user's actor (or the baseline's sink). */
export type Scenario =
  /** Tell n bench messages, then ask once (the answer comes after all n: one sender's mail is handled in order). */
  | { t: 'throughput'; n: number }
  /** k sequential asks, each timed. */
  | { t: 'pingpong'; k: number }
  /** n asks, `window` of them in flight at a time. */
  | { t: 'asks'; n: number; window: number };

/** To the driver actor: a scenario's round, against `target`. */
export type DriverCommand = Scenario & { target: ActorRef };

/** What a round measured, inside the sending thread. */
export interface RoundResult {
  /** From the first send until the last answer was back. */
  elapsedNs: number;
  /** pingpong: the round trips' latencies, in µs. */
  rtt?: Rtt;
}

/** The baseline's two workers (pm.worker.ts). */
export type PmRole =
  /** Sends: takes scenarios from main on `control`, builds the messages with the user's module, posts them to `peer`. */
  | { role: 'source'; module: string; batch: number; control: MessagePort; peer: MessagePort }
  /**
   * Receives: runs no handler; counts messages (`batched`: arrays of them) and answers after
   * every `replyEvery` of them, the ask that ends a round.
   */
  | { role: 'sink'; replyEvery: number; batched: boolean; peer: MessagePort };
