/** What the raw-thread peers' workers are told (types only; see thread.worker.ts). */

import type { MessagePort } from 'node:worker_threads';

export type ThreadRole =
  | { role: 'pm-ping'; control: MessagePort; peer: MessagePort }
  | { role: 'pm-pong'; peer: MessagePort }
  | { role: 'pm-producer'; control: MessagePort; peer: MessagePort }
  | { role: 'pm-counter'; peer: MessagePort }
  | { role: 'rb-ping'; control: MessagePort; out: SharedArrayBuffer; back: SharedArrayBuffer; peer: MessagePort }
  | { role: 'rb-pong'; out: SharedArrayBuffer; back: SharedArrayBuffer; peer: MessagePort }
  | { role: 'rb-producer'; control: MessagePort; out: SharedArrayBuffer; peer: MessagePort }
  | { role: 'rb-counter'; out: SharedArrayBuffer; peer: MessagePort };

/** main → the driving worker of a pair: run once with this n. */
export interface ThreadRun {
  n: number;
}

/** driving worker → main. */
export interface ThreadDone {
  elapsedNs: number;
  answer: number;
}
