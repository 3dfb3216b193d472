/** Messages of the Savina actors (types only) and the shapes every benchmark shares. */

import type { ActorRef } from 'troupe';
import type { SavinaName } from '../../savina/params.js';
import type { SavinaResult } from '../../savina/answers.js';

/** A result travelling to a parent or a sink: `v` is summed, `e` counts protocol errors. */
export interface Done {
  t: 'done';
  v: number;
  e?: number;
}

export interface Start {
  t: 'start';
}

/** main → driver: run one benchmark once. `helpers` are spawner actors on the other workers (none: one worker). */
export interface RunBench {
  t: 'run';
  bench: Exclude<SavinaName, 'memory'>;
  params: unknown;
  helpers: ActorRef[];
}

/** main → driver: spawn `actors` idle actors, measure this worker's heap growth, stop them. */
export interface MeasureMemory {
  t: 'memory';
  actors: number;
}

export interface RunReply {
  elapsedNs: number;
  result: SavinaResult;
}

export interface MemoryReply {
  actors: number;
  bytesPerActor: number;
}

/** driver → spawner: start these actors on your worker and reply their refs, in order. */
export interface SpawnMany {
  t: 'spawn';
  url: string;
  args: unknown[];
  capacity?: number;
}
