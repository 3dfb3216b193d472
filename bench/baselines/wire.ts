/** Messages between the main thread and the raw postMessage baseline workers (types only). */

import type { MessagePort } from 'node:worker_threads';

/** The small message every throughput scenario sends, troupe and baselines alike. */
export interface IncMsg {
  type: 'inc';
  by: number;
  id: number;
}

/** To counter.worker: count incs (singly or in batches), answer pings and gets. */
export type CounterRequest = IncMsg | IncMsg[] | { type: 'ping'; seq: number } | { type: 'get' };
/** From counter.worker: the running count (for get) or the seq (for ping). */
export type CounterReply = number;

export interface CounterWorkerData {
  port: MessagePort;
}

/** To source.worker: send `n` incs to the sink, `batch` per postMessage (1 = one each). */
export interface SourceRun {
  type: 'run';
  n: number;
  batch: number;
}
/** From source.worker: nanoseconds from the first send until the sink's count included all `n`. */
export interface SourceDone {
  type: 'done';
  elapsedNs: number;
  count: number;
}

export interface SourceWorkerData {
  /** To the main thread. */
  control: MessagePort;
  /** To the sink (a counter.worker). */
  peer: MessagePort;
}
