/** Messages of the bench actors (types only; shared by the actors and the scenarios). */

import type { ActorRef } from 'troupe';

export interface Inc {
  type: 'inc';
  by: number;
  id: number;
}
export interface Get {
  type: 'get';
}
export interface Ping {
  type: 'ping';
  seq: number;
}
/** counter.actor: count incs; `get` replies the count, `ping` replies `seq`. */
export type CounterMsg = Inc | Get | Ping;

/** source.actor: tell `sink` n incs, then ask it for its count; replies a RunResult. */
export interface Run {
  type: 'run';
  n: number;
  sink: ActorRef;
}
export interface RunResult {
  /** From the first tell until the sink's count (which includes all n) came back, measured in the source's worker. */
  elapsedNs: number;
  count: number;
}
